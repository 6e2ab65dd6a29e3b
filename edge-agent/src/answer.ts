// What the agent returns for every request: exactly one of these.

export const ANSWER_SOURCES = ['exit', 'dual', 'cache', 'cloud', 'fallback'] as const;
export type AnswerSource = (typeof ANSWER_SOURCES)[number];

export interface AnswerTimings {
  totalMs: number;
  prepareMs: number;
  headMs: number;
  encodeMs?: number;
  /** Round trip of the offload, from write to answer. */
  offloadMs?: number;
  /** The server's own account, when the cloud answered. */
  server?: { queueUs: number; computeUs: number; totalUs: number; batchSize: number };
}

export interface Answer {
  label: number;
  labelName: string;
  /** Class probabilities of the stage that answered. */
  scores: number[];
  source: AnswerSource;
  /** True when the agent wanted the cloud and could not have it; the label is the best local guess. */
  degraded: boolean;
  /** Why the answer is degraded (gRPC status name and message). */
  reason?: string;
  /** The gate's score and the function that computed it. */
  gate: { scoreFunction: string; score: number; threshold: number };
  model: { name: string; version: string };
  /** Frame bytes and serialized request bytes actually sent (0 when answered on the device). */
  bytesSent: { frame: number; wire: number };
  timings: AnswerTimings;
}
