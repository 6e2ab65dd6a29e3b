// gRPC handlers of cleave.v1.SplitInference.

import { startRpcCallTimer } from '@cleave/telemetry';
import {
  BUNDLE_METADATA_KEY,
  createInferError,
  grpcStatusOfCode,
  type InferRequest__Output,
  type InferResponse,
  type SplitInferenceHandlers,
} from '@cleave/wire';
import type { Metadata, ServerDuplexStream, ServerUnaryCall, sendUnaryData } from '@grpc/grpc-js';
import { status } from '@grpc/grpc-js';
import type { AccessLog } from './access-log.js';
import { IDENTITY_METADATA_KEY } from './auth.js';
import {
  answerOf,
  bundleAnnouncement,
  type CompactStreamState,
  isCompact,
  pendingKeyOf,
  RETRY_OF_PARAMETER,
  streamDefaultsOf,
  streamKeyOf,
} from './compact-form.js';
import { createDiscoveryHandlers } from './discovery-handlers.js';
import { fullModelBase, inferImage } from './full-inference.js';
import type { ModelRegistry } from './model-registry.js';
import {
  conclude,
  type Outcome,
  QueuedRequest,
  type RequestEnd,
  type StreamRequest,
} from './request-outcome.js';
import { recordFailure } from './server-metrics.js';
import { type RequestSpan, requestContext, startRequestSpan, startStreamSpan } from './server-tracing.js';
import { ServingError, ServingErrorCode } from './serving-errors.js';
import { answerWriter } from './stream-writer.js';
import {
  admitFrame,
  type DeclaredModel,
  inferFrame,
  MODEL_METADATA_KEY,
  parseDeclaredModel,
} from './tail-inference.js';

const INFER_METHOD = 'cleave.v1.SplitInference/Infer';
/** The caller the auth interceptor vouched for (none when auth is off). */
const identityOf = (metadata: Metadata) => {
  const v = metadata.get(IDENTITY_METADATA_KEY)[0];
  return typeof v === 'string' ? v : undefined;
};
const STREAM_METHOD = 'cleave.v1.SplitInference/InferStream';

export interface ServiceState {
  registry: ModelRegistry;
  maxInFlightPerStream: number;
  /** True once SIGTERM (or drain()) has been received: no new work is taken. */
  draining: () => boolean;
  /** Open InferStream calls, so a drain can close them once their requests are answered. */
  streams: Set<ServerDuplexStream<InferRequest__Output, InferResponse>>;
  /** Requests taken and not yet answered, across all calls. */
  inFlight: { count: number };
  /** One line per answer written, when the server keeps an access log. */
  accessLog?: AccessLog | undefined;
}

function deadlineOf(call: { getDeadline(): Date | number }, timeoutMs = 0): number {
  const d = call.getDeadline();
  const ms = d instanceof Date ? d.getTime() : d;
  let deadline = Number.isFinite(ms) ? performance.now() + (ms - Date.now()) : Number.POSITIVE_INFINITY;
  if (timeoutMs > 0) deadline = Math.min(deadline, performance.now() + timeoutMs);
  return deadline;
}

export function createSplitInferenceHandlers(state: ServiceState): SplitInferenceHandlers {
  const { registry } = state;
  let streamsOpened = 0;

  async function answer(
    req: InferRequest__Output,
    deadline: number,
    declared: DeclaredModel | undefined,
    span: RequestSpan,
    cancelled: () => boolean,
  ): Promise<Outcome> {
    state.inFlight.count++;
    try {
      if (state.draining()) throw new ServingError(ServingErrorCode.DRAINING, 'server is draining');
      // A call that names a full model sends input images; any other sends feature frames.
      const result =
        declared && fullModelBase(declared.name) !== undefined
          ? await inferImage(registry, declared, req.frame, deadline)
          : await inferFrame(registry, req.frame, deadline, declared);
      return conclude(span, cancelled(), { result });
    } catch (error) {
      return conclude(span, cancelled(), { thrown: error });
    } finally {
      state.inFlight.count--;
    }
  }

  return {
    Infer(
      call: ServerUnaryCall<InferRequest__Output, InferResponse>,
      callback: sendUnaryData<InferResponse>,
    ) {
      if (call.request.bundle.length > 0) {
        callback({ code: status.INVALID_ARGUMENT, details: 'a bundle is taken on InferStream only' });
        return;
      }
      const declared = parseDeclaredModel(call.metadata.get(MODEL_METADATA_KEY)[0]);
      const timer = startRpcCallTimer('server', { method: INFER_METHOD });
      const req = call.request;
      const span = startRequestSpan(
        INFER_METHOD,
        requestContext(call.metadata, req),
        identityOf(call.metadata),
      );
      const gone = () => call.cancelled;
      const defaults = streamDefaultsOf(call.metadata);
      const timeoutMs = req.timeout_ms || defaults.timeoutMs;
      void answer(req, deadlineOf(call, timeoutMs), declared, span, gone).then((outcome) => {
        const res = answerOf(req, outcome, { lastModel: undefined, logits: defaults.logits });
        // Unary calls report failure as a call status, as gRPC clients expect.
        timer.end(res.error ? (res.error.grpc_code ?? status.UNKNOWN) : status.OK);
        const result = 'result' in outcome ? outcome.result : undefined;
        state.accessLog?.answered('Infer', 0, call.getPeer(), { id: streamKeyOf(req), res, result });
        if (res.error) callback({ code: res.error.grpc_code as status, details: res.error.message });
        else callback(null, res);
      });
    },

    InferStream(call: ServerDuplexStream<InferRequest__Output, InferResponse>) {
      const pending = new Set<number | string>();
      // The stream may name its model once, in metadata, instead of every frame doing so.
      const declared = parseDeclaredModel(call.metadata.get(MODEL_METADATA_KEY)[0]);
      let halfClosed = false;
      let cancelled = false;
      let awaitingDrain = false;
      const timer = startRpcCallTimer('server', { method: STREAM_METHOD });
      const identity = identityOf(call.metadata);
      const streamNo = ++streamsOpened;
      const peer = state.accessLog ? call.getPeer() : '';
      const defaults = streamDefaultsOf(call.metadata);
      const compact: CompactStreamState = { lastModel: undefined, logits: defaults.logits };
      const streamSpan = startStreamSpan(STREAM_METHOD, call.metadata);
      /** The access log's name for a request: TAG/ID for the compact form when the stream has a tag. */
      const logId = (req: InferRequest__Output) =>
        isCompact(req) && defaults.tag ? `${defaults.tag}/${req.id}` : streamKeyOf(req);
      state.streams.add(call);
      // An agent that asks for bundles is told at once that this server takes them.
      const bundling = call.metadata.get(BUNDLE_METADATA_KEY)[0] === '1';
      if (bundling) call.sendMetadata(bundleAnnouncement());
      const writer = answerWriter(call, { bundle: bundling });
      const finish = () => {
        if (halfClosed && pending.size === 0 && !cancelled) {
          state.streams.delete(call);
          timer.end(status.OK);
          streamSpan.end(status.OK);
          call.end();
        }
      };
      const send = (req: InferRequest__Output, outcome: Outcome) => {
        if (cancelled) return;
        const res = answerOf(req, outcome, compact);
        state.accessLog?.answered('InferStream', streamNo, peer, {
          id: logId(req),
          retryOf: req.parameters?.[RETRY_OF_PARAMETER],
          res,
          result: 'result' in outcome ? outcome.result : undefined,
        });
        // Backpressure: stop reading requests until the transport takes what we wrote (one
        // 'drain' listener at a time, however many writes come back false meanwhile).
        if (!writer.write(res) && !awaitingDrain) {
          awaitingDrain = true;
          call.pause();
          writer.onceDrained(() => {
            awaitingDrain = false;
            call.resume();
          });
        }
      };
      // In-band refusals build no Error object: under overload they come by the ten thousand.
      const refuse = (req: InferRequest__Output, code: ServingErrorCode, why: string) => {
        const grpcCode = grpcStatusOfCode(code);
        recordFailure(grpcCode);
        send(req, { error: createInferError(grpcCode, why) });
      };
      /** A request's answer once it has ended: recorded, written, and the stream ended if done. */
      const ended = (r: StreamRequest, end: RequestEnd) => {
        const outcome = conclude(r.span, cancelled, end);
        state.inFlight.count--;
        pending.delete(r.key);
        streamSpan.answered(r.span.traced);
        send(r.req, outcome);
        finish();
      };
      // Feature frames (any stream but one that names a full model) wait in the batch queue as one
      // QueuedRequest each; the rest take answer()'s async path.
      const framesOnly = !(declared && fullModelBase(declared.name) !== undefined);
      const enqueue = (
        req: InferRequest__Output,
        key: number | string,
        span: RequestSpan,
        deadline: number,
      ) => {
        state.inFlight.count++;
        try {
          if (state.draining()) throw new ServingError(ServingErrorCode.DRAINING, 'server is draining');
          const arrived = performance.now();
          const { frame, model } = admitFrame(registry, req.frame, declared);
          // Legacy answers always carry the logits; compact ones when the request or stream asks.
          const withLogits = !isCompact(req) || req.want_logits || defaults.logits;
          const queued = new QueuedRequest(ended, req, key, span, model, arrived, withLogits);
          model.batcher.enqueue(frame, deadline, queued);
        } catch (error) {
          ended({ req, key, span }, { thrown: error });
        }
      };
      const take = (req: InferRequest__Output) => {
        const key = pendingKeyOf(req);
        if (key === '' || pending.has(key)) {
          const name = isCompact(req) ? `id ${req.id}` : `request_id ${req.request_id}`;
          const why = key === '' ? 'request_id is empty and id is 0' : `${name} is already in flight`;
          refuse(req, ServingErrorCode.DUPLICATE_REQUEST_ID, why);
          return;
        }
        if (pending.size >= state.maxInFlightPerStream) {
          const why = `more than ${state.maxInFlightPerStream} requests in flight on this stream`;
          refuse(req, ServingErrorCode.STREAM_LIMIT, why);
          return;
        }
        pending.add(key);
        const parent = requestContext(call.metadata, req);
        const span = startRequestSpan(STREAM_METHOD, parent, identity, streamSpan.links);
        const timeoutMs = req.timeout_ms || defaults.timeoutMs;
        if (framesOnly) {
          enqueue(req, key, span, deadlineOf(call, timeoutMs));
          return;
        }
        void answer(req, deadlineOf(call, timeoutMs), declared, span, () => cancelled).then((outcome) => {
          pending.delete(key);
          streamSpan.answered(span.traced);
          send(req, outcome);
          finish();
        });
      };
      // A bundle (docs/wire-format.md, "Bundles") is its items, each taken as if it came alone.
      call.on('data', (req: InferRequest__Output) => {
        if (req.bundle.length === 0) take(req);
        else for (const item of req.bundle) take(item);
      });
      call.on('end', () => {
        halfClosed = true;
        finish();
      });
      call.on('cancelled', () => {
        cancelled = true;
        timer.end(status.CANCELLED);
        streamSpan.end(status.CANCELLED);
        state.streams.delete(call);
      });
      call.on('error', () => {
        cancelled = true;
        timer.end(status.UNAVAILABLE);
        streamSpan.end(status.UNAVAILABLE);
        state.streams.delete(call);
      });
    },

    ...createDiscoveryHandlers(registry, state.draining),
  };
}
