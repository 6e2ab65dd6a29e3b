// The agent's side of InferStream, the request multiplexer: many requests in flight on a few
// long-lived bidirectional streams (the lane pool, lane-pool.ts), matched by a numeric id scoped
// to the stream (the compact form, docs/wire-format.md). Every request settles exactly once: with
// the cloud's answer, an in-band error, a deadline, or the failure of its stream after at most
// one retry.
//
// Balancing: the channel uses round_robin (grpc.service_config), so each stream is one call that
// lands on one replica behind the target (dns:///name:port re-resolved when a connection drops,
// or a static ipv4:a:p,b:q list). Requests go to the open stream with the fewest unanswered.
// Streams are recycled (maxStreamAgeMs) so that replicas that appear later, or were not yet
// connected when the first streams opened, get their share; the channel is remade every
// channelMaxAgeMs, which resolves the name afresh.

import { type InferRequest, loadCleaveProto } from '@cleave/wire';
import { status } from '@grpc/grpc-js';
import { createDeadlineTimers } from './deadline-timers.js';
import { createLanePool, type Lane as PoolLane } from './lane-pool.js';
import {
  type OffloadClient,
  type OffloadClientOptions,
  OffloadError,
  type OffloadRequestOptions,
  type OffloadResult,
  type Received,
} from './offload-channel.js';
import { compactRequestWireBytes, messageShares, packTurn, socketBytesOf } from './wire-size.js';

export {
  type CloudAnswer,
  type OffloadClient,
  type OffloadClientOptions,
  OffloadError,
  type OffloadRequestOptions,
  type OffloadResult,
  type OffloadStats,
  targetAddress,
} from './offload-channel.js';

type Lane = PoolLane<Pending>;
interface Pending {
  /** The agent's own number for the request, for its whole life (across a retry). */
  key: number;
  lane: Lane;
  /** Its id on the stream it was last written to (0 before that). */
  wireId: number;
  /** TAG/ID of its first send, which a retry names in its parameters. */
  firstSend: string | undefined;
  frame: Uint8Array;
  request: OffloadRequestOptions;
  timeoutMs: number;
  /** performance.now() when its budget runs out. */
  deadline: number;
  /** Until settled; its deadline is watched meanwhile. */
  live: boolean;
  /** Times handed to the transport; a request is sent at most twice. */
  sends: number;
  /** While it waits in its lane's outbox: the message, and its bytes were it sent alone. */
  outgoing: { req: InferRequest; bytes: number } | undefined;
  moves: number;
  wireBytes: number;
  socketBytes: number;
  resolve: (r: OffloadResult) => void;
  reject: (e: OffloadError) => void;
}

/** In a retried request's parameters: TAG/ID of its first send (cloud-server compact-form.ts). */
const RETRY_OF = 'cleave-retry-of';

/** Codes after which the request may not have reached a working replica: worth one retry. */
const RETRYABLE = new Set<status>([status.UNAVAILABLE, status.INTERNAL, status.UNKNOWN, status.CANCELLED]);

export function createOffloadClient(options: OffloadClientOptions): OffloadClient {
  const pending = new Map<number, Pending>();
  let retried = 0;
  const sent = { messages: 0, requests: 0 };
  const received = { messages: 0, answers: 0 };
  let queued = 0;
  let nextKey = 1;
  let closed = false;
  const local = { origin: 'local' } as const;
  const deadlines = createDeadlineTimers<Pending>((p) => {
    settle(p.key)?.reject(
      new OffloadError(status.DEADLINE_EXCEEDED, `no answer within ${p.timeoutMs} ms`, local),
    );
  });

  const pool = createLanePool<Pending>(loadCleaveProto(), options, {
    data: receive,
    failed: failLane,
    drain: flush,
  });
  const { lanes } = pool;

  function settle(key: number): Pending | undefined {
    const p = pending.get(key);
    if (!p) return undefined;
    pending.delete(key);
    forget(p);
    deadlines.settled(p);
    unload(p.lane);
    return p;
  }
  function unload(lane: Lane): void {
    lane.load--;
    if (lane.retiring && lane.load === 0 && lanes.has(lane)) pool.end(lane);
  }

  /** Takes the request off the stream it was written to: a late answer there is dropped. */
  function forget(p: Pending): void {
    if (p.wireId > 0 && p.lane.ids.get(p.wireId) === p) p.lane.ids.delete(p.wireId);
  }

  function write(lane: Lane, p: Pending): void {
    // A retry carries what is left of the budget, so the server drops it when that has passed.
    // Otherwise the budget is the stream's default (cleave-timeout-ms), unless this one differs.
    const timeoutMs = p.sends === 0 ? p.timeoutMs : Math.max(1, Math.ceil(p.deadline - performance.now()));
    forget(p);
    p.wireId = lane.nextId++;
    lane.ids.set(p.wireId, p);
    const req: InferRequest = { id: p.wireId, frame: p.frame };
    if (timeoutMs !== options.timeoutMs) req.timeout_ms = timeoutMs;
    if (p.request.trace) req.trace = p.request.trace;
    if (p.request.wantLogits) req.want_logits = true;
    let parameters = p.request.parameters;
    // A retry names its first send, so the servers' access logs can tell a retry from a duplicate.
    if (p.firstSend) parameters = { ...parameters, [RETRY_OF]: p.firstSend };
    else p.firstSend = `${lane.tag}/${p.wireId}`;
    if (parameters && Object.keys(parameters).length > 0) req.parameters = parameters;
    p.sends++;
    const message = compactRequestWireBytes({
      id: p.wireId,
      frameBytes: p.frame.byteLength,
      timeoutMs: req.timeout_ms ?? 0,
      traceBytes: p.request.trace?.byteLength ?? 0,
      wantLogits: req.want_logits === true,
      ...(req.parameters ? { parameters: req.parameters } : {}),
    });
    if (lane.bundling) {
      // Held until the turn ends, when the lane's outbox leaves as one message.
      if (lane.outbox.length === 0) process.nextTick(sendOutbox, lane);
      p.outgoing = { req, bytes: message };
      lane.outbox.push(p);
      return;
    }
    p.wireBytes += message;
    p.socketBytes += socketBytesOf(message);
    sent.messages++;
    sent.requests++;
    lane.blocked = !lane.s.write(req);
  }
  /** The turn's requests on a bundling lane: one alone, or as few bundles as the caps allow. */
  function sendOutbox(lane: Lane): void {
    const held = lane.outbox;
    lane.outbox = [];
    if (!lanes.has(lane)) return; // its stream failed meanwhile: failLane moves its requests
    // A request that timed out or moved before the turn ended is not sent.
    const out = held.filter((p) => p.lane === lane && pending.get(p.key) === p && p.outgoing);
    // Each part is one message: a request alone, or a bundle, each request charged its share.
    for (const indices of packTurn(out.map((p) => p.outgoing!.bytes))) {
      const part = indices.map((k) => out[k]!);
      const messages = part.map((p) => p.outgoing!);
      const shares = messageShares(messages.map((m) => m.bytes));
      part.forEach((p, j) => {
        p.wireBytes += shares[j]!.message;
        p.socketBytes += shares[j]!.socket;
      });
      for (const p of part) p.outgoing = undefined;
      const message = part.length === 1 ? messages[0]!.req : { bundle: messages.map((m) => m.req) };
      sent.messages++;
      sent.requests += part.length;
      lane.blocked = !lane.s.write(message);
    }
  }
  function place(p: Pending, lane: Lane): void {
    p.lane = lane;
    lane.load++;
    if (lane.blocked || lane.backlog.length > 0) {
      lane.backlog.push(p);
      queued++;
    } else write(lane, p);
  }
  function flush(lane: Lane): void {
    lane.blocked = false;
    while (lane.backlog.length > 0 && !lane.blocked) {
      const p = lane.backlog.shift()!;
      queued--;
      if (pending.get(p.key) === p && p.lane === lane) write(lane, p); // else timed out or moved
    }
  }

  /** Sends a request again on another stream (another replica when known), or fails it. */
  function retry(p: Pending, from: Lane, code: status, message: string): void {
    if (pending.get(p.key) !== p || p.lane !== from) return;
    const again = p.sends === 1 && RETRYABLE.has(code) && !closed && p.deadline - performance.now() > 1;
    if (p.sends >= 2 || (p.sends === 1 && !again) || p.moves >= 3) {
      settle(p.key)?.reject(new OffloadError(code, message));
      return;
    }
    forget(p);
    unload(from);
    p.moves++;
    if (p.sends === 1) retried++;
    place(p, pool.pick(from));
  }

  /** A message on a lane: one answer, or a bundle of them, each with its share of the bytes. */
  function receive(lane: Lane, message: Received): void {
    const items = message.res.bundle;
    received.messages++;
    received.answers += Math.max(1, items.length);
    if (items.length === 0) answer(lane, message);
    else {
      const bytes = message.bytes / items.length;
      const socketBytes = message.socketBytes / items.length;
      for (const res of items) answer(lane, { res, bytes, socketBytes });
    }
  }

  /** An answer on a lane: the result, an in-band error, or a draining replica's refusal. */
  function answer(lane: Lane, { res, bytes, socketBytes }: Received): void {
    // The stream names the model on its first answer and when it changes, not on every answer.
    if (res.model) lane.model = res.model;
    const p = lane.ids.get(res.id);
    if (!p || p.lane !== lane || pending.get(p.key) !== p) return; // timed out, or moved: dropped
    const e = res.error;
    if (e?.grpc_code === status.UNAVAILABLE && p.sends === 1) {
      lane.retiring = true; // a draining replica: no more requests on this stream
      retry(p, lane, status.UNAVAILABLE, e.message);
    } else if (!e) {
      settle(p.key)?.resolve({
        result: {
          label: res.label,
          score: res.score_e4 / 10_000,
          serverUs: res.server_100us * 100,
          logits: res.logits.length > 0 ? res.logits : undefined,
          model: lane.model,
        },
        wireBytes: p.wireBytes,
        responseBytes: bytes,
        socketBytes: { up: p.socketBytes, down: socketBytes },
      });
    } else {
      const code = (e.grpc_code ?? status.UNKNOWN) as status;
      settle(p.key)?.reject(new OffloadError(code, e.message || 'empty response'));
    }
  }

  function failLane(lane: Lane, code: status, message: string): void {
    if (!pool.remove(lane)) return;
    queued -= lane.backlog.length;
    lane.backlog = [];
    const hit = [...pending.values()].filter((p) => p.lane === lane);
    if (closed || hit.length === 0) {
      for (const p of hit) settle(p.key)?.reject(new OffloadError(code, message));
      return;
    }
    // Later in this turn of the loop: the other streams of a dead connection fail first, so the
    // retries go to streams that are still alive.
    setImmediate(() => {
      for (const p of hit) retry(p, lane, code, message);
    });
  }

  return {
    infer(frame, timeoutMs, request = {}) {
      if (closed)
        return Promise.reject(new OffloadError(status.CANCELLED, 'offload client is closed', local));
      if (queued >= options.maxQueuedWrites) {
        return Promise.reject(
          new OffloadError(status.RESOURCE_EXHAUSTED, `${queued} offloads already wait for the link`, local),
        );
      }
      const key = nextKey++;
      return new Promise<OffloadResult>((resolve, reject) => {
        const deadline = performance.now() + timeoutMs;
        const lane = pool.pick();
        const p: Pending = {
          key,
          lane,
          wireId: 0,
          firstSend: undefined,
          frame,
          request,
          timeoutMs,
          deadline,
          live: true,
          sends: 0,
          outgoing: undefined,
          moves: 0,
          wireBytes: 0,
          socketBytes: 0,
          resolve,
          reject,
        };
        pending.set(key, p);
        deadlines.add(p);
        place(p, lane);
      });
    },
    inFlight: () => pending.size,
    connected: () => lanes.size > 0,
    stats: () => ({
      retried,
      streamsOpened: pool.streamsOpened(),
      streamsOpen: lanes.size,
      sent: { ...sent },
      received: { ...received },
    }),
    close() {
      closed = true;
      for (const lane of [...lanes]) {
        failLane(lane, status.CANCELLED, 'offload client closed');
        lane.s.cancel();
      }
      pool.closeChannel();
    },
  };
}
