// cleave-test: light (it waits on Prometheus's scrape interval; no timing asserted)
// A real Prometheus scrapes a real tail server and a real agent with the shipped scrape config
// (deploy/prometheus/prometheus.yml, targets rewritten to this run's ports), after real inferences.
// Also: promtool checks the config and both /metrics pages, and every query of the shipped
// Grafana dashboard (deploy/grafana/cleave-dashboard.json) runs on that Prometheus.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeRealFrames } from '@cleave/bench';
import { createTailServer, type TailServer } from '@cleave/cloud-server';
import { imageAt, loadFashionMnist } from '@cleave/dataset';
import { type Agent, createAgent, type HttpApi, startHttpApi } from '@cleave/edge-agent';
import { loadBundle } from '@cleave/models';
import { startTelemetry, type Telemetry } from '@cleave/telemetry-sdk';
import { type InferResponse__Output, loadCleaveProto, type SplitInferenceClient } from '@cleave/wire';
import { credentials } from '@grpc/grpc-js';
import { DEFAULT_BUNDLE, MODELS_DIR } from '../support/shipped-bundles.js';

const ROOT = join(import.meta.dirname, '..', '..');
const SCRAPE_CONFIG = join(ROOT, 'deploy', 'prometheus', 'prometheus.yml');
const GRAFANA_DASHBOARD = join(ROOT, 'deploy', 'grafana', 'cleave-dashboard.json');
const PROMETHEUS = '/usr/bin/prometheus';
const PROMTOOL = '/usr/bin/promtool';

function requireTool(path: string): void {
  assert.ok(
    existsSync(path),
    `${path} is missing: apt-get install -y prometheus (scripts/ensure-system-deps.sh)`,
  );
}

function promtool(args: string[], input?: string): { status: number | null; output: string } {
  requireTool(PROMTOOL);
  const run = spawnSync(PROMTOOL, args, { input, encoding: 'utf8', timeout: 20_000 });
  return { status: run.status, output: `${run.stdout}${run.stderr}`.trim() };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

interface QueryResult {
  status: string;
  error?: string;
  data?: { resultType: string; result: Array<{ metric: Record<string, string>; value: [number, string] }> };
}

describe('Prometheus - scraping the tail server and the agent', { timeout: 240_000 }, () => {
  let telemetry: Telemetry;
  let server: TailServer;
  let agent: Agent;
  let api: HttpApi;
  let client: SplitInferenceClient;
  let prometheus: ChildProcess | undefined;
  let prometheusLog = '';
  let tmp: string;
  let promBase: string;

  const metricsUrl = () => `http://127.0.0.1:${server.httpPort}/metrics`;
  const agentMetricsUrl = () => `http://127.0.0.1:${api.port}/metrics`;

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'cleave-prometheus-'));
    // The SDK first: the server's and the agent's instruments flow into it.
    telemetry = startTelemetry({ serviceName: 'cleave-serve', traces: { exporter: 'none' } });
    server = await createTailServer(
      { modelsDir: MODELS_DIR, models: [DEFAULT_BUNDLE], port: 0, http: { port: 0 }, workers: 1 },
      {
        httpRoutes: [
          async (req, res, path) => {
            if (path !== '/metrics') return false;
            telemetry.prometheusHandler(req, res);
            return true;
          },
        ],
      },
    );
    agent = await createAgent({
      bundleDir: join(MODELS_DIR, DEFAULT_BUNDLE),
      cloud: { target: `127.0.0.1:${server.port}`, timeoutMs: 10_000 },
    });
    api = await startHttpApi(agent, {
      host: '127.0.0.1',
      port: 0,
      maxBodyBytes: 1024 * 1024,
      metrics: telemetry.prometheusHandler,
    });
    client = new (loadCleaveProto().cleave.v1.SplitInference)(
      `127.0.0.1:${server.port}`,
      credentials.createInsecure(),
    );
  });

  after(async () => {
    if (prometheus && prometheus.exitCode === null) {
      prometheus.kill('SIGTERM');
      const exited = new Promise((resolve) => prometheus!.once('exit', resolve));
      const timer = setTimeout(() => prometheus?.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    client?.close();
    await api?.close();
    await agent?.close();
    await server?.drain();
    await telemetry?.shutdown();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('Prometheus - the shipped scrape config passes promtool check config', { timeout: 30_000 }, () => {
    const check = promtool(['check', 'config', SCRAPE_CONFIG]);
    assert.equal(check.status, 0, check.output);
    assert.match(check.output, /SUCCESS/);
  });

  it('Prometheus - real inferences, then both /metrics pages pass promtool check metrics', {
    timeout: 90_000,
  }, async () => {
    // Real frames straight to the tail over gRPC ...
    const real = await makeRealFrames(await loadBundle(join(MODELS_DIR, DEFAULT_BUNDLE)), 16);
    for (const [i, frame] of real.frames.entries()) {
      const logits = await new Promise<number[]>((resolve, reject) =>
        client.Infer({ request_id: `r${i}`, frame }, (e: Error | null, r?: InferResponse__Output) =>
          e ? reject(e) : resolve(r!.result!.logits),
        ),
      );
      assert.equal(logits.length, 10);
    }
    // ... and real images through the agent's cascade and its cloud-only mode.
    const data = await loadFashionMnist({ split: 'test', limit: 60 });
    for (let i = 0; i < data.count; i++) {
      const answer = await agent.infer(
        { kind: 'pixels', data: imageAt(data, i) },
        { mode: i % 2 === 0 ? 'cloud-only' : 'cascade' },
      );
      assert.ok(['exit', 'dual', 'cache', 'cloud'].includes(answer.source), answer.source);
    }

    for (const url of [metricsUrl(), agentMetricsUrl()]) {
      const res = await fetch(url);
      assert.equal(res.status, 200, url);
      const text = await res.text();
      for (const family of [
        'cleave_inference_duration_seconds',
        'cleave_agent_answers_total',
        'cleave_payload_size_bytes',
        'cleave_server_requests_total',
        'cleave_server_batch_size',
      ]) {
        assert.match(text, new RegExp(`^# TYPE ${family} `, 'm'), `${family} on ${url}`);
      }
      const check = promtool(['check', 'metrics'], text);
      assert.equal(check.status, 0, `promtool check metrics on ${url}:\n${check.output}`);
      assert.equal(check.output, '', `lint warnings on ${url}:\n${check.output}`);
    }
  });

  it('Prometheus - a real Prometheus scrapes both jobs with the shipped config; the Grafana queries run on it', {
    timeout: 120_000,
  }, async () => {
    requireTool(PROMETHEUS);
    const shipped = readFileSync(SCRAPE_CONFIG, 'utf8');
    assert.ok(
      shipped.includes("'127.0.0.1:8000'") && shipped.includes("'127.0.0.1:8470'"),
      'shipped targets',
    );
    const config = shipped
      .replace("'127.0.0.1:8000'", `'127.0.0.1:${server.httpPort}'`)
      .replace("'127.0.0.1:8470'", `'127.0.0.1:${api.port}'`)
      .replace(/scrape_interval: \d+s/, 'scrape_interval: 1s')
      .replace(/scrape_timeout: \d+s/, 'scrape_timeout: 1s');
    const configPath = join(tmp, 'prometheus.yml');
    writeFileSync(configPath, config);
    const check = promtool(['check', 'config', configPath]);
    assert.equal(check.status, 0, check.output);

    const port = await freePort();
    promBase = `http://127.0.0.1:${port}`;
    prometheus = spawn(
      PROMETHEUS,
      [
        `--config.file=${configPath}`,
        `--storage.tsdb.path=${join(tmp, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const keep = (chunk: Buffer) => {
      prometheusLog = (prometheusLog + chunk.toString()).slice(-4000);
    };
    prometheus.stdout?.on('data', keep);
    prometheus.stderr?.on('data', keep);
    const exitedEarly = new Promise<never>((_, reject) =>
      prometheus!.once('exit', (code) => reject(new Error(`prometheus exited (${code}):\n${prometheusLog}`))),
    );
    exitedEarly.catch(() => {});

    const query = async (q: string): Promise<QueryResult> => {
      const res = await fetch(`${promBase}/api/v1/query?query=${encodeURIComponent(q)}`, {
        signal: AbortSignal.timeout(5_000),
      });
      return (await res.json()) as QueryResult;
    };
    const series = (r: QueryResult) => r.data?.result ?? [];

    await Promise.race([
      until('Prometheus to be ready', 30_000, async () => {
        const res = await fetch(`${promBase}/-/ready`, { signal: AbortSignal.timeout(2_000) });
        return res.ok ? true : undefined;
      }),
      exitedEarly,
    ]);
    // Both jobs up, and the duration histogram stored from both.
    const found = await Promise.race([
      until('cleave_inference_duration_seconds_count from both jobs', 45_000, async () => {
        const r = await query('cleave_inference_duration_seconds_count');
        const jobs = new Set(series(r).map((s) => s.metric.job));
        return jobs.has('cleave-serve') && jobs.has('cleave-agent') ? r : undefined;
      }),
      exitedEarly,
    ]);
    const rows = series(found);
    const serve = rows.filter((s) => s.metric.job === 'cleave-serve');
    assert.ok(
      serve.some((s) => s.metric.otel_scope_name === '@cleave/cloud-server' && s.metric.stage === 'server'),
      JSON.stringify(serve.map((s) => s.metric)),
    );
    assert.ok(
      serve.some((s) => s.metric.otel_scope_name === '@cleave/edge-agent' && s.metric.stage === 'total'),
      'the agent stages, recorded in this process',
    );
    assert.ok(
      rows.every((s) => s.metric.cleave_role === (s.metric.job === 'cleave-serve' ? 'cloud' : 'edge')),
      'the role label of the scrape config',
    );
    const served = serve
      .filter((s) => s.metric.stage === 'server')
      .reduce((sum, s) => sum + Number(s.value[1]), 0);
    assert.ok(served >= 16 + 30, `server-stage observations ${served}`);
    const up = series(await query('up'));
    for (const job of ['cleave-serve', 'cleave-agent']) {
      assert.equal(up.find((s) => s.metric.job === job)?.value[1], '1', `up{job="${job}"}`);
    }

    // Rates need two scrapes in the window; then every Grafana query must be valid PromQL, and
    // those over series this run produced must answer.
    const dashboard = JSON.parse(readFileSync(GRAFANA_DASHBOARD, 'utf8')) as {
      panels: Array<{ title: string; targets?: Array<{ expr: string }> }>;
    };
    const exprs = dashboard.panels.flatMap((p) =>
      (p.targets ?? []).map((t) => ({ title: p.title, expr: t.expr })),
    );
    assert.ok(exprs.length >= 15, `${exprs.length} queries`);
    const mustAnswer = new Set([
      'Answers / s',
      'Where answers came from',
      'Agent latency by stage (p50 / p95 / p99)',
      'Tail server latency by stage (p50 / p95 / p99)',
      'Bytes per offload',
      'Requests by outcome',
      'Batch size',
      'Queue depth',
      'Offload policy decisions',
      'Result cache lookups',
    ]);
    await until('two scrapes for rate()', 20_000, async () => {
      const r = await query('count_over_time(up{job="cleave-serve"}[1m])');
      return Number(series(r)[0]?.value[1] ?? 0) >= 3 ? true : undefined;
    });
    for (const { title, expr } of exprs) {
      const r = await query(expr.replaceAll('$__rate_interval', '1m'));
      assert.equal(r.status, 'success', `${title}: ${expr}: ${r.error}`);
      if (mustAnswer.has(title)) assert.ok(series(r).length > 0, `${title}: no series for ${expr}`);
    }
  });
});
