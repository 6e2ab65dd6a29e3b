// What the agent returns for every request: exactly one of these. The shape is shared: the agent
// makes it, its HTTP API returns it, and the fleet control plane publishes records of it.

export const ANSWER_SOURCES = ['exit', 'dual', 'cache', 'cloud', 'fallback'] as const;
export type AnswerSource = (typeof ANSWER_SOURCES)[number];

/** How a request is routed: the full cascade, never offload, or always offload. */
export const INFERENCE_MODES = ['cascade', 'edge-only', 'cloud-only'] as const;
export type InferenceMode = (typeof INFERENCE_MODES)[number];

export interface AnswerTimings {
  totalMs: number;
  prepareMs: number;
  headMs: number;
  /** Dual CNNs A (and B when A was unsure). */
  dualMs?: number;
  /** How many dual CNNs ran: 1 (A was sure) or 2 (B ran too). */
  dualRuns?: number;
  encodeMs?: number;
  /** Round trip of the offload, from write to answer. */
  offloadMs?: number;
  /**
   * The server's own account, when the cloud answered: microseconds from the request's arrival
   * to its answer being written (the compact answer's one timing field, server_100us,
   * so to 100 µs).
   */
  server?: { totalUs: number };
}

/** The gate that decided: which stage, its score function, the score and the threshold. */
export interface GateRecord {
  stage: 'exit' | 'dual' | 'none';
  scoreFunction: string;
  score: number;
  threshold: number;
}

export interface Answer {
  label: number;
  labelName: string;
  /** Class probabilities of the stage that answered. */
  scores: number[];
  source: AnswerSource;
  mode: InferenceMode;
  /** True when the agent wanted the cloud and could not have it; the label is the best local guess. */
  degraded: boolean;
  /** Why the answer is degraded (gRPC status name and message). */
  reason?: string;
  gate: GateRecord;
  model: { name: string; version: string };
  /**
   * Frame bytes and serialized request bytes handed to the transport (0 when none was sent), and
   * those bytes at the socket: each message with its HTTP/2 DATA frame header and one segment's
   * IP+TCP headers, the per-message cost `cleave bench wire` counts through its proxy.
   */
  bytesSent: { frame: number; wire: number; socket?: number };
  /** Serialized response bytes received for the offload (with the gRPC prefix), when there was one. */
  bytesReceived?: number;
  /** The same at the socket, as bytesSent.socket. The radio model charges the socket bytes. */
  socketBytesReceived?: number;
  timings: AnswerTimings;
  /** Energy charged to this inference (absent when energy accounting is off). */
  energy?: AnswerEnergy;
}

/** One answer's energy, in millijoules, each part with the method that produced it. */
export interface AnswerEnergy {
  computeMj: number;
  computeMethod: 'measured' | 'modeled' | 'estimated';
  /** Promotion and transfer of this answer's offload; its radio tail is charged when it ends. */
  radioMj: number;
  radioMethod: 'modeled' | 'none';
  totalMj: number;
  /** The inference's own window on this machine, ms (what the compute energy covers). */
  windowMs: number;
  /** The meter (or profile) and the radio profile behind the figures. */
  meter: string;
  link: string;
}

/**
 * An offloaded input whose cloud answer disagrees with the device's best guess: kept by the agent
 * for retraining, published by the control plane.
 */
export interface HardExample {
  model: string;
  cloudLabel: number;
  localLabel: number;
  localStage: string;
  localScore: number;
  pixels?: { data: Uint8Array; width: number; height: number; channels: number };
  tensor: Float32Array;
}
