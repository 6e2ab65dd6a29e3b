// Exact serialized size of an InferRequest on the wire: the protobuf message plus gRPC's
// 5-byte length prefix. Counted from the same fields grpc-js serializes, so rate figures are
// bytes sent, not tensor sizes (a unit test checks it against the real serializer).

const GRPC_PREFIX_BYTES = 5;

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
