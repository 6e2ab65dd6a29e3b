// @ts-check
// One session worker: loads every model of the pool, then runs its jobs one at a time, in order.
// ONNX Runtime's run() blocks the thread it is called on, which is why it lives here.
// Plain JavaScript (types in JSDoc, checked by tsc) so that Node starts it with no loader: workers
// do not inherit the TypeScript loader of `tsx` or `node --import tsx` on Node 20
// (privatenumber/tsx#354, nodejs/node#47747), and registering one in every worker cost about
// 0.2 s of CPU per worker start.
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';

/** @typedef {import('./tensor-batch.js').TensorMap} TensorMap */
/** @typedef {import('./worker-protocol.js').FromWorker} FromWorker */
/** @typedef {import('./worker-protocol.js').LoadFailureCode} LoadFailureCode */
/** @typedef {import('./worker-protocol.js').RunRequest} RunRequest */
/** @typedef {import('./worker-protocol.js').ToWorker} ToWorker */
/** @typedef {import('./worker-protocol.js').WorkerInit} WorkerInit */
/** @typedef {import('./worker-protocol.js').WorkerModel} WorkerModel */

const port = /** @type {import('node:worker_threads').MessagePort} */ (parentPort);
const init = /** @type {WorkerInit} */ (workerData);
/** @type {Map<string, ort.InferenceSession>} */
const sessions = new Map();
/** Loading models (1) or jobs not yet answered: native code may be on the stack, so exiting waits. */
let busy = 1;
let stopping = false;
let crashNext = false;

/** @type {(message: FromWorker, transfer?: ArrayBuffer[]) => void} */
const post = (message, transfer = []) => port.postMessage(message, transfer);
/** @type {(error: unknown) => string} */
const describe = (error) => (error instanceof Error ? error.message : String(error));

class LoadFailure extends Error {
  /**
   * @param {LoadFailureCode} code
   * @param {string} message
   */
  constructor(code, message) {
    super(message);
    /** @readonly */
    this.code = code;
  }
}

/**
 * @param {WorkerModel} model
 * @returns {Promise<string | Uint8Array>}
 */
async function modelSource(model) {
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

async function loadModels() {
  /** @type {ort.InferenceSession.SessionOptions} */
  const options = {
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

/**
 * Whether the buffer behind `data` can be handed over whole, instead of copied.
 * @param {Float32Array} data
 * @returns {data is Float32Array<ArrayBuffer>}
 */
function transferable(data) {
  return (
    data.buffer instanceof ArrayBuffer && data.byteOffset === 0 && data.byteLength === data.buffer.byteLength
  );
}

/** @param {RunRequest} message */
async function run(message) {
  if (crashNext) {
    // Outside any promise chain, so it is an uncaught exception, as a real crash would be.
    setImmediate(() => {
      throw new Error('crash requested for testing');
    });
    return;
  }
  const session = sessions.get(message.key);
  if (session === undefined) throw new Error(`no model "${message.key}" in this worker`);
  /** @type {Record<string, ort.Tensor>} */
  const feeds = {};
  for (const [name, tensor] of Object.entries(message.feeds)) {
    feeds[name] = new ort.Tensor('float32', tensor.data, tensor.dims);
  }
  const results = await session.run(feeds);
  /** @type {TensorMap} */
  const outputs = {};
  /** @type {Set<ArrayBuffer>} */
  const transfer = new Set();
  for (const [name, tensor] of Object.entries(results)) {
    if (tensor.type !== 'float32')
      throw new Error(`output "${name}" is ${tensor.type}; only float32 is supported`);
    const data = /** @type {Float32Array} */ (tensor.data);
    outputs[name] = { data, dims: [...tensor.dims] };
    if (transferable(data)) transfer.add(data.buffer);
  }
  post({ type: 'result', id: message.id, outputs }, [...transfer]);
}

/** Releases the sessions and ends the thread, from JavaScript, with no native call in flight. */
async function exitWhenIdle() {
  if (busy > 0 || !stopping) return;
  for (const session of sessions.values()) await session.release().catch(() => {});
  process.exit(0);
}

port.on('message', (/** @type {ToWorker} */ message) => {
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
        .catch((/** @type {unknown} */ error) => post({ type: 'failed', id: message.id, message: describe(error) }))
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
