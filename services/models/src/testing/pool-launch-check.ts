// Starts a session pool, runs one inference and prints the result as JSON. The launch test runs this
// script under `tsx` and `node --import tsx` to prove the worker threads load in both.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSessionPool } from '../session-pool.js';
import { affineModel } from './onnx-fixture.js';

const dir = await mkdtemp(join(tmpdir(), 'cleave-launch-'));
try {
  const path = join(dir, 'affine.onnx');
  const weight = Float32Array.from([1, 2, 3, 4]);
  await writeFile(path, affineModel({ weight, bias: new Float32Array(2), inFeatures: 2, outFeatures: 2 }));
  const pool = createSessionPool({ models: [{ key: 'affine', path }], workers: 2 });
  await pool.ready;
  const out = await pool.run('affine', { x: { data: Float32Array.from([1, 1]), dims: [1, 2] } });
  await pool.close();
  console.log(JSON.stringify({ y: [...(out.y?.data ?? [])], execArgv: process.execArgv }));
} finally {
  await rm(dir, { recursive: true, force: true });
}
