// The channel under the offload client: target, credentials, keepalive and the balancing
// policy as a gRPC service config; the client's options, interface and error type.
import { readFileSync } from 'node:fs';
import type {
  InferRequest,
  InferResponse__Output,
  loadCleaveProto,
  SplitInferenceClient,
} from '@cleave/wire';
import {
  type ChannelCredentials,
  type ChannelOptions,
  type ClientDuplexStream,
  connectivityState,
  credentials,
  type Metadata,
  type status,
} from '@grpc/grpc-js';
import { socketBytesOf } from './wire-size.js';

type CleaveProto = ReturnType<typeof loadCleaveProto>;

export class OffloadError extends Error {
  override name = 'OffloadError';
  /** gRPC status code of the failure (in-band or call-level). */
  readonly code: status;
  /** 'local': refused before it left the device (link backlog full, client closed, deadline). */
  readonly origin: 'local' | 'remote';
  constructor(code: status, message: string, options?: ErrorOptions & { origin?: 'local' | 'remote' }) {
    super(message, options);
    this.origin = options?.origin ?? 'remote';
    this.code = code;
  }
}

export interface OffloadClientOptions {
  /** host:port, or any grpc-js target: dns:///tail.example:50051, ipv4:10.0.0.1:50051,10.0.0.2:50051. */
  target: string;
  /** The model name (optionally name@version) sent once per stream as `cleave-model` metadata. */
  model?: string;
  /**
   * The stream's default per-request budget, sent once per stream as `cleave-timeout-ms`; a
   * request carries its own timeout_ms only when it differs (a retry's remaining budget).
   */
  timeoutMs?: number;
  /** Ask for the logits of every answer on the stream (`cleave-logits: 1`); else per request. */
  logits?: boolean;
  /**
   * Bundles (default true): requests written in the same turn of the event loop leave as one
   * message, and the server's answers of one turn come back as one, once the server has
   * announced that it takes them (docs/wire-format.md, "Bundles"). false: one message each.
   */
  bundle?: boolean;
  /** Writes allowed to wait for the transport's 'drain' (over all streams); more fail at once. */
  maxQueuedWrites: number;
  keepaliveTimeMs: number;
  keepaliveTimeoutMs: number;
  maxMessageBytes: number;
  /** Streams kept open; each is placed on a replica by the balancer (default 1). */
  streams?: number;
  /** grpc-js load-balancing policy (default round_robin; pick_first shuffles the addresses). */
  balancing?: 'round_robin' | 'pick_first';
  /** A stream takes no new requests after this (±10 %) and closes once answered; null = never. */
  maxStreamAgeMs?: number | null;
  /** A new channel (fresh name resolution) after this; null = never. */
  channelMaxAgeMs?: number | null;
  /** Least time between two DNS resolutions of the target (grpc-js default 30 s). */
  minResolveIntervalMs?: number;
  /** Extra grpc-js channel options, e.g. 'grpc.use_local_subchannel_pool' for a connection of its own. */
  channelOptions?: ChannelOptions;
  /** TLS to the server (PEM files); with certFile/keyFile, mutual TLS. Absent: plaintext. */
  tls?:
    | { caFile?: string | undefined; certFile?: string | undefined; keyFile?: string | undefined }
    | undefined;
  /** Bearer token sent as `authorization` metadata on each stream. */
  token?: string | undefined;
}

function channelCredentials(tls: OffloadClientOptions['tls']): ChannelCredentials {
  if (!tls) return credentials.createInsecure();
  const read = (f: string | undefined) => (f ? readFileSync(f) : null);
  return credentials.createSsl(read(tls.caFile), read(tls.keyFile), read(tls.certFile));
}

/** host and port of a target for metrics: the first address of a list, without the scheme. */
export function targetAddress(target: string): { host?: string; port?: number } {
  const first = target.replace(/^(dns:(\/\/[^/]*\/)?|ipv4:|ipv6:)/, '').split(',')[0] ?? '';
  const m = /^\[?([^\]]*?)\]?(?::(\d+))?$/.exec(first.replace(/^\/+/, ''));
  return { ...(m?.[1] ? { host: m[1] } : {}), ...(m?.[2] ? { port: Number(m[2]) } : {}) };
}

/** A cloud answer, from the compact form (docs/wire-format.md). */
export interface CloudAnswer {
  label: number;
  /** The label's softmax probability, to 1/10,000. */
  score: number;
  /** Microseconds from arrival on the server to the answer being written (to 100 µs). */
  serverUs: number;
  /** Only when asked for (the request's wantLogits, or the client's `logits`). */
  logits: number[] | undefined;
  /** "name@version" of the model that answered, as its stream last named it. */
  model: string | undefined;
}

export interface OffloadResult {
  result: CloudAnswer;
  /** Serialized request bytes handed to the transport (every attempt), incl. the gRPC prefix. */
  wireBytes: number;
  /** Serialized response bytes received, including the gRPC length prefix. */
  responseBytes: number;
  /** Those bytes at the socket, each message with its HTTP/2 and IP+TCP headers (socketBytesOf). */
  socketBytes: { up: number; down: number };
}

export interface OffloadStats {
  /** Requests sent a second time after their stream died or their replica was draining. */
  retried: number;
  /** Streams opened so far, and how many are open now. */
  streamsOpened: number;
  streamsOpen: number;
  /**
   * gRPC messages written and requests in them (more requests than messages: bundles), and
   * messages received and answers in them (docs/wire-format.md, "Bundles").
   */
  sent: { messages: number; requests: number };
  received: { messages: number; answers: number };
}

/** What travels with one request besides its frame. */
export interface OffloadRequestOptions {
  /** 26-byte binary trace context of a sampled offload span (absent when unsampled). */
  trace?: Uint8Array | undefined;
  /** Ask for this answer's logits. */
  wantLogits?: boolean;
  /** Rare options, in the request's parameters map. */
  parameters?: Record<string, string>;
}

export interface OffloadClient {
  infer(frame: Uint8Array, timeoutMs: number, request?: OffloadRequestOptions): Promise<OffloadResult>;
  /** Requests written or waiting to be written and not yet answered. */
  inFlight(): number;
  /** Whether a stream is open right now. */
  connected(): boolean;
  stats(): OffloadStats;
  close(): void;
}

export interface Channel {
  client: SplitInferenceClient;
  createdAt: number;
  /** Since when the channel has been READY (undefined while it is not). */
  readySince: number | undefined;
  /** Open streams on this channel; a replaced channel closes when the last one ends. */
  streams: number;
}

/**
 * A SplitInference client whose channel balances calls (round_robin, or pick_first over a
 * shuffled address list), starts connecting at once and records since when it is READY.
 */
export function openChannel(proto: CleaveProto, options: OffloadClientOptions): Channel {
  const client: SplitInferenceClient = new proto.cleave.v1.SplitInference(
    options.target,
    channelCredentials(options.tls),
    {
      'grpc.keepalive_time_ms': options.keepaliveTimeMs,
      'grpc.keepalive_timeout_ms': options.keepaliveTimeoutMs,
      'grpc.keepalive_permit_without_calls': 1,
      'grpc.max_send_message_length': options.maxMessageBytes,
      'grpc.max_receive_message_length': options.maxMessageBytes,
      // pick_first takes a random address, so a large fleet still spreads over the replicas
      // with one connection per agent instead of one to every replica.
      'grpc.service_config': JSON.stringify({
        loadBalancingConfig: [
          options.balancing === 'pick_first'
            ? { pick_first: { shuffleAddressList: true } }
            : { round_robin: {} },
        ],
      }),
      ...(options.minResolveIntervalMs
        ? { 'grpc.dns_min_time_between_resolutions_ms': options.minResolveIntervalMs }
        : {}),
      ...options.channelOptions,
    },
  );
  const ch: Channel = { client, createdAt: Date.now(), readySince: undefined, streams: 0 };
  // Connect now, and remember since when the channel is READY: streams opened before the
  // balancer has seen every replica connect are recycled soon, so they spread out.
  const watch = () => {
    const state = client.getChannel().getConnectivityState(true);
    if (state === connectivityState.SHUTDOWN) return;
    if (state !== connectivityState.READY) ch.readySince = undefined;
    else ch.readySince ??= Date.now();
    client.getChannel().watchConnectivityState(state, Number.POSITIVE_INFINITY, watch);
  };
  watch();
  return ch;
}

/** A response as an InferStream hands it over, with the size it had on the wire. */
export interface Received {
  res: InferResponse__Output;
  /**
   * The serialized message grpc-js decoded, plus its 5-byte gRPC length prefix; for an answer
   * out of a bundle of k, the bundle's bytes / k.
   */
  bytes: number;
  /** Its bytes at the socket (socketBytesOf), shared the same way for a bundled answer. */
  socketBytes: number;
}
export type InferStream = ClientDuplexStream<InferRequest, Received>;

/** InferStream's response deserializer, which also reports each message's size on the wire. */
export function countingDeserializer(proto: CleaveProto): (message: Buffer) => Received {
  const decode = proto.cleave.v1.SplitInference.service.InferStream.responseDeserialize;
  return (message) => {
    const bytes = message.length + 5;
    return { res: decode(message), bytes, socketBytes: socketBytesOf(bytes) };
  };
}

/**
 * InferStream on the channel, opened as the generated client's method opens it, but with the
 * received bytes counted where grpc-js hands each message to the deserializer: wire bytes
 * counted, without serializing every answer a second time to measure it.
 */
export function openInferStream(proto: CleaveProto, ch: Channel, metadata: Metadata): InferStream {
  const method = proto.cleave.v1.SplitInference.service.InferStream;
  return ch.client.makeBidiStreamRequest(
    method.path,
    method.requestSerialize,
    countingDeserializer(proto),
    metadata,
  );
}
