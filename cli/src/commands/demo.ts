// `cleave demo` (what `npm start` runs): a tail server on loopback and an agent in one process,
// the Fashion-MNIST test set streamed through the whole pipeline, and a truthful report.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createTailServer } from '@cleave/cloud-server';
import { imageAt, loadFashionMnist } from '@cleave/dataset';
import { type Answer, createAgent } from '@cleave/edge-agent';
import cliProgress from 'cli-progress';
import { buildReport, formatReport } from '../demo-report.js';
import { DEFAULT_BUNDLE, DEFAULT_MODELS_DIR } from '../paths.js';
import { runWithConcurrency } from '../run-pool.js';

export const DEMO_HELP = `cleave demo [options]      (npm start)

Starts a tail server on 127.0.0.1 and an edge agent in this process, streams the Fashion-MNIST
test set through head → gate → codec → gRPC InferStream → tail, and prints where each answer
came from, accuracy, bytes on the wire, latency percentiles and throughput.

  --bundle NAME        bundle under the model folder (default ${DEFAULT_BUNDLE})
  --models DIR         model folder (default ${DEFAULT_MODELS_DIR})
  --limit N            only the first N test images (class-balanced)
  --concurrency N      requests in flight (default 64)
  --json FILE          also write the report as JSON
`;

export async function demoCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      bundle: { type: 'string', default: DEFAULT_BUNDLE },
      models: { type: 'string', default: DEFAULT_MODELS_DIR },
      limit: { type: 'string' },
      concurrency: { type: 'string', default: '64' },
      json: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(DEMO_HELP);
    return 0;
  }
  const concurrency = Number(values.concurrency);
  const limit = values.limit === undefined ? undefined : Number(values.limit);
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new Error('--concurrency must be a positive integer');
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1))
    throw new Error('--limit must be a positive integer');

  const server = await createTailServer({
    modelsDir: values.models,
    models: [values.bundle],
    port: 0,
    workers: 1,
  });
  const agent = await createAgent({
    bundleDir: join(values.models, values.bundle),
    cloud: { target: `127.0.0.1:${server.port}`, timeoutMs: 10_000 },
  });
  try {
    const data = await loadFashionMnist({ split: 'test', ...(limit ? { limit } : {}) });
    const bar = new cliProgress.SingleBar(
      {
        stream: process.stderr,
        format: ' {bar} {percentage}% | {value}/{total} images | {rate}/s | ETA {eta}s',
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(data.count, 0, { rate: 0 });
    const started = performance.now();
    let done = 0;
    const answers: Answer[] = await runWithConcurrency(
      data.count,
      concurrency,
      (i) => agent.infer({ kind: 'pixels', data: imageAt(data, i) }),
      () => {
        done++;
        if (done % 100 === 0 || done === data.count) {
          bar.update(done, { rate: Math.round(done / ((performance.now() - started) / 1000)) });
        }
      },
    );
    bar.stop();
    const wallSeconds = (performance.now() - started) / 1000;
    const report = buildReport(agent.bundle.manifest, answers, data.labels, wallSeconds, concurrency);
    process.stdout.write(formatReport(report));
    if (values.json) {
      writeFileSync(values.json, `${JSON.stringify(report, null, 2)}\n`);
      process.stdout.write(`  report written to ${values.json}\n`);
    }
    return 0;
  } finally {
    await agent.close();
    await server.drain();
  }
}
