// How a request ends, whichever way it got there: its metrics, its span, and the outcome it is
// answered with; and the object an InferStream request waits in a batch queue as.
import {
  createInferError,
  type InferError,
  type InferRequest__Output,
  type InferResult,
  statusOfError,
} from '@cleave/wire';
import type { BatchedResult, BatchTarget } from './dynamic-batcher.js';
import type { ServedModel } from './model-registry.js';
import { recordFailure, recordOutcome, recordResult } from './server-metrics.js';
import type { RequestSpan } from './server-tracing.js';
import { batchedAnswer } from './tail-inference.js';

export type Outcome = { result: InferResult } | { error: InferError };
/** A request's end before it is answered: the tail's result, or what it failed with. */
export type RequestEnd = { result: InferResult } | { thrown: unknown };

/**
 * Records how a request ended and ends its span. Each request lands in exactly one outcome: one
 * whose caller went away is counted as cancelled, not as a success.
 */
export function conclude(span: RequestSpan, cancelled: boolean, end: RequestEnd): Outcome {
  if ('result' in end) {
    const { result } = end;
    if (cancelled)
      recordOutcome('cancelled', { model: String(result.model_name), version: String(result.model_version) });
    else recordResult(result);
    span.end({ result });
    return { result };
  }
  const { grpc: code, message } = statusOfError(end.thrown);
  recordFailure(code);
  span.end({ code, message });
  return { error: createInferError(code, message) };
}

/** A request of one stream: what its answer needs. */
export interface StreamRequest {
  readonly req: InferRequest__Output;
  readonly key: number | string;
  readonly span: RequestSpan;
}

/**
 * An InferStream request waiting in its model's batch queue, called back by the batcher. One
 * object per request for the whole wait, in place of the promises and continuations an async
 * path holds: 2,048 requests wait about a second each in `cleave bench serve`.
 */
export class QueuedRequest implements StreamRequest, BatchTarget<Float32Array | Error> {
  private readonly ended: (r: StreamRequest, end: RequestEnd) => void;
  readonly req: InferRequest__Output;
  readonly key: number | string;
  readonly span: RequestSpan;
  private readonly model: ServedModel;
  /** performance.now() at arrival. */
  private readonly arrived: number;
  /** Whether its answer carries the logits (else they are not copied out of the batch's output). */
  private readonly withLogits: boolean;

  constructor(
    ended: (r: StreamRequest, end: RequestEnd) => void,
    req: InferRequest__Output,
    key: number | string,
    span: RequestSpan,
    model: ServedModel,
    arrived: number,
    withLogits: boolean,
  ) {
    this.ended = ended;
    this.req = req;
    this.key = key;
    this.span = span;
    this.model = model;
    this.arrived = arrived;
    this.withLogits = withLogits;
  }

  settled(out: BatchedResult<Float32Array | Error>): void {
    // A payload that did not decode into its row of the batch is refused alone (served-model.ts).
    if (out.value instanceof Error) this.ended(this, { thrown: out.value });
    else {
      const { name, version } = this.model;
      const result = batchedAnswer(
        name,
        version,
        out as BatchedResult<Float32Array>,
        this.arrived,
        this.withLogits,
      );
      this.ended(this, { result });
    }
  }

  failed(error: unknown): void {
    this.ended(this, { thrown: error });
  }
}
