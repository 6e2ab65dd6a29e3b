import assert from 'node:assert/strict';
import { test } from 'node:test';
import { radioEnergy } from '@cleave/telemetry';
import { computeMj, deviceLatencyMs, radioMjPerRequest } from './accounting.js';
import { busyWatts } from './device-model.js';
import { LINK_PROFILES } from './link-profiles.js';
import type { RequestRecord } from './records.js';

const rec = (over: Partial<RequestRecord>): RequestRecord => ({
  image: 0,
  truth: 0,
  label: 0,
  source: 'cloud',
  degraded: false,
  captureMs: 0,
  latencyMs: 10,
  deviceMs: 1,
  models: [],
  codecMs: 0,
  bytesUp: 0,
  bytesDown: 0,
  sentMs: null,
  ...over,
});

test('compute is charged from the timed costs × speed factor × busy power; latency swaps device work', () => {
  const costs = { 'b/head': 0.2, 'b/encode': 0.05 };
  const r = rec({ models: ['b/head', 'b/encode'], latencyMs: 50, deviceMs: 0.4 });
  // rpi4: speed 5, busy power 2.3 + 3.1 / 4 W
  assert.ok(Math.abs(computeMj(r, 'rpi4', costs) - 0.25 * 5 * busyWatts('rpi4')) < 1e-12);
  assert.ok(Math.abs(deviceLatencyMs(r, 'rpi4', costs) - (50 - 0.4 + 0.25 * 5)) < 1e-12);
  assert.throws(() => computeMj(rec({ models: ['x/full'] }), 'rpi4', costs), /no measured cost for x\/full/);
});

test('radio: a run is one period of a camera that keeps going', () => {
  const lte = LINK_PROFILES.lte;
  // The radio is charged the socket bytes: each message + 9 B HTTP/2 + 40 B IP/TCP (socketBytesOf).
  const one = { bytesUp: 400 + 49, bytesDown: 60 + 49, uplinkMbps: 5, downlinkMbps: 5 };
  // One offload per 20-s period: the radio demotes between periods, so each pays it all.
  const lonely = [rec({ sentMs: 0, bytesUp: 400, bytesDown: 60 }), rec({})];
  const isolated = radioEnergy('lte', one).joules * 1000;
  assert.ok(Math.abs(radioMjPerRequest(lonely, lte, 20_000) - isolated / 2) < 1e-9);
  // Periods of 1 s: the tail never ends, promotion is never paid again, each tail lasts one period.
  const busy = radioMjPerRequest(lonely, lte, 1000);
  const tailPerPeriod = 1.06 * (1000 - radioEnergy('lte', one).durationsMs.transfer);
  assert.ok(
    Math.abs(
      busy * 2 -
        (isolated -
          radioEnergy('lte', one).breakdown.promotion * 1000 -
          radioEnergy('lte', one).breakdown.tail * 1000 +
          tailPerPeriod),
    ) < 1e-6,
  );
  assert.equal(radioMjPerRequest([rec({})], lte, 1000), 0);
});
