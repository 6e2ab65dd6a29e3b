// One session worker: loads every model of the pool, then runs its jobs one at a time, in order.
// ONNX Runtime's run() blocks the thread it is called on, which is why it lives here.
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import type { TensorMap } from './tensor-batch.js';
import type {
  FromWorker,
  LoadFailureCode,
  RunRequest,
  ToWorker,
  WorkerInit,
  WorkerModel,
} from './worker-protocol.js';

const port = parentPort!;
const init = workerData as WorkerInit;
const sessions = new Map<string, ort.InferenceSession>();
/** Loading models (1) or jobs not yet answered: native code may be on the stack, so exiting waits. */
let busy = 1;
let stopping = false;
let crashNext = false;

const post = (message: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);
const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));

class LoadFailure extends Error {
  readonly code: LoadFailureCode;
  constructor(code: LoadFailureCode, message: string) {
    super(message);
    this.code = code;
  }
}

async function modelSource(model: WorkerModel): Promise<string | Uint8Array> {
  try {
    if (!(await stat(model.path)).isFile()) throw new LoadFailure('FILE_MISSING', 'not a regular file');
  } catch (error) {
    if (error instanceof LoadFailure) throw error;
    throw new LoadFailure('FILE_MISSING', describe(error));
  }
  if (model.sha256 === undefined) return model.path;
  // Load the very bytes that were hashed, so a file swapped after verification is never run.
  const bytes = await readFile(model.path);
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== model.sha256) {
    throw new LoadFailure('HASH_MISMATCH', `sha256 is ${actual}, expected ${model.sha256}`);
  }
  return bytes;
}

async function loadModels(): Promise<void> {
  const options: ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: init.intraOpThreads,
    interOpNumThreads: 1,
    // Session config entries (onnxruntime_session_options_config_keys.h), honoured by the Node binding.
    extra: { session: { intra_op: { allow_spinning: init.intraOpSpinning ? '1' : '0' } } },
    executionProviders: init.executionProviders,
    graphOptimizationLevel: 'all',
  };
  for (const model of init.models) {
    if (stopping) return;
    try {
      const source = await modelSource(model);
      const session =
        typeof source === 'string'
          ? await ort.InferenceSession.create(source, options)
          : await ort.InferenceSession.create(source, options);
      sessions.set(model.key, session);
    } catch (error) {
      const code = error instanceof LoadFailure ? error.code : 'ONNX_INVALID';
      post({ type: 'load-failed', code, key: model.key, path: model.path, message: describe(error) });
      return;
    }
  }
  post({ type: 'ready' });
}

/** Whether the buffer behind `data` can be handed over whole, instead of copied. */
function transferable(data: Float32Array): data is Float32Array<ArrayBuffer> {
  return (
    data.buffer instanceof ArrayBuffer && data.byteOffset === 0 && data.byteLength === data.buffer.byteLength
  );
}

async function run(message: RunRequest): Promise<void> {
  if (crashNext) {
    // Outside any promise chain, so it is an uncaught exception, as a real crash would be.
    setImmediate(() => {
      throw new Error('crash requested for testing');
    });
    return;
  }
  const session = sessions.get(message.key);
  if (session === undefined) throw new Error(`no model "${message.key}" in this worker`);
  const feeds: Record<string, ort.Tensor> = {};
  for (const [name, tensor] of Object.entries(message.feeds)) {
    feeds[name] = new ort.Tensor('float32', tensor.data, tensor.dims);
  }
  const results = await session.run(feeds);
  const outputs: TensorMap = {};
  const transfer = new Set<ArrayBuffer>();
  for (const [name, tensor] of Object.entries(results)) {
    if (tensor.type !== 'float32')
      throw new Error(`output "${name}" is ${tensor.type}; only float32 is supported`);
    const data = tensor.data as Float32Array;
    outputs[name] = { data, dims: [...tensor.dims] };
    if (transferable(data)) transfer.add(data.buffer);
  }
  post({ type: 'result', id: message.id, outputs }, [...transfer]);
}

/** Releases the sessions and ends the thread, from JavaScript, with no native call in flight. */
async function exitWhenIdle(): Promise<void> {
  if (busy > 0 || !stopping) return;
  for (const session of sessions.values()) await session.release().catch(() => {});
  process.exit(0);
}

port.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'stop':
      stopping = true;
      void exitWhenIdle();
      return;
    case 'crash-for-testing':
      crashNext = true;
      return;
    case 'run':
      // Jobs queued behind this one wait in the port; ONNX Runtime's run() blocks this thread, so
      // they run one at a time, in order.
      busy++;
      run(message)
        .catch((error: unknown) => post({ type: 'failed', id: message.id, message: describe(error) }))
        .finally(() => {
          busy--;
          void exitWhenIdle();
        });
      return;
  }
});

await loadModels();
busy--;
await exitWhenIdle();
