// `createStreamHub(agent, options)`: the agent's camera and video sources. Each source runs on its
// own (stream-source.ts) and feeds the agent's cascade; every answer becomes an event that the hub
// hands to its listeners (SSE, NATS, JSONL). One source failing never stops another.
import type { AgentInput } from '@cleave/models';
import { z } from 'zod';
import type { Agent } from './agent.js';
import type { StreamEvent, StreamEventListener } from './stream-event.js';
import { observeSourceStates } from './stream-metrics.js';
import {
  type SourceStats,
  type StreamSource,
  type StreamSourceDeps,
  startStreamSource,
} from './stream-source.js';
import {
  type FrameFormat,
  resolveSourceSpec,
  type SourceSpec,
  SourceSpecError,
  type SourceSpecInput,
} from './stream-source-spec.js';

export const StreamOptionsSchema = z
  .object({
    /**
     * A frame whose dHash is within this Hamming distance of the last answered frame of its source
     * gets that answer without running the head; null = never skip. 0 skips only frames whose hash
     * is identical (a still scene through a lossless path); camera noise needs a few bits.
     */
    skipDistance: z.number().int().min(0).max(64).nullable().default(2),
    /** Applied to every source that sets no fps of its own; null = no cap. */
    fps: z.number().positive().nullable().default(null),
  })
  .strict();
export type StreamOptions = z.input<typeof StreamOptionsSchema>;

export interface StreamHub {
  readonly skipDistance: number | null;
  stats(): SourceStats[];
  /** Called with every answered frame of every source; returns the unsubscribe function. */
  onEvent(listener: StreamEventListener): () => void;
  /** Resolves when every source has ended, failed or been stopped. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

export interface StreamHubDeps {
  ffmpeg?: string;
  log?: StreamSourceDeps['log'];
}

/** The frame ffmpeg must produce for the bundle: its input size, gray or RGB. */
export function frameFormatOf(agent: Agent): FrameFormat {
  const { width, height, channels } = agent.bundle.manifest.input.source;
  if (channels !== 1 && channels !== 3) {
    throw new SourceSpecError('stream sources', [
      `the bundle takes ${channels} channels; streams need 1 or 3`,
    ]);
  }
  return { width, height, channels };
}

export function createStreamHub(
  agent: Agent,
  sources: readonly SourceSpecInput[],
  options: StreamOptions = {},
  deps: StreamHubDeps = {},
): StreamHub {
  const opts = StreamOptionsSchema.parse(options);
  const specs: SourceSpec[] = sources.map((s) =>
    resolveSourceSpec({ ...s, fps: s.fps === undefined ? opts.fps : s.fps }),
  );
  const ids = new Set<string>();
  for (const s of specs) {
    if (ids.has(s.id)) throw new SourceSpecError('stream sources', [`source id "${s.id}" is used twice`]);
    ids.add(s.id);
  }
  const format = frameFormatOf(agent);
  const listeners = new Set<StreamEventListener>();
  const emit = (event: StreamEvent) => {
    for (const l of listeners) {
      try {
        l(event);
      } catch {
        // A listener must never stop a source.
      }
    }
  };
  const running: StreamSource[] = specs.map((spec) =>
    startStreamSource(spec, {
      format,
      agentId: agent.options.id,
      infer: (pixels) => agent.infer({ kind: 'pixels', data: pixels } satisfies AgentInput),
      skipDistance: opts.skipDistance,
      emit,
      ...(deps.ffmpeg ? { ffmpeg: deps.ffmpeg } : {}),
      ...(deps.log ? { log: deps.log } : {}),
    }),
  );
  const stats = () => running.map((s) => s.stats());
  const stopObserving = observeSourceStates(() => stats().map((s) => ({ id: s.id, state: s.state })));
  return {
    skipDistance: opts.skipDistance,
    stats,
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    settled: async () => {
      await Promise.all(running.map((s) => s.done));
    },
    async close() {
      stopObserving();
      await Promise.all(running.map((s) => s.stop()));
      listeners.clear();
    },
  };
}
