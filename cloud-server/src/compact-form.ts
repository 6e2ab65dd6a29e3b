// The compact form of InferRequest/InferResponse (docs/wire-format.md, "Compact form"): a numeric
// id scoped to the stream, the stream's defaults set once in its metadata, and an answer of id,
// label, score and one timing field. A request with `id` > 0 is compact and is answered so; a
// request with a `request_id` string gets the legacy answer, so old agents keep working.
import {
  BUNDLE_METADATA_KEY,
  type InferError,
  type InferRequest__Output,
  type InferResponse,
  type InferResult,
} from '@cleave/wire';
import { Metadata } from '@grpc/grpc-js';

/** The stream's default per-request budget, ms; a request's own timeout_ms overrides it. */
export const TIMEOUT_METADATA_KEY = 'cleave-timeout-ms';
/** "1": every answer on the stream carries its logits. */
export const LOGITS_METADATA_KEY = 'cleave-logits';
/** The agent's name for this stream, e.g. "3f9a1c-2"; the access log writes ids as TAG/ID. */
export const STREAM_TAG_METADATA_KEY = 'cleave-stream';
/** The server's initial metadata on a stream that asked for bundles. */
export function bundleAnnouncement(): Metadata {
  const m = new Metadata();
  m.set(BUNDLE_METADATA_KEY, '1');
  return m;
}

/** In `parameters` of a retried request: the TAG/ID it had on its first stream. */
export const RETRY_OF_PARAMETER = 'cleave-retry-of';

export interface StreamDefaults {
  timeoutMs: number;
  logits: boolean;
  tag: string | undefined;
}

const text = (metadata: Metadata, key: string): string | undefined => {
  const v = metadata.get(key)[0];
  return typeof v === 'string' && v !== '' ? v : undefined;
};

export function streamDefaultsOf(metadata: Metadata): StreamDefaults {
  const timeout = Number(text(metadata, TIMEOUT_METADATA_KEY) ?? 0);
  return {
    timeoutMs: Number.isInteger(timeout) && timeout > 0 ? timeout : 0,
    logits: text(metadata, LOGITS_METADATA_KEY) === '1',
    tag: text(metadata, STREAM_TAG_METADATA_KEY),
  };
}

export const isCompact = (req: InferRequest__Output): boolean => req.id > 0;

/** The key a request is known by on its stream: its numeric id, or its request_id string. */
export const streamKeyOf = (req: InferRequest__Output): string =>
  isCompact(req) ? `#${req.id}` : req.request_id;

/**
 * The same key without building a string for the compact form: the id itself (a number never
 * equals a request_id string, so the two forms cannot collide). '' for neither.
 */
export const pendingKeyOf = (req: InferRequest__Output): number | string =>
  isCompact(req) ? req.id : req.request_id;

/** Per stream: the model named in the last compact answer, so it is sent only when it changes. */
export interface CompactStreamState {
  lastModel: string | undefined;
  /** The name and version behind lastModel, so an answer from the same model builds no string. */
  lastName?: string;
  lastVersion?: string;
  logits: boolean;
}

/**
 * The answer to `req` in the form it was asked in. Compact: only non-default fields are set,
 * since protobufjs writes every field present in the object, zeros included.
 */
export function answerOf(
  req: InferRequest__Output,
  outcome: { result: InferResult } | { error: InferError },
  stream: CompactStreamState,
): InferResponse {
  if (!isCompact(req)) return { request_id: req.request_id, ...outcome };
  if ('error' in outcome) return { id: req.id, error: outcome.error };
  const r = outcome.result;
  const res: InferResponse = { id: req.id };
  if (r.label) res.label = r.label;
  const scoreE4 = Math.round(Number(r.score ?? 0) * 10_000);
  if (scoreE4 > 0) res.score_e4 = scoreE4;
  // 100 µs units, rounded up: the varint stays at 2 bytes up to 1.6 s of server time.
  const serverUs = Number(r.timing?.total_us ?? 0);
  if (serverUs > 0) res.server_100us = Math.min(Math.ceil(serverUs / 100), 0xffffffff);
  if ((req.want_logits || stream.logits) && r.logits) res.logits = r.logits;
  const name = String(r.model_name);
  const version = String(r.model_version);
  if (name !== stream.lastName || version !== stream.lastVersion) {
    const model = `${name}@${version}`;
    if (model !== stream.lastModel) res.model = model;
    stream.lastModel = model;
    stream.lastName = name;
    stream.lastVersion = version;
  }
  return res;
}
