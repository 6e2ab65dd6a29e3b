import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createRadioEnergyModel, radioEnergy, type SettledRadioEnergy } from './radio.js';
import {
  DEFAULT_RADIO_PROFILES,
  getRadioProfile,
  loadRadioProfiles,
  RADIO_LINK_TYPES,
} from './radio-config.js';
import { makeTree, removeTree } from './test-fixtures.js';

const opts = { timeout: 10_000 };
const close = (a: number, b: number, eps = 1e-12) => assert.ok(Math.abs(a - b) < eps, `${a} ≉ ${b}`);
const roots: string[] = [];
after(async () => {
  for (const r of roots) await removeTree(r);
});

// 1000 B up at 6 Mbps, 100 B down at 13 Mbps (Huang et al.'s median LTE rates): 0.008 Mbit up, 0.0008 Mbit down.
const small = { bytesUp: 1000, bytesDown: 100, uplinkMbps: 6, downlinkMbps: 13 };
// Hand-computed, LTE: α_u = 438.39 mW/Mbps, α_d = 51.97 mW/Mbps, β = 1288.04 mW.
const LTE_TRANSFER = 0.43839 * 0.008 + 0.05197 * 0.0008 + 1.28804 * (0.008 / 6 + 0.0008 / 13); // 0.0053453467 J
const LTE_PROMOTION = 1.2107 * 0.2601; // 0.31490307 J
const LTE_TAIL = 1.06 * 11.576; // 12.27056 J
const LTE_TRANSFER_MS = (0.008 / 6 + 0.0008 / 13) * 1000;

describe('radio profiles', () => {
  it('ships every link type with a source, and the LTE constants of Huang et al.', opts, () => {
    for (const link of RADIO_LINK_TYPES) {
      const p = getRadioProfile(link);
      assert.ok(p.source.length > 20, link);
    }
    const lte = DEFAULT_RADIO_PROFILES.lte!;
    assert.equal(lte.alphaUpMwPerMbps, 438.39);
    assert.equal(lte.alphaDownMwPerMbps, 51.97);
    assert.equal(lte.betaMw, 1288.04);
    assert.deepEqual(lte.promotion, { mw: 1210.7, ms: 260.1 });
    assert.deepEqual(lte.tail, { mw: 1060, ms: 11576 });
    assert.throws(() => getRadioProfile('carrier-pigeon'), /unknown radio profile/);
  });

  it('a user file overrides fields of a shipped profile and may add complete new ones', opts, async () => {
    const root = await makeTree({});
    roots.push(root);
    const file = join(root, 'radio.json');
    await writeFile(
      file,
      JSON.stringify({
        profiles: {
          lte: { tail: { ms: 5000 }, source: 'operator X measurement' },
          satellite: {
            alphaUpMwPerMbps: 1000,
            alphaDownMwPerMbps: 200,
            betaMw: 2000,
            promotion: { mw: 0, ms: 0 },
            tail: { mw: 500, ms: 1000 },
            source: 'assumption',
          },
        },
      }),
    );
    const profiles = loadRadioProfiles(file);
    assert.deepEqual(profiles.lte?.tail, { mw: 1060, ms: 5000 });
    assert.equal(profiles.lte?.alphaUpMwPerMbps, 438.39);
    assert.equal(profiles.lte?.source, 'operator X measurement');
    assert.equal(profiles.satellite?.betaMw, 2000);
    assert.equal(profiles.wifi, DEFAULT_RADIO_PROFILES.wifi);
    assert.equal(DEFAULT_RADIO_PROFILES.lte?.tail.ms, 11576, 'the shipped set is not mutated');
  });

  it('rejects invalid or incomplete user profiles with the file name', opts, async () => {
    const root = await makeTree({});
    roots.push(root);
    const bad = join(root, 'bad.json');
    await writeFile(bad, JSON.stringify({ profiles: { lte: { betaMw: -1 } } }));
    assert.throws(() => loadRadioProfiles(bad), /bad\.json: profile "lte"/);
    await writeFile(bad, JSON.stringify({ profiles: { newlink: { betaMw: 1 } } }));
    assert.throws(() => loadRadioProfiles(bad), /profile "newlink"/);
    assert.throws(() => loadRadioProfiles(join(root, 'missing.json')), /cannot read/);
  });
});

describe('radio energy of one transfer', () => {
  it('LTE from idle: promotion + transfer + full tail (hand-computed)', opts, () => {
    const e = radioEnergy('lte', small);
    assert.equal(e.method, 'modeled');
    assert.equal(e.profile, 'lte');
    assert.match(e.source, /Huang/);
    close(e.breakdown.transfer, LTE_TRANSFER);
    close(e.breakdown.transfer, 0.0053453467, 1e-9);
    close(e.breakdown.promotion, LTE_PROMOTION);
    close(e.breakdown.tail, LTE_TAIL);
    close(e.joules, 12.590808417, 1e-8);
    close(e.durationsMs.transfer, LTE_TRANSFER_MS);
    assert.equal(e.durationsMs.promotion, 260.1);
    assert.equal(e.durationsMs.tail, 11576);
  });

  it('no promotion while the radio is still in its tail', opts, () => {
    const warm = radioEnergy('lte', { ...small, idleBeforeMs: 5000 });
    assert.equal(warm.breakdown.promotion, 0);
    const cold = radioEnergy('lte', { ...small, idleBeforeMs: 11576 });
    close(cold.breakdown.promotion, LTE_PROMOTION);
  });

  it('WiFi and ethernet numbers', opts, () => {
    const wifi = radioEnergy('wifi', small);
    close(wifi.breakdown.transfer, 0.28317 * 0.008 + 0.13701 * 0.0008 + 0.13286 * (0.008 / 6 + 0.0008 / 13));
    close(wifi.breakdown.promotion, 0.1244 * 0.0791);
    close(wifi.breakdown.tail, 0.1193 * 0.2381);
    const eth = radioEnergy('ethernet', {
      bytesUp: 125_000,
      bytesDown: 0,
      uplinkMbps: 1000,
      downlinkMbps: 1000,
    });
    close(eth.joules, 0.3 * 0.001); // 1 Mbit at 1000 Mbps = 1 ms at 300 mW
  });

  it('zero bytes need no rate; bytes without a positive rate are an error', opts, () => {
    const e = radioEnergy('lte', {
      bytesUp: 0,
      bytesDown: 0,
      uplinkMbps: 0,
      downlinkMbps: 0,
      idleBeforeMs: 0,
    });
    assert.equal(e.breakdown.transfer, 0);
    assert.throws(() => radioEnergy('lte', { ...small, uplinkMbps: 0 }), RangeError);
  });
});

describe('stateful radio model: the tail is shared, not charged twice', () => {
  it('charges each transfer its tail up to the next transfer start', opts, () => {
    const settled: SettledRadioEnergy[] = [];
    const m = createRadioEnergyModel('lte', { onSettled: (e) => settled.push(e) });
    const a = m.transfer({ ...small, startMs: 0 });
    close(a.endMs, 260.1 + LTE_TRANSFER_MS, 1e-9);
    close(a.breakdown.tail, LTE_TAIL); // provisional: full tail
    assert.equal(settled.length, 0);

    const b = m.transfer({ ...small, startMs: a.endMs + 2000 }); // inside a's tail
    assert.equal(settled.length, 1);
    const aFinal = settled[0]!;
    close(aFinal.breakdown.tail, 1.06 * 2);
    assert.equal(aFinal.durationsMs.tail, 2000);
    close(aFinal.joules, LTE_PROMOTION + LTE_TRANSFER + 2.12);
    assert.equal(b.breakdown.promotion, 0, 'b starts in the tail: no promotion');

    const bFinal = m.settle();
    assert.ok(bFinal);
    close(bFinal.breakdown.tail, LTE_TAIL);
    assert.equal(m.settle(), undefined);
    // Total = one promotion, two transfers, 2 s of shared tail, one full tail: nothing charged twice.
    close(aFinal.joules + bFinal.joules, LTE_PROMOTION + 2 * LTE_TRANSFER + 2.12 + LTE_TAIL, 1e-9);

    const c = m.transfer({ ...small, startMs: bFinal.endMs + 20_000 }); // radio went idle
    close(c.breakdown.promotion, LTE_PROMOTION);
  });

  it('a transfer that starts before the previous one ended leaves it no tail', opts, () => {
    const settled: SettledRadioEnergy[] = [];
    const m = createRadioEnergyModel('wifi', { onSettled: (e) => settled.push(e) });
    m.transfer({ bytesUp: 1_000_000, bytesDown: 0, uplinkMbps: 8, downlinkMbps: 8, startMs: 0 }); // 1 s long
    m.transfer({ ...small, startMs: 500 });
    assert.equal(settled[0]!.breakdown.tail, 0);
  });
});
