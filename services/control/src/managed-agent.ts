// What the control plane needs of an agent (the edge agent satisfies it; services never import
// edge-agent), and the records it publishes about it. Answer and HardExample are @cleave/models'.
import type { Answer, HardExample } from '@cleave/models';

export interface ControlledAgent {
  readonly options: { id: string; cloud: { target: string | null } };
  readonly bundle: { manifest: { name: string; version: string } };
  /** The live settings as a full patch, plus `bundle` and `effective` (which are not settings). */
  liveConfig(): object;
  /** Applies a full settings patch; throws (and changes nothing) when refused. */
  reconfigure(patch: Record<string, unknown>): unknown;
  /** Loads, self-tests and swaps in the bundle in `dir`; throws and keeps the old one on failure. */
  swapBundle(dir: string): Promise<{ to: { name: string; version: string }; selfTest: unknown }>;
  stats(): {
    requests: number;
    answeredBy: Record<string, number>;
    degraded: number;
    frameBytes: number;
    wireBytes: number;
    energy: { computeMj: number; radioMj: number } | null;
  };
  onAnswer(listener: (answer: Answer) => void): () => void;
  onHardExample(listener: (example: HardExample) => void): () => void;
}

/** One telemetry record per answer, on `cleave.telemetry.ID`. */
export interface TelemetryRecord {
  agent: string;
  /** Answers counted by this process, from 1; with `boot`, unique per agent. */
  seq: number;
  boot: string;
  time: string;
  model: string;
  source: string;
  mode: string;
  degraded: boolean;
  label: number;
  stage: string;
  score: number;
  latencyMs: number;
  frameBytes: number;
  wireBytes: number;
  energyMj: number | null;
}

export function telemetryRecord(agent: string, seq: number, boot: string, a: Answer): TelemetryRecord {
  return {
    agent,
    seq,
    boot,
    time: new Date().toISOString(),
    model: `${a.model.name}@${a.model.version}`,
    source: a.source,
    mode: a.mode,
    degraded: a.degraded,
    label: a.label,
    stage: a.gate.stage,
    score: a.gate.score,
    latencyMs: a.timings.totalMs,
    frameBytes: a.bytesSent.frame,
    wireBytes: a.bytesSent.wire,
    energyMj: a.energy?.totalMj ?? null,
  };
}

/** A hard example on `cleave.hard.ID`: labels, scores and the input (pixels or float32), base64. */
export function hardExampleRecord(agent: string, ex: HardExample) {
  const { pixels, tensor, ...rest } = ex;
  return {
    agent,
    time: new Date().toISOString(),
    ...rest,
    ...(pixels
      ? {
          pixels: {
            width: pixels.width,
            height: pixels.height,
            channels: pixels.channels,
            data: Buffer.from(pixels.data).toString('base64'),
          },
        }
      : { tensor: Buffer.from(tensor.buffer, tensor.byteOffset, tensor.byteLength).toString('base64') }),
  };
}
