// Reading KServe v2 (Open Inference Protocol) infer requests: the JSON form and Triton's binary
// tensor extension (`Inference-Header-Content-Length`: a JSON header, then raw tensor bytes).
// Feature frames are one BYTES tensor named "frame": in JSON each element is base64 (the protocol
// carries BYTES as plain strings; frames are binary, so base64 is where Cleave departs from it);
// in binary data each element is a 4-byte little-endian length and then the bytes, as in Triton.
// A full model takes its ONNX input as one FP32 tensor [N, ...input shape].
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

/** The JSON header and the binary tensor data after it (empty without the binary extension). */
export function readRequest(
  body: Buffer,
  headerLength: string | undefined,
): { request: KserveRequest; binary: Buffer } {
  if (headerLength === undefined)
    return { request: parseHeader(body.toString('utf8')), binary: Buffer.alloc(0) };
  const n = Number(headerLength);
  if (!Number.isInteger(n) || n < 0 || n > body.length) {
    throw new HttpError(
      400,
      `Inference-Header-Content-Length ${headerLength} does not fit the ${body.length}-byte body`,
    );
  }
  return { request: parseHeader(body.subarray(0, n).toString('utf8')), binary: body.subarray(n) };
}

/** The one input a model takes, checked for its name and datatype. */
function onlyInput(request: KserveRequest, name: string, datatype: string, what: string): KserveInput {
  const input = request.inputs.find((i) => i.name === name);
  if (!input || request.inputs.length !== 1)
    throw new HttpError(400, `${what} takes exactly one input, "${name}" (${datatype})`);
  if (input.datatype !== datatype)
    throw new HttpError(400, `input "${name}" must be ${datatype}, not ${String(input.datatype)}`);
  return input;
}

/** Binary data of an input, when it uses the extension: checked against binary_data_size. */
function binaryOf(input: KserveInput, binary: Buffer): Buffer | undefined {
  const size = input.parameters?.binary_data_size;
  if (size === undefined) return undefined;
  if (size !== binary.length)
    throw new HttpError(400, `binary_data_size ${size} but ${binary.length} bytes follow the header`);
  return binary;
}

/** A tail's request: its feature frames, in order, from either encoding. */
export function framesOf(request: KserveRequest, binary: Buffer): Uint8Array[] {
  const input = onlyInput(request, 'frame', 'BYTES', 'a tail model (feature frames from the head)');
  if (
    !Array.isArray(input.shape) ||
    input.shape.length !== 1 ||
    !Number.isInteger(input.shape[0]) ||
    input.shape[0]! < 1
  ) {
    throw new HttpError(400, 'input "frame" must have shape [N], N >= 1');
  }
  const count = input.shape[0]!;
  const bytes = binaryOf(input, binary);
  if (bytes) return splitBytesElements(bytes, count);
  const data = input.data;
  if (!Array.isArray(data) || data.length !== count || !data.every((d) => typeof d === 'string')) {
    throw new HttpError(400, `input "frame" needs "data": ${count} base64 strings (or binary_data_size)`);
  }
  return data.map((d: string) => Buffer.from(d, 'base64'));
}

/**
 * A full model's request: its FP32 input of shape [N, ...sampleShape], split into N samples. JSON
 * data may be flat (row-major, as the protocol says) or nested; binary data is little-endian float32.
 */
export function samplesOf(
  request: KserveRequest,
  binary: Buffer,
  spec: { inputName: string; sampleShape: readonly number[] },
): Float32Array[] {
  const input = onlyInput(request, spec.inputName, 'FP32', 'a full model');
  const want = `[N, ${spec.sampleShape.join(', ')}]`;
  const shape = input.shape;
  if (
    !Array.isArray(shape) ||
    shape.length !== spec.sampleShape.length + 1 ||
    !Number.isInteger(shape[0]) ||
    shape[0]! < 1 ||
    spec.sampleShape.some((d, i) => shape[i + 1] !== d)
  ) {
    throw new HttpError(400, `input "${spec.inputName}" must have shape ${want}, N >= 1`);
  }
  const count = shape[0]!;
  const per = spec.sampleShape.reduce((a, b) => a * b, 1);
  let values: Float32Array;
  const bytes = binaryOf(input, binary);
  if (bytes) {
    if (bytes.length !== count * per * 4)
      throw new HttpError(400, `binary data of ${want} FP32 with N = ${count} is ${count * per * 4} bytes`);
    values = new Float32Array(count * per);
    for (let i = 0; i < values.length; i++) values[i] = bytes.readFloatLE(i * 4);
  } else {
    const data = Array.isArray(input.data) ? (input.data as unknown[]).flat(spec.sampleShape.length + 1) : [];
    if (data.length !== count * per || !data.every((v) => typeof v === 'number' && Number.isFinite(v)))
      throw new HttpError(400, `input "${spec.inputName}" needs "data": ${count * per} finite numbers`);
    values = Float32Array.from(data as number[]);
  }
  return Array.from({ length: count }, (_, i) => values.slice(i * per, (i + 1) * per));
}
