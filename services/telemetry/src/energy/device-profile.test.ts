import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  clamp01,
  createDeviceProfileMeter,
  processUtilisation,
  profilePowerWatts,
} from './device-profile-meter.js';
import { DEVICE_PROFILES, guessDeviceProfile, isDeviceProfileName } from './device-profiles.js';

const opts = { timeout: 10_000 };
const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-9, `${a} ≉ ${b}`);

describe('device profiles', () => {
  it('has the five profiles, each with sane numbers and a source', opts, () => {
    assert.deepEqual(Object.keys(DEVICE_PROFILES).sort(), [
      'jetson-nano',
      'jetson-orin-nano',
      'rpi4',
      'rpi5',
      'x86',
    ]);
    for (const p of Object.values(DEVICE_PROFILES)) {
      assert.ok(p.idleWatts > 0 && p.maxWatts > p.idleWatts, p.name);
      assert.ok(p.speedFactor >= 1, p.name);
      assert.ok(p.source.length > 20, p.name);
    }
    assert.equal(DEVICE_PROFILES.x86.speedFactor, 1);
    assert.ok(isDeviceProfileName('rpi5'));
    assert.ok(!isDeviceProfileName('toString'));
  });

  it('guesses the profile from the device-tree model string', opts, () => {
    assert.equal(guessDeviceProfile('Raspberry Pi 5 Model B Rev 1.0', 'arm64'), 'rpi5');
    assert.equal(guessDeviceProfile('Raspberry Pi 4 Model B Rev 1.4', 'arm64'), 'rpi4');
    assert.equal(guessDeviceProfile('NVIDIA Jetson Nano Developer Kit', 'arm64'), 'jetson-nano');
    assert.equal(
      guessDeviceProfile('NVIDIA Jetson Orin Nano Engineering Reference Developer Kit', 'arm64'),
      'jetson-orin-nano',
    );
    assert.equal(guessDeviceProfile(undefined, 'x64'), 'x86');
  });
});

describe('device-profile meter', () => {
  it('P = P_idle + (P_max − P_idle)·u, clamped', opts, () => {
    const p = DEVICE_PROFILES['jetson-nano'];
    close(profilePowerWatts(p, 0), 1.5);
    close(profilePowerWatts(p, 0.5), 1.5 + 8.5 * 0.5);
    close(profilePowerWatts(p, 1), 10);
    close(profilePowerWatts(p, 7), 10);
    close(profilePowerWatts(p, -1), 1.5);
    assert.equal(clamp01(Number.NaN), 0);
  });

  it('process utilisation = CPU time / wall time / cores since the previous call', opts, () => {
    let user = 0;
    let system = 0;
    let wallNs = 0n;
    const u = processUtilisation({
      cores: 4,
      cpuUsage: () => ({ user, system }),
      hrtimeNs: () => wallNs,
    });
    user += 150_000; // 150 ms user
    system += 50_000; // 50 ms system
    wallNs += 100_000_000n; // over 100 ms of wall time on 4 cores
    close(u(), 0.5);
    wallNs += 100_000_000n; // idle
    close(u(), 0);
    user += 1_000_000;
    wallNs += 100_000_000n; // more CPU than 4 cores can give: clamped
    close(u(), 1);
  });

  it('reads an estimated figure from the injected utilisation', opts, async () => {
    const m = createDeviceProfileMeter({ profile: 'rpi4', utilisation: () => 0.25, now: () => 5 });
    assert.equal(m.method, 'estimated');
    assert.equal(m.kind, 'power');
    const r = await m.read();
    close(r.totalWatts, 2.3 + (5.4 - 2.3) * 0.25);
    assert.equal(r.method, 'estimated');
    assert.equal(r.tMs, 5);
    assert.match(m.source, /rpi4/);
  });
});
