// The streams under the offload client: a pool of long-lived InferStream calls ("lanes") on a
// channel that is remade every channelMaxAgeMs. It opens lanes up to the wanted count, retires
// them at maxStreamAgeMs so that replicas that appear later get their share, and picks the lane
// with the fewest unanswered requests. What travels on a lane (requests, their matching and
// retries) is the request multiplexer's, in offload-client.ts; the pool reports to it.
import { randomBytes } from 'node:crypto';
import { injectTraceContext, startRpcCallTimer } from '@cleave/telemetry';
import { BUNDLE_METADATA_KEY, type loadCleaveProto } from '@cleave/wire';
import { Metadata, status } from '@grpc/grpc-js';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { type LaneLoad, leastLoaded } from './lane-choice.js';
import {
  type Channel,
  type InferStream,
  type OffloadClientOptions,
  openChannel,
  openInferStream,
  type Received,
  targetAddress,
} from './offload-channel.js';

export interface Lane<P> extends LaneLoad {
  s: InferStream;
  channel: Channel;
  /** Requests waiting for the stream to drain. */
  backlog: P[];
  expiresAt: number;
  /** The requests sent on this stream and not yet answered, by their stream-scoped id. */
  ids: Map<number, P>;
  /** The next id on this stream (ids start at 1 on every stream, so they stay short). */
  nextId: number;
  /** The stream's name, sent as `cleave-stream`: this client's tag and the stream's number. */
  tag: string;
  /** "name@version" the server last named on this stream. */
  model: string | undefined;
  /** The server announced bundles (`cleave-bundle: 1`): this turn's requests leave as one message. */
  bundling: boolean;
  /** Requests written this turn on a bundling lane, sent together when the turn ends. */
  outbox: P[];
}

export interface LaneEvents<P> {
  data(lane: Lane<P>, received: Received): void;
  /** The stream failed or ended; the lane is still in the pool until `remove`. */
  failed(lane: Lane<P>, code: status, message: string): void;
  drain(lane: Lane<P>): void;
}

export interface LanePool<P> {
  readonly lanes: Set<Lane<P>>;
  /** The open lane with the fewest unanswered requests, not `avoid` nor on its replica. */
  pick(avoid?: Lane<P>): Lane<P>;
  /** Half-closes an idle retired lane; the server ends it (or it is cancelled after 10 s). */
  end(lane: Lane<P>): void;
  /** Takes a failed lane out; false when it was already out. */
  remove(lane: Lane<P>): boolean;
  streamsOpened(): number;
  closeChannel(): void;
}

const SETTLE_MS = 1000;
const STREAM_METHOD = 'cleave.v1.SplitInference/InferStream';

export function createLanePool<P>(
  proto: ReturnType<typeof loadCleaveProto>,
  options: OffloadClientOptions,
  events: LaneEvents<P>,
): LanePool<P> {
  const want = Math.max(1, options.streams ?? 1);
  const { host, port } = targetAddress(options.target);
  const lanes = new Set<Lane<P>>();
  // Names this client's streams in the servers' access logs: TAG-N/ID identifies a request.
  const clientTag = randomBytes(4).toString('hex');
  let opened = 0;
  let turn = 0;
  const makeChannel = () => openChannel(proto, options);
  let channel = makeChannel();
  const release = (ch: Channel) => {
    if (ch !== channel && ch.streams === 0) ch.client.close();
  };

  function end(lane: Lane<P>): void {
    lane.s.end();
    setTimeout(() => {
      if (!lanes.has(lane)) return;
      events.failed(lane, status.CANCELLED, 'retired stream not ended by the server');
      lane.s.cancel();
    }, 10_000).unref();
  }

  function open(): Lane<P> {
    const now = Date.now();
    if (options.channelMaxAgeMs && now - channel.createdAt > options.channelMaxAgeMs) {
      const old = channel;
      channel = makeChannel();
      release(old);
    }
    const ch = channel;
    const metadata = new Metadata();
    if (options.model) metadata.set('cleave-model', options.model);
    if (options.token) metadata.set('authorization', `Bearer ${options.token}`);
    const tag = `${clientTag}-${opened + 1}`;
    // Once per stream instead of once per request: the default budget, logits, and the stream's
    // own span, whose trace the requests that are not sampled join (docs/wire-format.md).
    if (options.timeoutMs) metadata.set('cleave-timeout-ms', String(options.timeoutMs));
    if (options.logits) metadata.set('cleave-logits', '1');
    // This agent reads bundled answers, and sends bundles once the server says it takes them.
    if (options.bundle !== false) metadata.set(BUNDLE_METADATA_KEY, '1');
    metadata.set('cleave-stream', tag);
    const span = trace.getTracer('@cleave/edge-agent').startSpan('cleave.stream', {
      kind: SpanKind.CLIENT,
      root: true,
      attributes: { 'rpc.system.name': 'grpc', 'rpc.method': STREAM_METHOD, 'cleave.stream.tag': tag },
    });
    injectTraceContext(metadata, trace.setSpan(ROOT_CONTEXT, span));
    const s = openInferStream(proto, ch, metadata);
    const settled = ch.readySince !== undefined && now - ch.readySince >= SETTLE_MS;
    const age = settled || want === 1 ? options.maxStreamAgeMs : SETTLE_MS;
    const lane: Lane<P> = {
      s,
      channel: ch,
      load: 0,
      backlog: [],
      blocked: false,
      retiring: false,
      peer: undefined,
      expiresAt: age ? now + age * (0.9 + Math.random() * 0.2) : Number.POSITIVE_INFINITY,
      ids: new Map(),
      nextId: 1,
      tag,
      model: undefined,
      bundling: false,
      outbox: [],
    };
    // rpc.client.call.duration measures the whole call: this stream, from open to its end.
    const call = startRpcCallTimer('client', {
      method: STREAM_METHOD,
      ...(host ? { serverAddress: host } : {}),
      ...(port ? { serverPort: port } : {}),
    });
    s.on('status', (st: { code: number; details?: string }) => {
      call.end(st.code);
      if (st.code !== status.OK) span.setStatus({ code: SpanStatusCode.ERROR, message: st.details ?? '' });
      span.setAttribute('cleave.stream.requests', lane.nextId - 1);
      span.end();
    });
    s.on('metadata', (md: Metadata) => {
      lane.peer = s.getPeer();
      lane.bundling = options.bundle !== false && md.get(BUNDLE_METADATA_KEY)[0] === '1';
    });
    s.on('data', (received: Received) => events.data(lane, received));
    s.on('error', (err: Error & { code?: number; details?: string }) => {
      events.failed(lane, (err.code ?? status.UNAVAILABLE) as status, err.details || err.message);
    });
    s.on('end', () => events.failed(lane, status.UNAVAILABLE, 'stream ended by the server'));
    s.on('drain', () => events.drain(lane));
    lanes.add(lane);
    ch.streams++;
    opened++;
    return lane;
  }

  /** The open stream with the fewest unanswered requests, not `avoid` nor on its replica. */
  function pick(avoid?: Lane<P>): Lane<P> {
    const now = Date.now();
    let live = 0;
    for (const lane of lanes) {
      if (!lane.retiring && now >= lane.expiresAt) {
        lane.retiring = true;
        if (lane.load === 0) end(lane);
      }
      if (!lane.retiring) live++;
    }
    for (; live < want; live++) open();
    const best = leastLoaded(lanes, avoid, turn);
    if (best === undefined) return open();
    turn++;
    return best;
  }

  return {
    lanes,
    pick,
    end,
    remove(lane) {
      if (!lanes.delete(lane)) return false;
      lane.channel.streams--;
      release(lane.channel);
      return true;
    },
    streamsOpened: () => opened,
    closeChannel: () => channel.client.close(),
  };
}
