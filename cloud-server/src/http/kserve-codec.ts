// Reading KServe v2 (Open Inference Protocol) infer requests: the JSON form and Triton's binary
// tensor extension (`Inference-Header-Content-Length`: a JSON header, then raw tensor bytes).
// Feature frames are one BYTES tensor named "frame": in JSON each element is base64 (the protocol
// carries BYTES as plain strings; frames are binary, so base64 is where Cleave departs from it);
// in binary data each element is a 4-byte little-endian length and then the bytes, as in Triton.
import { HttpError } from '@cleave/wire';

export interface KserveInput {
  name: string;
  datatype: string;
  shape: number[];
  data?: unknown;
  parameters?: { binary_data_size?: number };
}

export interface KserveRequest {
  id?: string;
  parameters?: { timeout_ms?: number };
  inputs: KserveInput[];
}

function parseHeader(text: string): KserveRequest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'the inference request is not valid JSON');
  }
  const req = json as KserveRequest;
  if (typeof req !== 'object' || req === null || !Array.isArray(req.inputs) || req.inputs.length === 0) {
    throw new HttpError(400, 'the inference request needs a non-empty "inputs" array');
  }
  if (req.id !== undefined && typeof req.id !== 'string') throw new HttpError(400, '"id" must be a string');
  return req;
}

/** Splits BYTES binary data into its elements: each is a uint32 LE length, then that many bytes. */
function splitBytesElements(data: Buffer, count: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (at + 4 > data.length)
      throw new HttpError(400, `BYTES element ${i}: length prefix past the end of the data`);
    const length = data.readUInt32LE(at);
    at += 4;
    if (at + length > data.length)
      throw new HttpError(400, `BYTES element ${i}: ${length} bytes past the end`);
    out.push(data.subarray(at, at + length));
    at += length;
  }
  if (at !== data.length)
    throw new HttpError(400, `BYTES data has ${data.length - at} bytes after element ${count - 1}`);
  return out;
}

/** The request's feature frames, in order, from either encoding. */
export function readFrames(
  body: Buffer,
  headerLength: string | undefined,
): { request: KserveRequest; frames: Uint8Array[] } {
  let request: KserveRequest;
  let binary: Buffer = Buffer.alloc(0);
  if (headerLength !== undefined) {
    const n = Number(headerLength);
    if (!Number.isInteger(n) || n < 0 || n > body.length) {
      throw new HttpError(
        400,
        `Inference-Header-Content-Length ${headerLength} does not fit the ${body.length}-byte body`,
      );
    }
    request = parseHeader(body.subarray(0, n).toString('utf8'));
    binary = body.subarray(n);
  } else {
    request = parseHeader(body.toString('utf8'));
  }
  const input = request.inputs.find((i) => i.name === 'frame');
  if (!input || request.inputs.length !== 1) {
    throw new HttpError(
      400,
      'a tail model takes exactly one input, "frame" (BYTES): feature frames from the head',
    );
  }
  if (input.datatype !== 'BYTES')
    throw new HttpError(400, `input "frame" must be BYTES, not ${String(input.datatype)}`);
  if (
    !Array.isArray(input.shape) ||
    input.shape.length !== 1 ||
    !Number.isInteger(input.shape[0]) ||
    input.shape[0]! < 1
  ) {
    throw new HttpError(400, 'input "frame" must have shape [N], N >= 1');
  }
  const count = input.shape[0]!;
  const size = input.parameters?.binary_data_size;
  if (size !== undefined) {
    if (size !== binary.length)
      throw new HttpError(400, `binary_data_size ${size} but ${binary.length} bytes follow the header`);
    return { request, frames: splitBytesElements(binary, count) };
  }
  const data = input.data;
  if (!Array.isArray(data) || data.length !== count || !data.every((d) => typeof d === 'string')) {
    throw new HttpError(400, `input "frame" needs "data": ${count} base64 strings (or binary_data_size)`);
  }
  return { request, frames: data.map((d: string) => Buffer.from(d, 'base64')) };
}
