// Writes a bundle folder (docs/bundle-format.md): the ONNX files with their sha256 and size, and
// manifest.json; then loads it back with @cleave/models' loadBundle, so a bundle that the agent
// or the server would refuse is never left behind looking finished.
import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  type Bundle,
  type FileRole,
  loadBundle,
  MANIFEST_FILE,
  type Manifest,
  type TensorSpec,
} from '@cleave/models';

export interface BundleFileInput {
  role: FileRole;
  bytes: Uint8Array;
  macs: number;
  inputs: TensorSpec[];
  outputs: TensorSpec[];
}

/** A float32 tensor spec with a dynamic batch dimension. */
export const tensorSpec = (name: string, dims: readonly number[]): TensorSpec => ({
  name,
  shape: [-1, ...dims],
  dtype: 'float32',
});

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/**
 * Writes `files` and the manifest (`files` filled in from them) into `dir`, replacing a bundle
 * already there. Written into a sibling temporary folder first and renamed into place once it
 * loads, so `dir` never holds half a bundle.
 */
export async function writeBundle(
  dir: string,
  manifest: Omit<Manifest, 'files'>,
  files: readonly BundleFileInput[],
): Promise<Bundle> {
  mkdirSync(dirname(dir), { recursive: true });
  const staging = `${dir}.partial-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging);
  try {
    const specs = files.map((f) => {
      const path = `${f.role}.onnx`;
      writeFileSync(join(staging, path), f.bytes);
      return {
        role: f.role,
        path,
        sha256: sha256(f.bytes),
        bytes: f.bytes.length,
        macs: Math.max(0, Math.round(f.macs)),
        inputs: f.inputs,
        outputs: f.outputs,
      };
    });
    const full: Manifest = { ...manifest, files: specs };
    writeFileSync(join(staging, MANIFEST_FILE), `${JSON.stringify(full, null, 2)}\n`);
    await loadBundle(staging); // schema, rules, sizes and hashes: what the runtime checks
    rmSync(dir, { recursive: true, force: true });
    renameSync(staging, dir);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
  return loadBundle(dir);
}
