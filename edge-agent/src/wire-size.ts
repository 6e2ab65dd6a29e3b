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

/** Bytes of one InferRequest {request_id, frame, timeout_ms} as sent, including the gRPC prefix. */
export function inferRequestWireBytes(requestId: string, frameBytes: number, timeoutMs: number): number {
  const idBytes = Buffer.byteLength(requestId, 'utf8');
  return (
    GRPC_PREFIX_BYTES + lengthDelimited(idBytes) + lengthDelimited(frameBytes) + 1 + varintLength(timeoutMs)
  );
}
