// How `cleave agent` is told about streams: `sources:` and `stream:` in its config file, or
// `--source`, `--fps`, `--skip-distance`, `--events-jsonl` and `--events-on-change`. Validated here
// in one place; the CLI only maps flags onto these fields.
import { z } from 'zod';
import {
  createJsonlSink,
  type JsonlSink,
  labelChangesOnly,
  type StreamEventListener,
} from './stream-event.js';
import type { StreamHub } from './stream-hub.js';

export const StreamConfigSchema = z
  .object({
    /** Hamming distance of dHash within which a frame counts as unchanged; null = never skip. */
    skipDistance: z.number().int().min(0).max(64).nullable().default(2),
    /** Frames per second admitted per source at most (a source's own `fps` wins); null = all. */
    fps: z.number().positive().nullable().default(null),
    /** One JSON line per event to this file, or `-` for stdout; null = none. */
    eventsJsonl: z.string().min(1).nullable().default(null),
    /** JSONL and NATS get an event only when a source's label changes (SSE: `?changes=1`). */
    eventsOnChange: z.boolean().default(false),
  })
  .strict();
export type StreamConfig = z.output<typeof StreamConfigSchema>;

export interface StreamOutputs {
  jsonl: JsonlSink | undefined;
  close(): Promise<void>;
}

/**
 * Sends the hub's events to the JSONL file (if configured) and to `extra` (e.g. NATS), each
 * through the change-of-label filter when `eventsOnChange` is set.
 */
export function attachStreamOutputs(
  hub: StreamHub,
  config: StreamConfig,
  extra: StreamEventListener[] = [],
): StreamOutputs {
  const jsonl = config.eventsJsonl ? createJsonlSink(config.eventsJsonl) : undefined;
  const wrap = (l: StreamEventListener) => (config.eventsOnChange ? labelChangesOnly(l) : l);
  const listeners = [...(jsonl ? [jsonl.write] : []), ...extra].map(wrap);
  const unsubscribe = listeners.map((l) => hub.onEvent(l));
  return {
    jsonl,
    async close() {
      for (const u of unsubscribe) u();
      await jsonl?.close();
    },
  };
}
