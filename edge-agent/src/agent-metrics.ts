// The agent's metrics through @opentelemetry/api only: nothing is recorded until an entry point
// registers an SDK (the telemetry work wires exporters). Names follow DESIGN.md.

import type { Answer } from '@cleave/models';
import { instrumentCache, METRIC } from '@cleave/telemetry';
import type { MeterProvider } from '@opentelemetry/api';

function createInstruments(provider: MeterProvider) {
  const meter = provider.getMeter('@cleave/edge-agent');
  return {
    duration: meter.createHistogram(METRIC.inferenceDuration, {
      description: 'Time spent per inference stage on the device',
      unit: 's',
    }),
    payload: meter.createHistogram(METRIC.payloadSize, {
      description: 'Feature frame bytes handed to the transport per offload',
      unit: 'By',
    }),
    answers: meter.createCounter(METRIC.agentAnswers, {
      description: 'Answers by the stage that produced them',
    }),
    decisions: meter.createCounter(METRIC.policyDecisions, {
      description:
        'Offload policy decisions: offload, local for the latency or energy budget, local because sure enough, local for the open breaker, shadow probe',
    }),
    cacheLookups: meter.createCounter(METRIC.cacheLookups, {
      description: 'Result cache lookups by outcome',
    }),
  };
}

// The metrics API hands out no-op instruments until an SDK is registered, and never upgrades
// them; so instruments are (re)made whenever the global provider changes.
const instruments = instrumentCache(createInstruments);

export type PolicyDecisionName =
  | 'offload'
  | 'local-budget'
  | 'local-energy'
  | 'local-confident'
  | 'local-breaker'
  | 'probe';

export function recordDecision(decision: PolicyDecisionName): void {
  instruments().decisions.add(1, { decision });
}

export function recordCacheLookup(result: 'hit' | 'perceptual-hit' | 'miss'): void {
  instruments().cacheLookups.add(1, { result });
}

export function recordAnswer(answer: Answer): void {
  const { answers, duration, payload } = instruments();
  answers.add(1, { source: answer.source, degraded: answer.degraded, mode: answer.mode });
  const t = answer.timings;
  duration.record(t.totalMs / 1000, { stage: 'total', source: answer.source });
  duration.record(t.headMs / 1000, { stage: 'head' });
  if (t.dualMs !== undefined) duration.record(t.dualMs / 1000, { stage: 'dual' });
  if (t.encodeMs !== undefined) duration.record(t.encodeMs / 1000, { stage: 'encode' });
  if (t.offloadMs !== undefined) duration.record(t.offloadMs / 1000, { stage: 'offload' });
  if (answer.bytesSent.frame > 0) payload.record(answer.bytesSent.frame, { kind: 'frame' });
}
