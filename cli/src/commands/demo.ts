// `cleave demo` (what `npm start` runs): a tail server on loopback and an agent in one process,
// the Fashion-MNIST test set streamed through the whole pipeline, and a truthful report.
import { writeFileSync } from 'node:fs';
import { arch } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { requestOrder, runWithConcurrency } from '@cleave/bench';
import { createDashboardRoutes, createTailServer } from '@cleave/cloud-server';
import { imageAt, loadFashionMnist } from '@cleave/dataset';
import { type Answer, createAgent, INFERENCE_MODES, type InferenceMode } from '@cleave/edge-agent';
import {
  DEVICE_PROFILES,
  guessDeviceProfile,
  isDeviceProfileName,
  RADIO_LINK_TYPES,
} from '@cleave/telemetry';
import { createTraceStore, startTelemetry } from '@cleave/telemetry-sdk';
import { startByteCountingProxy } from '@cleave/wire';
import cliProgress from 'cli-progress';
import { buildReport, formatReport } from '../demo-report.js';
import { formatVideoReport, runVideoDemo } from '../demo-video.js';
import { buildEnergyReport } from '../energy-report.js';
import { CLEAVE_VERSION, DEFAULT_BUNDLE, DEFAULT_MODELS_DIR } from '../paths.js';

/** Share of the demo's inferences that are traced (parent-based, by trace id). */
export const DEMO_TRACE_SAMPLE_RATIO = 0.01;

export const DEMO_HELP = `cleave demo [options]      (npm start)

Starts a tail server on 127.0.0.1 and an edge agent in this process, streams the Fashion-MNIST
test set through head → gate → codec → gRPC InferStream → tail, and prints where each answer
came from, accuracy, bytes on the wire, latency percentiles and throughput.

  --bundle NAME        bundle under the model folder (default ${DEFAULT_BUNDLE})
  --models DIR         model folder (default ${DEFAULT_MODELS_DIR})
  --limit N            only the first N test images (class-balanced)
  --concurrency N      requests in flight (default 64)
  --mode MODE          cascade (default) | edge-only | cloud-only
  --no-dual            switch the dual-CNN stage off
  --no-cache           switch the result cache off
  --duplicate N        send every image N times, in a shuffled order (seeded)
  --device PROFILE     emulate this board for energy: jetson-nano, jetson-orin-nano, rpi4,
                       rpi5, x86 (compute energy estimated from its power profile and speed factor)
  --link TYPE          radio model for energy: wifi (default), lte, 5g, ethernet, 3g
  --video              stream instead: ffmpeg makes a clip of --limit test images (default 100), each
                       held 10 frames at 30 fps, and the agent runs it as a stream source (docs/streams.md)
  --video-rate N       play the clip N times as fast as real time (default 4)
  --skip-distance N    dHash distance for an unchanged frame in --video (default 2; "off")
  --json FILE          also write the report as JSON
  --dashboard          after the run, keep serving the live dashboard until Ctrl-C

Energy: the agent charges every inference (its meter on this machine, or the --device profile);
with --device the report adds energy per inference for local-only, full offload and split,
each figure with its method (measured | modeled | estimated).
`;

export async function demoCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      bundle: { type: 'string', default: DEFAULT_BUNDLE },
      models: { type: 'string', default: DEFAULT_MODELS_DIR },
      limit: { type: 'string' },
      concurrency: { type: 'string', default: '64' },
      mode: { type: 'string', default: 'cascade' },
      'no-dual': { type: 'boolean' },
      'no-cache': { type: 'boolean' },
      duplicate: { type: 'string', default: '1' },
      device: { type: 'string' },
      link: { type: 'string', default: 'wifi' },
      json: { type: 'string' },
      video: { type: 'boolean' },
      'video-rate': { type: 'string', default: '4' },
      'skip-distance': { type: 'string', default: '2' },
      dashboard: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(DEMO_HELP);
    return 0;
  }
  const duplicate = Number(values.duplicate);
  if (!Number.isInteger(duplicate) || duplicate < 1)
    throw new Error('--duplicate must be a positive integer');
  const mode = values.mode as InferenceMode;
  if (!INFERENCE_MODES.includes(mode)) throw new Error(`--mode must be one of ${INFERENCE_MODES.join(', ')}`);
  const concurrency = Number(values.concurrency);
  const limit = values.limit === undefined ? undefined : Number(values.limit);
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new Error('--concurrency must be a positive integer');
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1))
    throw new Error('--limit must be a positive integer');

  const device = values.device ?? guessDeviceProfile(undefined, arch());
  if (!isDeviceProfileName(device)) {
    throw new Error(`--device must be one of ${Object.keys(DEVICE_PROFILES).join(', ')}`);
  }
  if (!(RADIO_LINK_TYPES as readonly string[]).includes(values.link)) {
    throw new Error(`--link must be one of ${RADIO_LINK_TYPES.join(', ')}`);
  }

  // One SDK for both halves (OTLP when OTEL_* says so); the dashboard reads its metrics and traces.
  const traceStore = createTraceStore();
  const telemetry = startTelemetry({
    serviceName: 'cleave-demo',
    serviceVersion: CLEAVE_VERSION,
    // One trace in a hundred: enough for the dashboard, and the other 99 offloads carry no trace
    // context on the wire (docs/wire-format.md, "Compact form"). OTEL_TRACES_SAMPLER overrides it.
    traces: { store: traceStore, sampleRatio: DEMO_TRACE_SAMPLE_RATIO },
  });
  const server = await createTailServer(
    {
      modelsDir: values.models,
      models: [values.bundle],
      port: 0,
      http: { port: 0 },
      workers: 1,
    },
    {
      httpRoutes: [
        ...createDashboardRoutes({
          metrics: telemetry.collectMetrics,
          traces: traceStore,
          title: 'cleave demo',
        }),
        async (req, res, path) => {
          if (path !== '/metrics') return false;
          telemetry.prometheusHandler(req, res);
          return true;
        },
      ],
    },
  );
  // The agent reaches the server through a byte-counting proxy, so the report gives the bytes at
  // the socket beside the frame and message bytes (docs/wire-format.md, "Bytes at the socket").
  const proxy = await startByteCountingProxy({ host: '127.0.0.1', port: server.port });
  const agent = await createAgent({
    bundleDir: join(values.models, values.bundle),
    cloud: { target: `127.0.0.1:${proxy.port}`, timeoutMs: 10_000 },
    mode,
    stages: { dual: !values['no-dual'], cache: !values['no-cache'] },
    energy: { link: values.link, ...(values.device ? { device: values.device } : {}) },
  });
  try {
    if (values.video) {
      const data = await loadFashionMnist({ split: 'test', limit: limit ?? 100 });
      const rate = Number(values['video-rate']);
      if (!(rate > 0)) throw new Error('--video-rate must be a positive number');
      const skip = values['skip-distance'];
      const report = await runVideoDemo(agent, data, {
        images: data.count,
        rate,
        skipDistance: skip === 'off' ? null : Number(skip),
      });
      process.stdout.write(formatVideoReport(report));
      if (values.json) writeFileSync(values.json, `${JSON.stringify({ video: report }, null, 2)}\n`);
      if (values.dashboard) {
        process.stdout.write(
          `  dashboard: http://127.0.0.1:${server.httpPort}/dashboard (metrics at /metrics); Ctrl-C to stop\n`,
        );
        await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
      }
      return 0;
    }
    const data = await loadFashionMnist({ split: 'test', ...(limit ? { limit } : {}) });
    const bar = new cliProgress.SingleBar(
      {
        stream: process.stderr,
        format: ' {bar} {percentage}% | {value}/{total} images | {rate}/s | ETA {eta}s',
      },
      cliProgress.Presets.shades_classic,
    );
    const order = requestOrder(data.count, duplicate);
    bar.start(order.length, 0, { rate: 0 });
    const started = performance.now();
    let done = 0;
    const answers: Answer[] = await runWithConcurrency(
      order.length,
      concurrency,
      (k) => agent.infer({ kind: 'pixels', data: imageAt(data, order[k]!) }),
      () => {
        done++;
        if (done % 100 === 0 || done === order.length) {
          bar.update(done, { rate: Math.round(done / ((performance.now() - started) / 1000)) });
        }
      },
    );
    bar.stop();
    const wallSeconds = (performance.now() - started) / 1000;
    const labels = Uint8Array.from(order, (i) => data.labels[i]!);
    const { scale, mean, std } = agent.bundle.manifest.input.normalization;
    const images = Array.from({ length: Math.min(200, data.count) }, (_, i) =>
      Float32Array.from(imageAt(data, i), (p) => (p * scale - mean[0]!) / std[0]!),
    );
    const energy = agent.bundle.files.full
      ? await buildEnergyReport(agent, agent.bundle, answers, {
          device,
          link: values.link,
          wallSeconds,
          images,
        })
      : null;
    const socket = proxy.counts();
    const report = buildReport(agent, answers, labels, {
      wallSeconds,
      concurrency,
      duplicate,
      energy,
      socket,
    });
    process.stdout.write(formatReport(report));
    if (values.json) {
      writeFileSync(values.json, `${JSON.stringify(report, null, 2)}\n`);
      process.stdout.write(`  report written to ${values.json}\n`);
    }
    if (values.dashboard) {
      process.stdout.write(
        `  dashboard: http://127.0.0.1:${server.httpPort}/dashboard (metrics at /metrics); Ctrl-C to stop\n`,
      );
      await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
    }
    return 0;
  } finally {
    await agent.close();
    await proxy.close();
    await server.drain();
    await telemetry.shutdown();
  }
}
