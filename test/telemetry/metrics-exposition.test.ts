// The Prometheus page the agent and the server mount at GET /metrics: real instruments recorded
// through @opentelemetry/api, served by a real node:http server, checked by Prometheus's own
// promtool (`promtool check metrics`: parse errors and lint problems both fail).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { recordRpcCallDuration } from '@cleave/telemetry';
import { PROMETHEUS_CONTENT_TYPE, startTelemetry, type Telemetry } from '@cleave/telemetry-sdk';
import { metrics, trace } from '@opentelemetry/api';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { promtoolCheck } from '../support/promtool.js';

function families(text: string): Map<string, string> {
  const types = new Map<string, string>();
  for (const match of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    assert.ok(!types.has(match[1]!), `one TYPE line per family: ${match[1]}`);
    types.set(match[1]!, match[2]!);
  }
  return types;
}

async function serve(telemetry: Telemetry): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    if (req.url === '/metrics') telemetry.prometheusHandler(req, res);
    else res.writeHead(404).end();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics` };
}

describe('telemetry - Prometheus exposition', { timeout: 60_000 }, () => {
  let telemetry: Telemetry | undefined;
  let server: Server | undefined;
  after(async () => {
    server?.closeAllConnections();
    server?.close();
    await telemetry?.shutdown();
  });

  it('telemetry - /metrics with histograms, counters and gauges from two scopes passes promtool with no lint warning', {
    timeout: 30_000,
  }, async () => {
    telemetry = startTelemetry({
      serviceName: 'cleave-metrics-test',
      serviceVersion: '0.1.0',
      traces: { exporter: 'none' },
    });
    const agent = metrics.getMeter('@cleave/edge-agent');
    const cloud = metrics.getMeter('@cleave/cloud-server');
    // The same instrument name from two scopes, as in `cleave demo` (agent and server in one process).
    agent
      .createHistogram('cleave.inference.duration', { unit: 's', description: 'Time per stage' })
      .record(0.0123, {
        stage: 'total',
        source: 'cloud',
      });
    cloud
      .createHistogram('cleave.inference.duration', { unit: 's', description: 'Time per stage' })
      .record(0.0021, {
        stage: 'tail',
      });
    agent
      .createHistogram('cleave.payload.size', { unit: 'By', description: 'Frame bytes' })
      .record(76, { kind: 'frame' });
    agent
      .createCounter('cleave.agent.answers', { description: 'Answers by stage' })
      .add(3, { source: 'exit', degraded: false });
    agent
      .createCounter('cleave.inference.energy', { unit: 'J', description: 'Energy per inference' })
      .add(0.5, {
        method: 'modeled',
      });
    agent.createGauge('hw.power', { unit: 'W', description: 'Instantaneous power' }).record(4.25, {
      'hw.id': 'ina3221-vdd_in',
      method: 'measured',
    });
    agent
      .createObservableCounter('hw.energy', { unit: 'J', description: 'Energy consumed' })
      .addCallback((result) => result.observe(1234.5, { 'hw.id': 'ina3221-vdd_in' }));
    agent
      .createUpDownCounter('cleave.offload.inflight', {
        unit: '{request}',
        description: 'Requests in flight',
      })
      .add(2);
    agent
      .createObservableGauge('cleave.link.utilization', {
        unit: '1',
        description: 'Share of the link in use',
      })
      .addCallback((result) => result.observe(0.25));
    // Label values that need escaping.
    agent
      .createCounter('cleave.errors', { description: 'Errors' })
      .add(1, { reason: 'bad "frame"\nline \\ two' });
    recordRpcCallDuration(
      'server',
      0.004,
      { method: 'cleave.v1.SplitInference/Infer', serverAddress: '127.0.0.1', serverPort: 50051 },
      0,
    );
    recordRpcCallDuration(
      'client',
      0.006,
      { method: 'cleave.v1.SplitInference/Infer', serverAddress: '127.0.0.1', serverPort: 50051 },
      14,
    );

    const served = await serve(telemetry);
    server = served.server;
    const response = await fetch(served.url);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), PROMETHEUS_CONTENT_TYPE);
    const text = await response.text();

    const types = families(text);
    assert.equal(types.get('cleave_inference_duration_seconds'), 'histogram');
    assert.equal(types.get('cleave_payload_size_bytes'), 'histogram');
    assert.equal(types.get('cleave_agent_answers_total'), 'counter');
    assert.equal(types.get('cleave_inference_energy_joules_total'), 'counter');
    assert.equal(types.get('hw_power_watts'), 'gauge');
    assert.equal(types.get('hw_energy_joules_total'), 'counter');
    assert.equal(types.get('cleave_offload_inflight'), 'gauge');
    assert.equal(types.get('cleave_link_utilization_ratio'), 'gauge');
    assert.equal(types.get('rpc_server_call_duration_seconds'), 'histogram');
    assert.equal(types.get('rpc_client_call_duration_seconds'), 'histogram');
    assert.equal(types.get('target_info'), 'gauge');
    assert.match(
      text,
      /^cleave_inference_duration_seconds_count\{stage="total",source="cloud",otel_scope_name="@cleave\/edge-agent"\} 1$/m,
    );
    assert.match(
      text,
      /^cleave_inference_duration_seconds_count\{stage="tail",otel_scope_name="@cleave\/cloud-server"\} 1$/m,
    );
    assert.match(
      text,
      /^cleave_inference_duration_seconds_bucket\{stage="tail",[^}]*le="0\.0025"\} 1$/m,
      'seconds buckets',
    );
    assert.match(text, /^hw_power_watts\{hw_id="ina3221-vdd_in",method="measured",[^}]*\} 4\.25$/m);
    assert.match(
      text,
      /^rpc_client_call_duration_seconds_count\{rpc_system_name="grpc",rpc_method="cleave\.v1\.SplitInference\/Infer",server_address="127\.0\.0\.1",server_port="50051",rpc_status_code="UNAVAILABLE",error_type="UNAVAILABLE",[^}]*\} 1$/m,
    );
    assert.match(text, /^target_info\{[^}]*service_name="cleave-metrics-test"[^}]*\} 1$/m);
    assert.ok(!text.includes('# UNIT'), 'units live in the names, not in OpenMetrics-only comments');

    const check = promtoolCheck(text);
    assert.equal(check.status, 0, `promtool check metrics failed:\n${check.output}\n---\n${text}`);
    assert.equal(check.output, '', 'no lint warnings');

    // The same text from metricsText(); HEAD has no body; other methods are refused.
    assert.equal((await telemetry.metricsText()).split('\n')[0], text.split('\n')[0]);
    const head = await fetch(served.url, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), '');
    const post = await fetch(served.url, { method: 'POST', body: 'x' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET, HEAD');
  });
});

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** An exporter that holds every batch until told how it went. */
class HeldExporter implements SpanExporter {
  readonly held: Array<{ spans: ReadableSpan[]; done: (result: ExportResult) => void }> = [];
  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.held.push({ spans, done });
  }
  release(result: ExportResult): void {
    for (const batch of this.held.splice(0)) batch.done(result);
  }
  async shutdown(): Promise<void> {
    this.release({ code: ExportResultCode.SUCCESS });
  }
}

describe('telemetry - bounded span queue', { timeout: 30_000 }, () => {
  let telemetry: Telemetry | undefined;
  after(async () => {
    await telemetry?.shutdown();
  });

  it('telemetry - spans over the queue bound are dropped and counted, failed exports too, and both show on /metrics', {
    timeout: 20_000,
  }, async () => {
    const exporter = new HeldExporter();
    const warnings: string[] = [];
    const keep = (message: string, ...args: unknown[]) =>
      warnings.push([message, ...args].map(String).join(' '));
    telemetry = startTelemetry({
      serviceName: 'cleave-queue-test',
      traces: {
        spanExporter: exporter,
        maxQueueSize: 2,
        maxExportBatchSize: 1,
        scheduledDelayMillis: 60_000,
      },
      diagLogger: { error: keep, warn: keep, info: keep, debug: keep, verbose: keep },
    });
    assert.equal(telemetry.traces.exporter, 'custom');
    const tracer = trace.getTracer('@cleave/test');
    for (let i = 0; i < 10; i++) tracer.startSpan(`span-${i}`).end();

    // One batch is with the (stuck) exporter, two spans wait in the queue, the rest are dropped.
    // (The batch reaches the exporter once the resource's async host.id is settled.)
    await until(() => exporter.held.length === 1);
    const drops = telemetry.spanDrops();
    assert.equal(drops.queueFull, 10 - 1 - 2);
    assert.equal(drops.exportFailed, 0);

    // The collector is down: the batch fails, the processor goes on with the queue, and so does
    // a flush; those fail too. Failed exports are counted, and forceFlush() does not throw.
    exporter.release({ code: ExportResultCode.FAILED, error: new Error('collector down') });
    const flushing = telemetry.forceFlush();
    await until(() => exporter.held.length === 2);
    exporter.release({ code: ExportResultCode.FAILED, error: new Error('collector down') });
    await flushing;
    assert.deepEqual(telemetry.spanDrops(), { queueFull: 7, exportFailed: 3 });
    assert.equal(telemetry.droppedSpans(), 10);
    assert.ok(
      warnings.some((w) => w.includes('collector down')),
      `the SDK's warnings reach the diag logger: ${warnings.join(' | ')}`,
    );

    const text = await telemetry.metricsText();
    assert.match(text, /^otel_sdk_processor_span_processed_total\{[^}]*error_type="queue_full"[^}]*\} 7$/m);
    assert.match(text, /^otel_sdk_processor_span_queue_capacity\{[^}]*\} 2$/m);
    const check = promtoolCheck(text);
    assert.equal(check.status, 0, `promtool check metrics failed:\n${check.output}`);
    assert.equal(check.output, '');
  });
});
