// The server's InferRequest deserializer and InferResponse serializer, protobufjs alone.
//
// Requests: protobufjs's decode without proto-loader's toObject pass. toObject copies every decoded request into a plain object and, with `defaults`,
// gives each unset bytes field a Buffer of its own: for a bundle of 32 requests, some hundred
// objects per message that live until the batch is answered. The decoded message reads the same:
// a field the request does not set answers its default from the message's prototype (0, '',
// false, an empty Buffer, a frozen {} or []), which is what InferRequest__Output promises. The
// defaults are shared by every message, so they must not be written to.
import type { InferRequest__Output } from '@cleave/proto/generated/cleave/v1/InferRequest.js';
import type { InferResponse } from '@cleave/proto/generated/cleave/v1/InferResponse.js';
import protobuf from 'protobufjs';
import { PROTO_ROOT, SPLIT_INFERENCE_PROTO_FILE } from './proto-paths.js';

let cachedRoot: protobuf.Root | undefined;
let cached: protobuf.Type | undefined;
let cachedResponse: protobuf.Type | undefined;
/** Zero bytes: nothing in it to write to, so one is shared by every unset bytes field. */
const EMPTY = Buffer.alloc(0);

function splitInferenceRoot(): protobuf.Root {
  if (cachedRoot === undefined) {
    const root = new protobuf.Root();
    root.resolvePath = (_origin, target) => (target.startsWith('/') ? target : `${PROTO_ROOT}/${target}`);
    // keepCase: the field names of the .proto file, as the generated types (and proto-loader) have them.
    root.loadSync(SPLIT_INFERENCE_PROTO_FILE, { keepCase: true });
    cachedRoot = root;
  }
  return cachedRoot;
}

function inferRequestType(): protobuf.Type {
  if (cached === undefined) {
    const type = splitInferenceRoot().lookupType('cleave.v1.InferRequest');
    // protobufjs's default for an unset bytes field is a plain []; InferRequest__Output promises a
    // Buffer (as proto-loader's `defaults` gives), so the prototype answers an empty one instead.
    const prototype = type.ctor.prototype as unknown as Record<string, unknown>;
    for (const field of type.fieldsArray)
      if (field.type === 'bytes' && !field.repeated) prototype[field.name] = EMPTY;
    cached = type;
  }
  return cached;
}

/** Decodes one serialized InferRequest (a gRPC message body); throws on malformed protobuf. */
export function decodeInferRequest(message: Buffer): InferRequest__Output {
  return inferRequestType().decode(message) as unknown as InferRequest__Output;
}

/**
 * Encodes one InferResponse (a gRPC message body) with protobufjs's encode alone, without
 * proto-loader's fromObject pass, which first copies the answer (and each answer of a bundle) into
 * a message object. The two give the same bytes for what the server writes: numbers, strings,
 * number arrays and nested plain objects (these messages have no enum, which fromObject would map
 * from its name; a test compares the bytes).
 */
export function encodeInferResponse(message: InferResponse): Buffer {
  cachedResponse ??= splitInferenceRoot().lookupType('cleave.v1.InferResponse');
  return cachedResponse.encode(message as unknown as protobuf.Message).finish() as Buffer;
}
