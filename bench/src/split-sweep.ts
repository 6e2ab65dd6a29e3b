// Neurosurgeon's figure: a torchvision ResNet-18 at 224×224 with random weights (exported by the
// bring-your-own-model fixture script, nothing downloaded), cut at every valid point with 8-bit
// features; latency and device energy against link bandwidth for each cut. The per-cut figures
// (head and tail time at batch 1 here, bytes of real feature frames after the codec, calibrated
// per cut) are @cleave/graph's profileCuts, and the predictions its predictCuts (`cleave profile`).
// The rate is real; accuracy is not reported (the weights are random).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { imageAt, loadFashionMnist } from '@cleave/dataset';
import { compactRequestWireBytes, radioPerOffloadMj, socketBytesOf } from '@cleave/edge-agent';
import { decodeOnnxModel, indexGraph, predictCuts, profileCuts } from '@cleave/graph';
import sharp from 'sharp';
import { busyWatts, deviceProfile } from './device-model.js';
import { REPO_ROOT } from './paths.js';

export const SWEEP_BANDWIDTHS = [0.25, 0.5, 1, 2, 5, 10, 20, 50, 100];
const SIZE = 224;
const CLASSES = 1000;
const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];
const RTT_MS = 10;
const RADIO = 'wifi';
const FPS = 10;

export interface SplitSweep {
  model: string;
  link: string;
  bandwidthsMbit: number[];
  /** The cuts, input to output, plus the two ends: the raw input sent whole, and the device alone. */
  cuts: { name: string; op: string; dims: number[]; frameBytes: number; headMs: number; tailMs: number }[];
  fullMs: number;
  /** Per device: latency and energy per cut (rows) at each bandwidth (columns), and the winners. */
  devices: Record<
    string,
    { latencyMs: number[][]; energyMj: number[][]; bestLatency: string[]; bestEnergy: string[] }
  >;
}

/** Fashion-MNIST validation images as 224×224 RGB, ImageNet-normalised. */
async function samples(count: number): Promise<Float32Array[]> {
  const data = await loadFashionMnist({ split: 'validation', limit: count });
  const out: Float32Array[] = [];
  for (let i = 0; i < data.count; i++) {
    const rgb = await sharp(imageAt(data, i), { raw: { width: 28, height: 28, channels: 1 } })
      .resize(SIZE, SIZE)
      .toColourspace('srgb')
      .raw()
      .toBuffer();
    const x = new Float32Array(3 * SIZE * SIZE);
    for (let c = 0; c < 3; c++)
      for (let p = 0; p < SIZE * SIZE; p++)
        x[c * SIZE * SIZE + p] = (rgb[p * 3 + c]! / 255 - MEAN[c]!) / STD[c]!;
    out.push(x);
  }
  return out;
}

export async function runSplitSweep(
  devices: readonly string[],
  log: (s: string) => void,
): Promise<SplitSweep> {
  const dir = mkdtempSync(join(tmpdir(), 'cleave-bench-resnet-'));
  try {
    execFileSync(
      '/usr/bin/python3',
      [
        join(REPO_ROOT, 'test', 'fixtures', 'export_torchvision.py'),
        dir,
        '--models',
        'resnet18',
        '--size',
        String(SIZE),
        '--classes',
        String(CLASSES),
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const index = indexGraph(decodeOnnxModel(readFileSync(join(dir, 'resnet18.onnx'))));
    log('split sweep: ResNet-18 exported; profiling every cut');
    const profile = await profileCuts(index, [3, SIZE, SIZE], await samples(16), { bits: 8, repeats: 5 });
    const cuts = profile.cuts.filter((p) => !p.unsendable && Number.isFinite(p.frameBytes));
    // The compact request and answer at the socket (docs/wire-format.md): what crosses the link.
    const wire = (frameBytes: number) => socketBytesOf(compactRequestWireBytes({ id: 1000, frameBytes }));
    const responseBytes = socketBytesOf(16);
    const inputBytes = 3 * SIZE * SIZE;
    const out: SplitSweep = {
      model: `torchvision resnet18, ${SIZE}×${SIZE}, ${CLASSES} classes, random weights (seed 0)`,
      link: `bandwidth swept up and down, RTT ${RTT_MS} ms, ${RADIO} radio model at a steady ${FPS} offloads/s`,
      bandwidthsMbit: SWEEP_BANDWIDTHS,
      cuts: [
        {
          name: 'input (raw image)',
          op: 'input',
          dims: [3, SIZE, SIZE],
          frameBytes: inputBytes,
          headMs: 0,
          tailMs: profile.fullMs,
        },
        ...cuts.map((p) => ({
          name: p.cut.tensor,
          op: p.cut.op,
          dims: p.featureDims,
          frameBytes: p.frameBytes,
          headMs: p.headMs,
          tailMs: p.tailMs,
        })),
        {
          name: 'device only',
          op: 'none',
          dims: [CLASSES],
          frameBytes: 0,
          headMs: profile.fullMs,
          tailMs: 0,
        },
      ],
      fullMs: profile.fullMs,
      devices: {},
    };
    for (const name of devices) {
      const dev = { name, speedFactor: deviceProfile(name).speedFactor, busyWatts: busyWatts(name) };
      const latency: number[][] = out.cuts.map(() => []);
      const energy: number[][] = out.cuts.map(() => []);
      for (const bw of SWEEP_BANDWIDTHS) {
        const link = {
          name: `${bw} Mbit/s`,
          uplinkMbps: bw,
          downlinkMbps: bw,
          rttMs: RTT_MS,
          radioMj: (up: number, down: number) =>
            radioPerOffloadMj(RADIO, { up, down }, { up: bw, down: bw }, FPS),
        };
        const inputCut = { ...cuts[0]!, headMs: 0, tailMs: profile.fullMs, frameBytes: inputBytes };
        const predicted = predictCuts([inputCut, ...cuts], dev, link, wire, responseBytes);
        predicted.forEach((p, k) => {
          latency[k]!.push(p.latencyMs);
          energy[k]!.push(p.energyMj);
        });
        const local = profile.fullMs * dev.speedFactor;
        latency[out.cuts.length - 1]!.push(local);
        energy[out.cuts.length - 1]!.push(local * dev.busyWatts);
      }
      const best = (rows: number[][]) =>
        SWEEP_BANDWIDTHS.map(
          (_, j) => out.cuts[rows.reduce((b, r, k) => (r[j]! < rows[b]![j]! ? k : b), 0)]!.name,
        );
      out.devices[name] = {
        latencyMs: latency,
        energyMj: energy,
        bestLatency: best(latency),
        bestEnergy: best(energy),
      };
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
