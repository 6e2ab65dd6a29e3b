// A deliberately expensive copy of a shipped bundle, for overload runs (`cleave bench stream
// --overload-minutes`, the stream overload test): its head carries a dead-weight branch (a chain
// of MatMul + Tanh over the input, multiplied by zero and added to the input), so it computes the
// very same outputs as the original head, only slower. The manifest's sha256 and size of the head
// are updated; everything else is copied as it is.
import { createHash } from 'node:crypto';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createAgent } from '@cleave/edge-agent';
import { decodeOnnxModel, encodeOnnxModel, floatTensor, makeNode } from '@cleave/graph';
import type { Manifest } from '@cleave/models';

export interface SlowHeadOptions {
  /** Width of the dead-weight layers. */
  width?: number;
  /** How many width × width MatMuls run per inference (80 × 2048²: about 45 ms on one x86 core). */
  layers?: number;
}

/** Seeded, small weights: tanh stays far from saturation and nothing overflows (0 × finite = 0). */
function weights(rows: number, cols: number, seed: number): Float32Array {
  const out = new Float32Array(rows * cols);
  let s = seed >>> 0;
  const scale = 1 / Math.sqrt(rows);
  for (let i = 0; i < out.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32 - 0.5) * 2 * scale;
  }
  return out;
}

/** Copies the bundle in `from` to `to` with a slowed head; returns `to`. */
export function makeSlowHeadBundle(from: string, to: string, options: SlowHeadOptions = {}): string {
  const width = options.width ?? 2048;
  const layers = options.layers ?? 80;
  cpSync(from, to, { recursive: true });
  const manifest = JSON.parse(readFileSync(join(to, 'manifest.json'), 'utf8')) as Manifest;
  const head = manifest.files.find((f) => f.role === 'head');
  if (!head) throw new Error(`${from}: no head in the manifest`);
  const model = decodeOnnxModel(readFileSync(join(to, head.path)));
  const graph = model.graph!;
  const input = graph.input[0]!.name;
  const slowed = `${input}__slowed`;
  for (const node of graph.node) node.input = node.input.map((n) => (n === input ? slowed : n));
  const pixels = manifest.input.shape.reduce((a, b) => a * b, 1);
  const nodes = [makeNode('Flatten', [input], ['dw_flat'], 'dw_flatten', { axis: 1 })];
  graph.initializer.push(floatTensor('dw_w0', [pixels, width], weights(pixels, width, 1)));
  nodes.push(makeNode('MatMul', ['dw_flat', 'dw_w0'], ['dw_m0'], 'dw_matmul0'));
  nodes.push(makeNode('Tanh', ['dw_m0'], ['dw_t0'], 'dw_tanh0'));
  graph.initializer.push(floatTensor('dw_w', [width, width], weights(width, width, 2)));
  for (let i = 1; i <= layers; i++) {
    nodes.push(makeNode('MatMul', [`dw_t${i - 1}`, 'dw_w'], [`dw_m${i}`], `dw_matmul${i}`));
    nodes.push(makeNode('Tanh', [`dw_m${i}`], [`dw_t${i}`], `dw_tanh${i}`));
  }
  graph.initializer.push(floatTensor('dw_zero', [1], new Float32Array([0])));
  nodes.push(makeNode('ReduceMean', [`dw_t${layers}`], ['dw_mean'], 'dw_reduce', { keepdims: 1 }));
  nodes.push(makeNode('Mul', ['dw_mean', 'dw_zero'], ['dw_nothing'], 'dw_times_zero'));
  nodes.push(makeNode('Add', [input, 'dw_nothing'], [slowed], 'dw_add'));
  graph.node = [...nodes, ...graph.node];
  const bytes = encodeOnnxModel(model);
  writeFileSync(join(to, head.path), bytes);
  head.sha256 = createHash('sha256').update(bytes).digest('hex');
  head.bytes = bytes.byteLength;
  manifest.name = `${manifest.name}-slowhead`;
  writeFileSync(join(to, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return to;
}

/**
 * A slowed bundle whose head takes about `targetMs` per inference on this machine: one made with
 * the default layers is timed through an agent, then made again with the layers scaled to fit.
 */
export async function makeSlowHeadBundleFor(from: string, dir: string, targetMs: number): Promise<string> {
  const time = async (bundleDir: string) => {
    const agent = await createAgent({
      bundleDir,
      mode: 'edge-only',
      stages: { cache: false },
      energy: { enabled: false },
    });
    try {
      const pixels = new Uint8Array(agent.bundle.manifest.input.shape.reduce((a, b) => a * b, 1));
      await agent.infer({ kind: 'pixels', data: pixels });
      const t = performance.now();
      for (let i = 0; i < 5; i++) await agent.infer({ kind: 'pixels', data: pixels });
      return (performance.now() - t) / 5;
    } finally {
      await agent.close();
    }
  };
  const probe = makeSlowHeadBundle(from, join(dir, 'slow-probe'), { layers: 40 });
  const ms = await time(probe);
  rmSync(probe, { recursive: true, force: true });
  const layers = Math.max(1, Math.round((40 * targetMs) / ms));
  return makeSlowHeadBundle(from, join(dir, 'slow'), { layers });
}
