// The dashboard's routes over a real node:http server, fed by the real SDK: instruments recorded
// through @opentelemetry/api under the agent's and the server's scopes, spans into a trace store.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { type CollectedMetrics, METRIC } from '@cleave/telemetry';
import { createTraceStore, startTelemetry, type Telemetry, type TraceStore } from '@cleave/telemetry-sdk';
import { context, metrics, SpanKind, trace } from '@opentelemetry/api';
import { recordBatch, recordOutcome, recordServed } from '../server-metrics.js';
import { computeDashboardData, type DashboardData, waterfall } from './data.js';
import { createDashboardRoutes } from './index.js';
import { AGENT_SCOPE } from './metric-figures.js';

describe('dashboard - routes and figures', { timeout: 60_000 }, () => {
  let telemetry: Telemetry;
  let store: TraceStore;
  let server: Server;
  let base: string;

  before(async () => {
    store = createTraceStore({ maxTraces: 50 });
    telemetry = startTelemetry({
      serviceName: 'cleave-demo',
      traces: { exporter: 'none', store },
      diagLogger: { error() {}, warn() {}, info() {}, debug() {}, verbose() {} },
    });
    const [route] = createDashboardRoutes({
      metrics: telemetry.collectMetrics,
      traces: store,
      title: 'Test <b>',
    });
    server = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      route!(req, res, path).then(
        (handled) => {
          if (!handled) res.writeHead(404).end();
        },
        (error: { status?: number; message: string }) => {
          res.writeHead(error.status ?? 500).end(error.message);
        },
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server?.closeAllConnections();
    server?.close();
    await telemetry?.shutdown();
  });

  const data = async (query = '') => {
    const res = await fetch(`${base}/dashboard/data.json${query}`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /application\/json/);
    return (await res.json()) as DashboardData;
  };

  it('dashboard - with no data yet every part is empty, not an error', async () => {
    const d = await data();
    assert.equal(d.title, 'Test <b>');
    assert.deepEqual(d.services, ['cleave-demo']);
    assert.equal(d.answers, null);
    assert.deepEqual(d.latency, []);
    assert.equal(d.payload, null);
    assert.deepEqual(d.energy, { metrics: null, traces: null, boardPowerW: null });
    assert.equal(d.traces.waterfall, null);
    assert.deepEqual(d.errors, []);
  });

  it('dashboard - figures from the agent and server instruments, energy and a cross-process waterfall', async () => {
    const agent = metrics.getMeter('@cleave/edge-agent');
    const duration = agent.createHistogram('cleave.inference.duration', { unit: 's' });
    const answers = agent.createCounter('cleave.agent.answers');
    const payload = agent.createHistogram('cleave.payload.size', { unit: 'By' });
    // As edge-agent/src/energy-metrics.ts records it: one observation per answer and component.
    const energy = agent.createHistogram('cleave.inference.energy', { unit: 'J' });
    for (let i = 0; i < 100; i++) {
      const source = i < 60 ? 'exit' : i < 90 ? 'cloud' : 'fallback';
      answers.add(1, { source, degraded: source === 'fallback', mode: 'cascade' });
      duration.record((i + 1) / 10_000, { stage: 'total', source }); // 0.1 ms .. 10 ms
      duration.record(0.0005, { stage: 'head' });
      energy.record(0.001, { component: 'compute', method: 'estimated', source: 'profile:rpi5' });
      if (source === 'cloud') {
        payload.record(40, { kind: 'frame' });
        energy.record(0.002, { component: 'radio', method: 'modeled', source: 'radio:wifi' });
      }
      energy.record(source === 'cloud' ? 0.003 : 0.001, {
        component: 'total',
        method: 'estimated',
        source: 'profile:rpi5',
      });
    }
    for (let i = 0; i < 30; i++)
      recordServed({ model: 'm', version: '1' }, { queueUs: 200, computeUs: 800, totalUs: 1100 });
    recordBatch({ model: 'm', version: '1' }, 4);
    recordOutcome('rejected', { model: 'm', version: '1' });

    // One inference across edge and cloud, as the agent and the server make it.
    const tracer = trace.getTracer('t');
    const root = tracer.startSpan('cleave.infer', {
      attributes: {
        'cleave.agent.id': 'pi-7',
        'cleave.answer.source': 'cloud',
        'cleave.answer.degraded': false,
        'cleave.energy.compute_mj': 1.5,
        'cleave.energy.radio_mj': 2.5,
        'cleave.energy.method': 'modeled',
      },
    });
    const rootCtx = trace.setSpan(context.active(), root);
    tracer.startSpan('cleave.head', {}, rootCtx).end();
    const client = tracer.startSpan(
      'cleave.v1.SplitInference/InferStream',
      { kind: SpanKind.CLIENT },
      rootCtx,
    );
    const clientCtx = trace.setSpan(rootCtx, client);
    const srv = tracer.startSpan(
      'cleave.v1.SplitInference/InferStream',
      { kind: SpanKind.SERVER },
      clientCtx,
    );
    const srvCtx = trace.setSpan(clientCtx, srv);
    tracer.startSpan('cleave.queue', {}, srvCtx).end();
    tracer.startSpan('cleave.tail', { attributes: { 'cleave.batch.size': 4 } }, srvCtx).end();
    srv.end();
    client.end();
    root.end();
    // A later local-only trace: the waterfall still shows the edge → cloud one.
    tracer.startSpan('cleave.infer', { attributes: { 'cleave.answer.source': 'exit' } }).end();

    const d = await data();
    assert.deepEqual(d.answers?.bySource, { exit: 60, cloud: 30, fallback: 10 });
    assert.equal(d.answers?.total, 100);
    assert.equal(d.answers?.degraded, 10);
    const total = d.latency.find((r) => r.side === 'edge' && r.stage === 'total')!;
    assert.equal(total.count, 100);
    assert.ok(total.p50Ms! > 2.5 && total.p50Ms! <= 5, `p50 ${total.p50Ms}`);
    assert.ok(total.p99Ms! > 7.5 && total.p99Ms! <= 10, `p99 ${total.p99Ms}`);
    assert.ok(Math.abs(total.meanMs! - 5.05) < 1e-9, `mean ${total.meanMs}`);
    assert.deepEqual(
      d.latency.map((r) => `${r.side}/${r.stage}`),
      ['edge/total', 'edge/head', 'cloud/queue', 'cloud/compute', 'cloud/server'],
    );
    assert.equal(d.payload?.count, 30);
    assert.equal(d.payload?.meanBytes, 40);
    assert.deepEqual(d.server.requests, { success: 30, rejected: 1 });
    assert.equal(d.server.batch?.mean, 4);

    const e = d.energy.metrics!;
    assert.equal(e.from, METRIC.inferenceEnergy);
    assert.equal(e.inferences, 100);
    assert.ok(Math.abs(e.computeMj! - 1) < 1e-9, `compute ${e.computeMj}`);
    assert.ok(Math.abs(e.radioMj! - 0.6) < 1e-9, `radio ${e.radioMj}`); // 30 × 2 mJ over 100 inferences
    assert.ok(Math.abs(e.totalMj! - 1.6) < 1e-9, `total ${e.totalMj}`);
    assert.deepEqual(e.methods, ['estimated', 'modeled']);
    assert.deepEqual(e.meters, ['profile:rpi5', 'radio:wifi']);
    assert.deepEqual(e.bySource, {});
    const et = d.energy.traces!;
    assert.deepEqual([et.inferences, et.computeMj, et.radioMj, et.totalMj], [1, 1.5, 2.5, 4]);

    const w = d.traces.waterfall!;
    assert.equal(w.traceId, root.spanContext().traceId);
    assert.deepEqual(
      w.spans.map((s) => `${'  '.repeat(s.depth)}${s.name}:${s.side}`),
      [
        'cleave.infer:edge',
        '  cleave.head:edge',
        '  cleave.v1.SplitInference/InferStream:edge',
        '    cleave.v1.SplitInference/InferStream:cloud',
        '      cleave.queue:cloud',
        '      cleave.tail:cloud',
      ],
    );
    assert.equal(w.spans.find((s) => s.name === 'cleave.tail')!.attributes['cleave.batch.size'], '4');
    assert.deepEqual(d.agents.map((a) => [a.id, a.inferences]).sort(), [
      ['cleave-demo', 1],
      ['pi-7', 1],
    ]);
    assert.equal(d.traces.recent.length, 2);
    assert.equal(d.traces.recent[0]!.source, 'exit');
    assert.equal(d.traces.recent[1]!.crossesCloud, true);

    // A chosen trace is drawn while it is stored; an id of another shape is refused.
    const other = d.traces.recent[0]!.traceId;
    assert.equal((await data(`?trace=${other}`)).traces.waterfall?.traceId, other);
    assert.equal((await data(`?trace=${'0'.repeat(32)}`)).traces.waterfall?.traceId, w.traceId);
    assert.equal((await fetch(`${base}/dashboard/data.json?trace=nope`)).status, 400);
  });

  it('dashboard - the answer rate comes from successive polls', async () => {
    const answers = metrics.getMeter('@cleave/edge-agent').createCounter('cleave.agent.answers');
    answers.add(1, { source: 'exit', degraded: false, mode: 'cascade' });
    await data();
    await new Promise((r) => setTimeout(r, 1000));
    answers.add(50, { source: 'exit', degraded: false, mode: 'cascade' });
    const d = await data();
    assert.ok(d.answers!.ratePerS! > 0, `rate ${d.answers?.ratePerS}`);
    // The chart keeps one point per ≥ 0.9 s; two such points give a rate.
    await new Promise((r) => setTimeout(r, 1000));
    answers.add(50, { source: 'exit', degraded: false, mode: 'cascade' });
    const later = await data();
    const lastRate = later.history.at(-1)?.answersPerS ?? 0;
    assert.ok(lastRate > 0, `history ${JSON.stringify(later.history)}`);
  });

  it('dashboard - the page is one self-contained document whose CSP admits only its inline blocks', async () => {
    const res = await fetch(`${base}/dashboard`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/html/);
    const html = await res.text();
    assert.ok(html.includes('<h1>Test &lt;b&gt;</h1>'), 'the title is escaped');
    assert.ok(!/\b(src|href)="(https?:)?\/\//.test(html), 'no external asset');
    assert.ok(html.includes('data-url="/dashboard/data.json"'), 'data url');
    const csp = res.headers.get('content-security-policy') ?? '';
    const script = /<script>([\s\S]*?)<\/script>/.exec(html)![1]!;
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)![1]!;
    const hash = (t: string) => `'sha256-${createHash('sha256').update(t).digest('base64')}'`;
    assert.ok(csp.includes(`script-src ${hash(script)}`), csp);
    assert.ok(csp.includes(`style-src ${hash(style)}`), csp);
    assert.ok(csp.includes("default-src 'none'"), csp);
    assert.equal((await fetch(`${base}/dashboard/`)).status, 200);
    const head = await fetch(`${base}/dashboard`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), '');
    assert.equal((await fetch(`${base}/dashboard`, { method: 'POST' })).status, 405);
    assert.equal((await fetch(`${base}/dashboardx`)).status, 404);
  });

  it('dashboard - an energy counter is spread over the answers, split by answer source', async () => {
    const point = (attributes: Record<string, string>, value: number) => ({ attributes, value });
    const collected: CollectedMetrics = {
      resource: { 'service.name': 'cleave-agent' },
      metrics: [
        {
          name: METRIC.agentAnswers,
          unit: '',
          kind: 'counter',
          scope: AGENT_SCOPE,
          points: [point({ source: 'exit' }, 8), point({ source: 'cloud' }, 2)],
        },
        {
          name: METRIC.inferenceEnergy,
          unit: 'mJ',
          kind: 'counter',
          scope: AGENT_SCOPE,
          points: [
            point({ component: 'compute', source: 'exit', method: 'measured' }, 8),
            point({ component: 'compute', source: 'cloud', method: 'measured' }, 2),
            point({ component: 'radio', source: 'cloud', method: 'modeled' }, 10),
          ],
        },
        {
          name: METRIC.hwPower,
          unit: 'W',
          kind: 'gauge',
          scope: AGENT_SCOPE,
          points: [point({ 'hw.name': 'total' }, 4.5), point({ 'hw.name': 'VDD_IN' }, 4.5)],
        },
      ],
    };
    const d = await computeDashboardData({
      metrics: async () => collected,
      traces: createTraceStore(),
      title: 't',
      history: { points: [], raw: [] },
    });
    const e = d.energy.metrics!;
    assert.deepEqual([e.inferences, e.computeMj, e.radioMj, e.totalMj], [10, 1, 1, 2]);
    assert.deepEqual(e.bySource, {
      exit: { computeMj: 1, radioMj: null, totalMj: 1 },
      cloud: { computeMj: 1, radioMj: 5, totalMj: 6 },
    });
    assert.equal(d.energy.boardPowerW, 4.5);
    assert.deepEqual(d.services, ['cleave-agent']);
    const broken = await computeDashboardData({
      metrics: async () => {
        throw new Error('collection failed');
      },
      traces: createTraceStore(),
      title: 't',
      history: { points: [], raw: [] },
    });
    assert.match(broken.errors[0] ?? '', /^metrics: collection failed/);
  });

  it('dashboard - waterfall order survives orphans and cycles', () => {
    const span = (spanId: string, parentSpanId: string | undefined, startMs: number) => ({
      traceId: 't',
      spanId,
      ...(parentSpanId ? { parentSpanId } : {}),
      name: spanId,
      kind: 'internal' as const,
      startMs,
      durationMs: 1,
      attributes: {},
      serviceName: 's',
      status: 'unset' as const,
    });
    const rows = waterfall([span('b', 'a', 2), span('a', 'remote', 1), span('c', 'c', 3)]);
    assert.deepEqual(
      rows.map((r) => [r.spanId, r.depth, r.offsetMs]),
      [
        ['a', 0, 0],
        ['b', 1, 1],
        ['c', 0, 2],
      ],
    );
  });
});
