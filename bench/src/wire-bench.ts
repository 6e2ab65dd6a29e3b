// `cleave bench wire`: every byte on the wire, per offload. For each bundle, a `cleave serve` on
// loopback behind the byte-counting proxy (@cleave/wire), real frames of the bundle's head on the
// test images, a closed loop of --in-flight requests, and the proxy's counts per direction:
// frame, gRPC message, HTTP/2, TCP payload, segments, and bytes with 40 B of IP+TCP per segment.
// Radio energy per inference is the link's radio model charged those socket bytes. --previous
// compares with an earlier run's JSON (e.g. one with --form legacy, the request form before the
// compact one) and says by how much the radio energy fell.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { decodeFrame } from '@cleave/codec';
import { NOMINAL_LINK_MBPS, radioPerOffloadMj } from '@cleave/edge-agent';
import { loadBundle } from '@cleave/models';
import { IP_TCP_HEADER_BYTES, perOffload, type SocketCounts, startByteCountingProxy } from '@cleave/wire';
import type { StartServe } from './children.js';
import { DEFAULT_MODELS_DIR, REPO_ROOT } from './paths.js';
import { makeRealFrames } from './real-frames.js';
import { type WireResults, type WireRow, wireReportMd } from './wire-report.js';
import { asVersion2, compactSender, type FrameSender, legacySender, type WireForm } from './wire-senders.js';

const NAGLE =
  'agent: TCP_NODELAY (grpc-js sets it on every connection); server: Node http2 server defaults ' +
  '(Nagle on); proxy: TCP_NODELAY both ways, and each direction is counted at the real sender. ' +
  'Loopback MTU 65536: segments of these small messages are as on a 1500-byte link.';

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

async function closedLoop(
  send: (i: number) => Promise<void>,
  total: number,
  inFlight: number,
): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < total) await send(next++);
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, total) }, lane));
}

/** One bundle: its own server and proxy, warm-up, then `requests` offloads counted. */
async function measureBundle(
  o: {
    models: string;
    bundle: string;
    requests: number;
    inFlight: number;
    form: WireForm;
    bundled: boolean;
    link: string;
    rate: number;
  },
  startServe: StartServe,
): Promise<WireRow> {
  const bundle = await loadBundle(join(o.models, o.bundle));
  const m = bundle.manifest;
  const real = await makeRealFrames(bundle, o.requests);
  const frames = o.form === 'compact' ? real.frames : real.frames.map((f) => asVersion2(real.codec.parse(f)));
  const parsed = frames.map((f) => decodeFrame(f, real.codec.shapeOf));
  const server = await startServe(['--models', o.models, '--model', m.name, '--workers', '1', '--no-http']);
  const proxy = await startByteCountingProxy({ host: '127.0.0.1', port: server.port });
  const target = `127.0.0.1:${proxy.port}`;
  const sender: FrameSender =
    o.form === 'compact' ? compactSender(target, m.name, o.bundled) : legacySender(target, m.name);
  try {
    await closedLoop((i) => sender.send(frames[i % frames.length]!), Math.min(256, o.requests), o.inFlight);
    const before: SocketCounts = proxy.counts();
    await closedLoop((i) => sender.send(frames[i]!), o.requests, o.inFlight);
    const per = perOffload(before, proxy.counts(), o.requests);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const mbps = NOMINAL_LINK_MBPS[o.link] ?? { up: 20, down: 20 };
    const bytes = { up: per.up.ipBytes ?? per.up.bytes, down: per.down.ipBytes ?? per.down.bytes };
    return {
      bundle: o.bundle,
      frameVersion: parsed[0]!.version,
      frameBytes: mean(frames.map((f) => f.length)),
      headerBytes: mean(parsed.map((f) => f.overheadBytes)),
      up: per.up,
      down: per.down,
      radioMjPerInference: radioPerOffloadMj(o.link, bytes, mbps, o.rate),
    };
  } finally {
    sender.close();
    await proxy.close();
    await server.stop();
  }
}

export async function benchWire(argv: string[], startServe: StartServe): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      models: { type: 'string', default: DEFAULT_MODELS_DIR },
      bundles: { type: 'string' },
      requests: { type: 'string', default: '2000' },
      'in-flight': { type: 'string', default: '64' },
      form: { type: 'string', default: 'compact' },
      /** Compact form: one request per message, as before bundles. */
      'no-bundle': { type: 'boolean', default: false },
      link: { type: 'string', default: 'wifi' },
      rate: { type: 'string', default: '100' },
      json: { type: 'string' },
      previous: { type: 'string' },
    },
  });
  const form = values.form as WireForm;
  if (form !== 'compact' && form !== 'legacy') throw new Error('--form must be compact or legacy');
  const requests = Number(values.requests);
  const inFlight = Number(values['in-flight']);
  const rate = Number(values.rate);
  if (!(requests > 0 && inFlight > 0 && rate >= 0))
    throw new Error('--requests, --in-flight, --rate: numbers > 0');
  if (!NOMINAL_LINK_MBPS[values.link])
    throw new Error(`--link must be one of ${Object.keys(NOMINAL_LINK_MBPS)}`);
  const names = values.bundles
    ? values.bundles.split(',')
    : readdirSync(values.models)
        .filter((d) => existsSync(join(values.models, d, 'manifest.json')))
        .sort();
  const rows: WireRow[] = [];
  for (const bundle of names) {
    process.stderr.write(`wire: ${bundle}, ${requests} offloads, ${inFlight} in flight, ${form} form\n`);
    rows.push(
      await measureBundle(
        {
          models: values.models,
          bundle,
          requests,
          inFlight,
          form,
          bundled: !values['no-bundle'],
          link: values.link,
          rate,
        },
        startServe,
      ),
    );
  }
  const results: WireResults = {
    generated: new Date().toISOString(),
    commit: git(['rev-parse', 'HEAD']),
    form,
    settings: {
      requests,
      inFlight,
      link: values.link,
      offloadsPerSec: rate,
      ipTcpHeaderBytes: IP_TCP_HEADER_BYTES,
      segments: rows[0]?.up.segments === null ? 'unknown (no ss)' : 'kernel tcp_info (ss), at the sender',
      nagle: NAGLE,
      bundled: form === 'compact' && !values['no-bundle'],
    },
    bundles: rows,
    previous: values.previous ? comparePrevious(values.previous, rows) : null,
  };
  const out = values.json ?? join('bench-results', `wire-${results.generated.replace(/[:.]/g, '-')}.json`);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(wireReportMd(results));
  process.stderr.write(`wrote ${out}\n`);
  return 0;
}

function comparePrevious(file: string, rows: WireRow[]): NonNullable<WireResults['previous']> {
  const prev = JSON.parse(readFileSync(file, 'utf8')) as WireResults;
  const matched = rows.flatMap((r) => {
    const p = prev.bundles.find((b) => b.bundle === r.bundle);
    if (!p) return [];
    const fall = (1 - r.radioMjPerInference / p.radioMjPerInference) * 100;
    return [
      {
        bundle: r.bundle,
        radioMjBefore: p.radioMjPerInference,
        radioMjNow: r.radioMjPerInference,
        fallPercent: fall,
      },
    ];
  });
  const meanFall = matched.reduce((a, r) => a + r.fallPercent, 0) / Math.max(1, matched.length);
  return { file, form: prev.form, rows: matched, meanFallPercent: meanFall };
}
