// Stream metrics through @opentelemetry/api: frames per source by outcome (`cleave.stream.frames`),
// the frame age from capture to answer (`cleave.stream.frame_age`), reconnections, and whether each
// source is streaming now (`cleave.stream.up`, observed from the hub's state).
import { instrumentCache, METRIC } from '@cleave/telemetry';
import type { MeterProvider } from '@opentelemetry/api';

export type FrameOutcome = 'in' | 'answered' | 'skipped' | 'dropped' | 'failed' | 'capped';

function createInstruments(provider: MeterProvider) {
  const meter = provider.getMeter('@cleave/edge-agent');
  return {
    meter,
    frames: meter.createCounter(METRIC.streamFrames, {
      description:
        'Stream frames by source and outcome: in (admitted), answered (cascade), skipped (unchanged), dropped (latest wins), failed, capped (over --fps)',
    }),
    age: meter.createHistogram(METRIC.streamFrameAge, {
      description: 'Time from a frame being read from its source to its answer',
      unit: 's',
      advice: {
        explicitBucketBoundaries: [
          0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10,
        ],
      },
    }),
    reconnects: meter.createCounter(METRIC.streamReconnects, {
      description: 'Times a stream source was opened again after it was lost',
    }),
  };
}

const instruments = instrumentCache(createInstruments);

export function recordFrame(source: string, outcome: FrameOutcome): void {
  instruments().frames.add(1, { source, outcome });
}

export function recordFrameAge(source: string, ageMs: number, answeredBy: string): void {
  instruments().age.record(ageMs / 1000, { source, answered_by: answeredBy });
}

export function recordReconnect(source: string): void {
  instruments().reconnects.add(1, { source });
}

/** Reports 1 for each streaming source and 0 for the others at each collection; returns stop. */
export function observeSourceStates(states: () => Array<{ id: string; state: string }>): () => void {
  const gauge = instruments().meter.createObservableGauge(METRIC.streamUp, {
    description: 'Whether a stream source is delivering frames now (1) or not (0), with its state',
  });
  const callback = (result: { observe(v: number, a: Record<string, string>): void }) => {
    for (const s of states())
      result.observe(s.state === 'streaming' ? 1 : 0, { source: s.id, state: s.state });
  };
  gauge.addCallback(callback);
  return () => gauge.removeCallback(callback);
}
