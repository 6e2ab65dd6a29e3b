// npm run bench:codec: how fast the feature codec is, per frame, on every shipped operating point
// (models/*/manifest.json) and on a 64x14x14 tensor of 8-bit codes. Each figure is the median
// of many single-frame calls, measured in the same run as a plain Float32Array copy of the same
// tensor (the floor: no codec can be faster than touching its input once). Writes
// bench-results/codec-<timestamp>.json and prints a summary.
//
// The features fed to the codec are dequantised codes drawn from the bundle's own entropy
// tables, so the coder sees traffic distributed as its prior says (the rate on real images is
// measured by test/codec/rate.test.ts, not here).
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import {
  type BottleneckCodec,
  createBottleneckCodec,
  dequantize,
  type EntropyTablesSpec,
} from '../src/index.js';
import { createRandom } from '../src/testing/seeded-random.js';
import { drawCodes, laplacianTables } from './synthetic-codes.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const SAMPLES = 256;
const ITERATIONS = Number(process.env.CODEC_BENCH_ITERATIONS ?? 20_000);
const WARMUP_MS = 300;
const GOAL_P50_US = 20;

interface Layout {
  name: string;
  shape: number[];
  bits: number;
  min: number[];
  max: number[];
  entropy: EntropyTablesSpec | undefined;
}

interface Manifest {
  name: string;
  bottleneck: {
    shape: number[];
    bits: number;
    quantization: { min: number[]; max: number[] };
    entropy?: EntropyTablesSpec;
  };
}

function shippedLayouts(): Layout[] {
  const dir = join(ROOT, 'models');
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => JSON.parse(readFileSync(join(dir, d.name, 'manifest.json'), 'utf8')) as Manifest)
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((m) => ({
      name: m.name,
      shape: m.bottleneck.shape,
      bits: m.bottleneck.bits,
      min: m.bottleneck.quantization.min,
      max: m.bottleneck.quantization.max,
      entropy: m.bottleneck.entropy,
    }));
}

/** Median and 90th percentile, in microseconds, of `ITERATIONS` timed single calls. */
function timeCalls(call: (i: number) => void): { p50Us: number; p90Us: number } {
  const warmEnd = performance.now() + WARMUP_MS;
  for (let i = 0; performance.now() < warmEnd; i++) call(i);
  const times = new Float64Array(ITERATIONS);
  for (let i = 0; i < ITERATIONS; i++) {
    const t0 = performance.now();
    call(i);
    times[i] = performance.now() - t0;
  }
  times.sort();
  const at = (q: number) => Math.round(times[Math.floor(q * (ITERATIONS - 1))]! * 1e6) / 1e3;
  return { p50Us: at(0.5), p90Us: at(0.9) };
}

interface Measurement {
  name: string;
  shape: number[];
  bits: number;
  codec: 'static' | 'adaptive';
  elementCount: number;
  meanFrameBytes: number;
  meanOverheadBytes: number;
  encode: { p50Us: number; p90Us: number };
  decode: { p50Us: number; p90Us: number };
  copyFloor: { p50Us: number; p90Us: number };
  /** Megabytes of float32 features per second at the p50 time (1 MB = 10^6 bytes). */
  encodeMBps: number;
  decodeMBps: number;
  copyMBps: number;
}

function measure(layout: Layout, codec: 'static' | 'adaptive', seed: number): Measurement {
  const { shape, bits, min, max } = layout;
  const entropy = codec === 'static' ? layout.entropy : undefined;
  const bc: BottleneckCodec = createBottleneckCodec({
    modelName: 'bench',
    modelVersion: '0',
    headSha256: '0'.repeat(64),
    bits,
    shape,
    min,
    max,
    entropy,
  });
  const n = bc.elementCount;
  const prior = layout.entropy ?? laplacianTables(shape[0]!, bits, 1);
  const random = createRandom(seed);
  const features = Array.from({ length: SAMPLES }, () =>
    dequantize(drawCodes(prior, shape, bits, random), { bits, shape, min, max }),
  );
  const frames = features.map((f) => bc.encode(f));
  const out = new Float32Array(n);
  const parsed = frames.map((f) => bc.parse(f));
  const encode = timeCalls((i) => bc.encode(features[i % SAMPLES]!));
  const decode = timeCalls((i) => bc.decode(frames[i % SAMPLES]!, out));
  const copyFloor = timeCalls((i) => out.set(features[i % SAMPLES]!));
  // bytes per microsecond = MB/s (10^6 bytes).
  const mbps = (us: number) => Math.round((n * 4) / us);
  return {
    name: layout.name,
    shape,
    bits,
    codec,
    elementCount: n,
    meanFrameBytes: frames.reduce((a, f) => a + f.length, 0) / SAMPLES,
    meanOverheadBytes: parsed.reduce((a, f) => a + f.overheadBytes, 0) / SAMPLES,
    encode,
    decode,
    copyFloor,
    encodeMBps: mbps(encode.p50Us),
    decodeMBps: mbps(decode.p50Us),
    copyMBps: mbps(copyFloor.p50Us),
  };
}

function main(): void {
  const shipped = shippedLayouts();
  const points = shipped.flatMap((layout, i) => [
    measure(layout, 'static', 100 + i),
    measure(layout, 'adaptive', 100 + i),
  ]);
  const big: Layout = {
    name: 'synthetic-64x14x14-b8',
    shape: [64, 14, 14],
    bits: 8,
    min: Array(64).fill(-4),
    max: Array(64).fill(4),
    entropy: laplacianTables(64, 8, 12),
  };
  const large = [measure(big, 'static', 7), measure(big, 'adaptive', 7)];
  const shippedStatic = points.filter((p) => p.codec === 'static');
  const worstP50 = Math.max(...shippedStatic.flatMap((p) => [p.encode.p50Us, p.decode.p50Us]));
  const report = {
    benchmark: 'codec',
    timestamp: new Date().toISOString(),
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    method: {
      iterations: ITERATIONS,
      samples: SAMPLES,
      warmupMs: WARMUP_MS,
      timer: 'performance.now() around each single-frame call; p50/p90 over the calls',
      encode: 'BottleneckCodec.encode(features): quantise, entropy-code or pack, frame, CRC32C',
      decode: 'BottleneckCodec.decode(frame, out): parse, CRC32C, pair, entropy-decode, dequantise',
      copyFloor: 'Float32Array.prototype.set of the same features',
      inputs:
        'dequantised codes drawn from each bundle’s own tables (synthetic Laplacian tables for 64x14x14)',
    },
    goal: { p50UsPerFrame: GOAL_P50_US, worstShippedP50Us: worstP50, met: worstP50 <= GOAL_P50_US },
    operatingPoints: points,
    largeTensor: large,
  };
  const dir = join(ROOT, 'bench-results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `codec-${report.timestamp.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);

  const row = (m: Measurement) =>
    [
      m.name.padEnd(22),
      m.codec.padEnd(8),
      `${m.meanFrameBytes.toFixed(1)} B`.padStart(9),
      `${m.encode.p50Us.toFixed(2)}`.padStart(8),
      `${m.decode.p50Us.toFixed(2)}`.padStart(8),
      `${m.copyFloor.p50Us.toFixed(3)}`.padStart(8),
      `${m.encodeMBps}`.padStart(8),
      `${m.decodeMBps}`.padStart(8),
      `${m.copyMBps}`.padStart(8),
    ].join(' ');
  console.log(
    `${'layout'.padEnd(22)} ${'codec'.padEnd(8)} ${'frame'.padStart(9)} ${'enc µs'.padStart(8)} ${'dec µs'.padStart(8)} ${'copy µs'.padStart(8)} ${'enc MB/s'.padStart(8)} ${'dec MB/s'.padStart(8)} ${'copyMB/s'.padStart(8)}`,
  );
  for (const m of [...points, ...large]) console.log(row(m));
  console.log(
    `goal p50 <= ${GOAL_P50_US} µs per frame on the shipped bottlenecks (static tables): worst ${worstP50} µs, ${report.goal.met ? 'met' : 'MISSED'}`,
  );
  console.log(`wrote ${file}`);
}

main();
