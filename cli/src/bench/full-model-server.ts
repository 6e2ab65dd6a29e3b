// The cloud end of the full-offload strategies: the teacher (`full.onnx`) behind the same
// cleave.v1.SplitInference service and the same InferStream the agent's offload client speaks, so
// raw and WebP inputs travel exactly as feature frames do. `cleave serve` serves tails only (a
// frame names the head that made it), hence this small server; it has no dynamic batcher (at a
// camera's rate every batch would be 1) and refuses anything but an image of the bundle's input:
//  - exactly width × height × channels bytes: the raw 8-bit pixels;
//  - a RIFF/WEBP file of that size: decoded with sharp (lossless WebP gives the pixels back).
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { type Bundle, createSessionPool, loadBundle } from '@cleave/models';
import {
  createInferError,
  type InferRequest__Output,
  type InferResponse,
  loadCleaveProto,
  type SplitInferenceHandlers,
} from '@cleave/wire';
import {
  Server,
  ServerCredentials,
  type ServerDuplexStream,
  type sendUnaryData,
  status,
} from '@grpc/grpc-js';
import sharp from 'sharp';

export const FULL_MODEL_NAME = 'teacher-full';

class FrameError extends Error {}

function isWebp(b: Uint8Array): boolean {
  const tag = (at: number) => String.fromCharCode(...b.subarray(at, at + 4));
  return b.byteLength >= 12 && tag(0) === 'RIFF' && tag(8) === 'WEBP';
}

/** The 8-bit pixels a frame carries, or a FrameError saying why not. */
export async function framePixels(frame: Uint8Array, bundle: Bundle): Promise<Uint8Array> {
  const { width, height, channels } = bundle.manifest.input.source;
  const size = width * height * channels;
  if (frame.byteLength === size) return frame;
  if (!isWebp(frame))
    throw new FrameError(`expected ${size} raw pixel bytes or a WebP image, got ${frame.byteLength} bytes`);
  const { data, info } = await sharp(frame)
    .extractChannel(0)
    .raw()
    .toBuffer({ resolveWithObject: true })
    .catch((e: Error) => {
      throw new FrameError(`not a decodable WebP image: ${e.message}`);
    });
  if (info.width !== width || info.height !== height)
    throw new FrameError(`expected a ${width}×${height} image, got ${info.width}×${info.height}`);
  if (channels !== 1) throw new FrameError('only single-channel bundles are served here');
  return data;
}

export interface FullModelServer {
  port: number;
  close(): Promise<void>;
}

export async function startFullModelServer(options: {
  bundleDir: string;
  host: string;
  port: number;
  workers?: number;
}): Promise<FullModelServer> {
  const bundle = await loadBundle(options.bundleDir);
  const full = bundle.files.full;
  if (!full) throw new Error(`bundle ${bundle.manifest.name} has no full.onnx`);
  const m = bundle.manifest;
  const pool = createSessionPool({
    models: [{ key: 'full', path: full.path, sha256: full.sha256 }],
    workers: options.workers ?? 1,
  });
  await pool.ready;
  const { scale, mean, std } = m.input.normalization;
  const inputName = full.spec.inputs[0]!.name;
  const outputName = full.spec.outputs[0]!.name;

  async function answer(req: InferRequest__Output): Promise<InferResponse> {
    const t0 = performance.now();
    try {
      const pixels = await framePixels(req.frame, bundle);
      const data = Float32Array.from(pixels, (p) => (p * scale - mean[0]!) / std[0]!);
      const t1 = performance.now();
      const out = await pool.run('full', { [inputName]: { data, dims: [1, ...m.input.shape] } });
      const logits = Array.from(out[outputName]!.data);
      let label = 0;
      for (let k = 1; k < logits.length; k++) if (logits[k]! > logits[label]!) label = k;
      const us = (ms: number) => String(Math.round(ms * 1000));
      return {
        request_id: req.request_id,
        result: {
          model_name: FULL_MODEL_NAME,
          model_version: m.version,
          label,
          score: logits[label]!,
          logits,
          timing: {
            queue_us: us(t1 - t0),
            compute_us: us(performance.now() - t1),
            total_us: us(performance.now() - t0),
          },
          batch_size: 1,
        },
      };
    } catch (error) {
      const code = error instanceof FrameError ? status.INVALID_ARGUMENT : status.INTERNAL;
      return { request_id: req.request_id, error: createInferError(code, (error as Error).message) };
    }
  }

  const unsupported = (_call: unknown, callback: sendUnaryData<never>) =>
    callback({
      code: status.UNIMPLEMENTED,
      details: 'the bench full-model server answers Infer/InferStream only',
    });
  const handlers: SplitInferenceHandlers = {
    Infer(call, callback) {
      void answer(call.request).then((res) =>
        res.error
          ? callback({ code: res.error.grpc_code as status, details: res.error.message })
          : callback(null, res),
      );
    },
    InferStream(call: ServerDuplexStream<InferRequest__Output, InferResponse>) {
      let open = 0;
      let ended = false;
      call.on('data', (req: InferRequest__Output) => {
        open++;
        void answer(req).then((res) => {
          open--;
          if (!call.cancelled) call.write(res);
          if (ended && open === 0) call.end();
        });
      });
      call.on('end', () => {
        ended = true;
        if (open === 0) call.end();
      });
      call.on('error', () => undefined);
    },
    GetModelMetadata: unsupported,
    ListModels: (_call, callback) =>
      callback(null, { models: [{ name: FULL_MODEL_NAME, versions: [m.version], ready: true }] }),
    ServerReady: (_call, callback) => callback(null, { ready: true }),
    ModelReady: (_call, callback) => callback(null, { ready: true }),
  };
  const server = new Server({ 'grpc.max_receive_message_length': 4 * 1024 * 1024 });
  server.addService(loadCleaveProto().cleave.v1.SplitInference.service, handlers);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${options.host}:${options.port}`, ServerCredentials.createInsecure(), (e, p) =>
      e ? reject(e) : resolve(p),
    ),
  );
  return {
    port,
    async close() {
      await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
      await pool.close();
    },
  };
}

/** `cleave bench full-server --bundle DIR [--host H] [--port P] [--ready-file F]`: runs until SIGTERM. */
export async function fullServerCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      bundle: { type: 'string' },
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '0' },
      'ready-file': { type: 'string' },
    },
  });
  if (!values.bundle) throw new Error('--bundle DIR is required');
  const server = await startFullModelServer({
    bundleDir: values.bundle,
    host: values.host,
    port: Number(values.port),
  });
  if (values['ready-file']) writeFileSync(values['ready-file'], JSON.stringify({ port: server.port }));
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  await server.close();
  return 0;
}
