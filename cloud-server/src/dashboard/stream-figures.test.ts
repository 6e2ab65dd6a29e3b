import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type CollectedMetrics, METRIC } from '@cleave/telemetry';
import { type StreamPolls, streamFigures } from './stream-figures.js';

const SCOPE = '@cleave/edge-agent';

function metrics(inCam: number, skipCam: number): CollectedMetrics {
  const frames = (source: string, outcome: string, value: number) => ({
    attributes: { source, outcome },
    value,
  });
  const age = (source: string, answered_by: string, counts: number[]) => ({
    attributes: { source, answered_by },
    value: counts.reduce((a, b) => a + b, 0),
    histogram: {
      boundaries: [0.01, 0.1],
      counts,
      sum: 0,
      count: counts.reduce((a, b) => a + b, 0),
    },
  });
  return {
    resource: {},
    metrics: [
      {
        name: METRIC.streamFrames,
        unit: '',
        kind: 'counter',
        scope: SCOPE,
        points: [
          frames('cam', 'in', inCam),
          frames('cam', 'answered', inCam - skipCam - 10),
          frames('cam', 'skipped', skipCam),
          frames('cam', 'dropped', 10),
          frames('door', 'in', 5),
        ],
      },
      {
        name: METRIC.streamFrameAge,
        unit: 's',
        kind: 'histogram',
        scope: SCOPE,
        points: [age('cam', 'skip', [90, 0, 0]), age('cam', 'cloud', [0, 10, 0])],
      },
      {
        name: METRIC.streamUp,
        unit: '',
        kind: 'gauge',
        scope: SCOPE,
        points: [{ attributes: { source: 'cam', state: 'streaming' }, value: 1 }],
      },
    ],
  };
}

describe('dashboard - streams', () => {
  it('dashboard - streams: totals, rates between polls, age quantiles and device share per source', () => {
    const polls: StreamPolls = new Map();
    const first = streamFigures(metrics(100, 80), polls, 1000)!;
    assert.deepEqual(
      first.map((r) => r.source),
      ['cam', 'door'],
    );
    const cam = first[0]!;
    assert.deepEqual(cam.frames, { in: 100, answered: 10, skipped: 80, dropped: 10, failed: 0 });
    assert.equal(cam.perSecond, null);
    assert.equal(cam.state, 'streaming');
    assert.equal(cam.deviceShare, 0.9);
    // p50 falls in the first bucket (0..10 ms), p99 in the second (10..100 ms).
    assert.ok(cam.ageP50Ms! > 0 && cam.ageP50Ms! <= 10);
    assert.ok(cam.ageP99Ms! > 10 && cam.ageP99Ms! <= 100);
    const second = streamFigures(metrics(160, 130), polls, 3000)!;
    assert.deepEqual(second[0]!.perSecond, { in: 30, answered: 5, skipped: 25, dropped: 0 });
    assert.equal(second[1]!.state, null);
  });

  it('dashboard - streams: absent metrics give null, not zero', () => {
    assert.equal(streamFigures({ resource: {}, metrics: [] }, new Map(), 0), null);
  });
});
