// Exact serialized size of an InferRequest on the wire: the protobuf message plus gRPC's
// 5-byte length prefix. Counted from the same fields grpc-js serializes, so rate figures are
// bytes sent, not tensor sizes (a unit test checks it against the real serializer).
import { IP_TCP_HEADER_BYTES } from '@cleave/wire';

const GRPC_PREFIX_BYTES = 5;

/** The 9-byte HTTP/2 frame header of the DATA frame that carries each message. */
export const HTTP2_DATA_FRAME_HEADER_BYTES = 9;
/** IPv4 + TCP headers without options, per segment (the proxy's figure, @cleave/wire). */
export { IP_TCP_HEADER_BYTES };

/**
 * The bytes one message costs at the socket, IP and TCP headers included: the message, its DATA
 * frame header and one segment's headers. That is what `cleave bench wire` counts per offload
 * through its proxy for a lone request (docs/wire-format.md, "Bytes at the socket"); the radio
 * model charges these bytes. With many requests in flight the server's answers of one turn
 * share DATA frames and segments, so for answers this is an upper bound.
 */
export const socketBytesOf = (messageBytes: number): number =>
  messageBytes + HTTP2_DATA_FRAME_HEADER_BYTES + IP_TCP_HEADER_BYTES;

export function varintLength(value: number): number {
  let n = 1;
  let v = value;
  while (v >= 0x80) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

// protobufjs (under @grpc/proto-loader) writes every field present in the object, defaults
// included, and the client always sets all three.
function lengthDelimited(byteLength: number): number {
  return 1 + varintLength(byteLength) + byteLength;
}

/**
 * Bytes of one InferRequest {request_id, frame, timeout_ms, parameters} as sent, including the
 * gRPC prefix. Each map entry is a nested message {key = 1, value = 2}.
 */
export function inferRequestWireBytes(
  requestId: string,
  frameBytes: number,
  timeoutMs: number,
  parameters: Readonly<Record<string, string>> = {},
): number {
  const idBytes = Buffer.byteLength(requestId, 'utf8');
  let entries = 0;
  for (const [k, v] of Object.entries(parameters)) {
    entries += lengthDelimited(
      lengthDelimited(Buffer.byteLength(k, 'utf8')) + lengthDelimited(Buffer.byteLength(v, 'utf8')),
    );
  }
  return (
    GRPC_PREFIX_BYTES +
    lengthDelimited(idBytes) +
    lengthDelimited(frameBytes) +
    1 +
    varintLength(timeoutMs) +
    entries
  );
}

/** The fields of a compact InferRequest (docs/wire-format.md, "Compact form"). */
export interface CompactRequestFields {
  /** The stream-scoped numeric id, > 0. */
  id: number;
  frameBytes: number;
  /** Sent only when it differs from the stream's default; 0 = not sent. */
  timeoutMs?: number;
  /** Bytes of the binary trace context (26) on a sampled request; 0 = not sent. */
  traceBytes?: number;
  wantLogits?: boolean;
  parameters?: Readonly<Record<string, string>>;
}

/**
 * Bytes of one compact InferRequest as sent, including the gRPC prefix. The agent leaves absent
 * what it does not send (protobufjs writes every field present, zeros included).
 */
export function compactRequestWireBytes(f: CompactRequestFields): number {
  let n = GRPC_PREFIX_BYTES + 1 + varintLength(f.id) + lengthDelimited(f.frameBytes);
  if (f.timeoutMs) n += 1 + varintLength(f.timeoutMs);
  if (f.traceBytes) n += lengthDelimited(f.traceBytes);
  if (f.wantLogits) n += 2;
  for (const [k, v] of Object.entries(f.parameters ?? {})) {
    n += lengthDelimited(
      lengthDelimited(Buffer.byteLength(k, 'utf8')) + lengthDelimited(Buffer.byteLength(v, 'utf8')),
    );
  }
  return n;
}

/**
 * The most requests, and bytes, one bundle carries: well under any server's message limit (grpc-js
 * takes 4 MiB by default); a request larger than the byte cap goes alone.
 */
export const MAX_BUNDLE_REQUESTS = 256;
export const MAX_BUNDLE_BYTES = 64 * 1024;

/**
 * How the requests written in one turn (their sizes, each as it would be sent alone) leave: runs
 * of consecutive indices, each one message: up to MAX_BUNDLE_REQUESTS and MAX_BUNDLE_BYTES, and
 * at least one request.
 */
export function packTurn(sizes: readonly number[]): number[][] {
  const parts: number[][] = [];
  for (let i = 0; i < sizes.length; ) {
    const part = [i];
    let bytes = sizes[i++]!;
    while (i < sizes.length && part.length < MAX_BUNDLE_REQUESTS && bytes + sizes[i]! <= MAX_BUNDLE_BYTES) {
      bytes += sizes[i]!;
      part.push(i++);
    }
    parts.push(part);
  }
  return parts;
}

/** What each of these requests pays when they leave as one message: alone, or as a bundle. */
export function messageShares(messageBytes: readonly number[]): { message: number; socket: number }[] {
  if (messageBytes.length !== 1) return bundleShares(messageBytes);
  const message = messageBytes[0]!;
  return [{ message, socket: socketBytesOf(message) }];
}

/**
 * Each message's share of one bundle (docs/wire-format.md, "Bundles") that carries messages of
 * these sizes (each as it would be sent alone, gRPC prefix included): its body inside the bundle
 * (field tag, length, body) plus an equal part of the bundle's own prefix, so the shares sum to
 * the bundle's bytes. `socket` adds an equal part of its DATA frame and IP/TCP headers.
 */
export function bundleShares(messageBytes: readonly number[]): { message: number; socket: number }[] {
  const k = messageBytes.length;
  const overhead = GRPC_PREFIX_BYTES / k;
  const headers = (HTTP2_DATA_FRAME_HEADER_BYTES + IP_TCP_HEADER_BYTES) / k;
  return messageBytes.map((m) => {
    const message = lengthDelimited(m - GRPC_PREFIX_BYTES) + overhead;
    return { message, socket: message + headers };
  });
}
