import assert from 'node:assert/strict';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { counterDelta, probeRapl, selectRaplZones } from './rapl.js';
import { makeTree, manualClock, removeTree, writeTree } from './test-fixtures.js';

const opts = { timeout: 20_000 };
const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-9, `${a} ≉ ${b}`);
const roots: string[] = [];
after(async () => {
  for (const r of roots) await removeTree(r);
});

const PC = 'sys/class/powercap';
const MAX = 262143328850; // a typical max_energy_range_uj on Intel parts

function zone(dir: string, name: string, energyUj: number, max = MAX): Record<string, string> {
  return {
    [`${PC}/${dir}/name`]: `${name}\n`,
    [`${PC}/${dir}/energy_uj`]: `${energyUj}\n`,
    [`${PC}/${dir}/max_energy_range_uj`]: `${max}\n`,
    [`${PC}/${dir}/enabled`]: '1\n',
  };
}

async function serverTree(extra: Record<string, string> = {}): Promise<string> {
  const root = await makeTree({
    ...zone('intel-rapl:0', 'package-0', 1_000_000),
    ...zone('intel-rapl:0:0', 'core', 500_000),
    ...zone('intel-rapl:0:1', 'uncore', 100_000),
    ...zone('intel-rapl:0:2', 'dram', 2_000_000),
    ...zone('intel-rapl:1', 'package-1', 3_000_000),
    ...zone('intel-rapl-mmio:0', 'package-0', 7_000_000),
    ...extra,
  });
  roots.push(root);
  return root;
}

describe('rapl counter arithmetic', () => {
  it('counterDelta handles wrap-around at max_energy_range_uj', opts, () => {
    assert.equal(counterDelta(100, 150, 1000), 50);
    assert.equal(counterDelta(900, 100, 1000), 200);
    assert.equal(counterDelta(MAX - 1_000_000, 2_000_000, MAX), 3_000_000);
    assert.equal(counterDelta(5, 5, 1000), 0);
  });

  it('selects package + dram zones, never core/uncore; psys alone when present', opts, () => {
    const zones = [
      { zone: 'intel-rapl:0', name: 'package-0' },
      { zone: 'intel-rapl:0:0', name: 'core' },
      { zone: 'intel-rapl:0:1', name: 'uncore' },
      { zone: 'intel-rapl:0:2', name: 'dram' },
      { zone: 'intel-rapl:1', name: 'package-1' },
    ];
    assert.deepEqual(
      selectRaplZones(zones).zones.map((z) => z.zone),
      ['intel-rapl:0', 'intel-rapl:1', 'intel-rapl:0:2'],
    );
    const withPsys = [...zones, { zone: 'intel-rapl:2', name: 'psys' }];
    assert.deepEqual(
      selectRaplZones(withPsys).zones.map((z) => z.zone),
      ['intel-rapl:2'],
    );
  });
});

describe('rapl meter over a powercap tree', () => {
  it('sums package-0, package-1 and dram (not core, uncore or the mmio duplicate)', opts, async () => {
    const root = await serverTree();
    const clock = manualClock(0);
    const { meter, diagnostics } = await probeRapl(root, clock.now);
    assert.ok(meter, JSON.stringify(diagnostics));
    assert.equal(meter.kind, 'energy');
    assert.ok(meter.kind === 'energy');
    const first = await meter.readEnergy();
    assert.equal(first.totalJoules, 0); // cumulative since the meter was created
    assert.deepEqual(
      first.domains.map((d) => d.name),
      ['package-0 (intel-rapl:0)', 'package-1 (intel-rapl:1)', 'dram (intel-rapl:0:2)'],
    );
    await writeTree(root, {
      ...zone('intel-rapl:0', 'package-0', 3_000_000), // +2 J
      ...zone('intel-rapl:0:0', 'core', 1_500_000), // +1 J (inside package: not added)
      ...zone('intel-rapl:0:2', 'dram', 2_500_000), // +0.5 J
      ...zone('intel-rapl:1', 'package-1', 4_000_000), // +1 J
      ...zone('intel-rapl-mmio:0', 'package-0', 9_000_000), // duplicate: ignored
    });
    clock.advance(1000);
    const second = await meter.readEnergy();
    close(second.totalJoules, 3.5);
    assert.equal(second.tMs, 1000);
  });

  it('unwraps a counter that wrapped between reads', opts, async () => {
    const root = await serverTree(zone('intel-rapl:0', 'package-0', MAX - 1_000_000));
    const { meter } = await probeRapl(root, () => 0);
    assert.ok(meter?.kind === 'energy');
    await meter.readEnergy();
    await writeTree(root, zone('intel-rapl:0', 'package-0', 2_000_000));
    const r = await meter.readEnergy();
    close(r.domains[0]!.joules, 3);
    await writeTree(root, zone('intel-rapl:0', 'package-0', 4_000_000));
    close((await meter.readEnergy()).domains[0]!.joules, 5); // keeps growing after the wrap
  });

  it('read() reports mean power since the previous read', opts, async () => {
    const root = await serverTree();
    const clock = manualClock(0);
    const { meter } = await probeRapl(root, clock.now);
    assert.ok(meter);
    const idle = await meter.read(); // baseline + a short real pause; counters unchanged → 0 W
    assert.equal(idle.totalWatts, 0);
    clock.advance(500);
    await writeTree(root, zone('intel-rapl:0', 'package-0', 6_000_000)); // +5 J in 0.5 s
    const busy = await meter.read();
    close(busy.totalWatts, 10);
    close(busy.rails[0]!.watts, 10);
  });

  it('psys, when present, is used alone', opts, async () => {
    const root = await serverTree(zone('intel-rapl:2', 'psys', 10_000_000));
    const { meter } = await probeRapl(root, () => 0);
    assert.ok(meter?.kind === 'energy');
    await meter.readEnergy();
    await writeTree(root, {
      ...zone('intel-rapl:2', 'psys', 17_000_000),
      ...zone('intel-rapl:0', 'package-0', 5_000_000),
    });
    const r = await meter.readEnergy();
    assert.deepEqual(
      r.domains.map((d) => d.name),
      ['psys (intel-rapl:2)'],
    );
    close(r.totalJoules, 7);
  });

  it(
    'no powercap directory → no meter; an unreadable selected zone → no meter + diagnostic',
    opts,
    async () => {
      const empty = await makeTree({ 'sys/class/.keep': '' });
      roots.push(empty);
      assert.equal((await probeRapl(empty, () => 0)).meter, undefined);

      const root = await serverTree();
      await rm(join(root, PC, 'intel-rapl:0:2', 'energy_uj'));
      await mkdir(join(root, PC, 'intel-rapl:0:2', 'energy_uj')); // EISDIR on read
      const r = await probeRapl(root, () => 0);
      assert.equal(r.meter, undefined, 'package without dram would undercount');
      assert.ok(r.diagnostics.some((d) => d.level === 'warn' && d.path?.endsWith('energy_uj')));
    },
  );
});
