// One inference is one trace across two processes: the agent's root span and its stage spans,
// the offload's CLIENT span, and the tail server's SERVER, queue and tail spans arrive at a real
// OTLP receiver with the same trace id and the right parents. Both processes' /metrics pages
// pass `promtool check metrics`.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startServeProcess } from '@cleave/cli/serve-process';
import { imageAt, loadFashionMnist } from '@cleave/dataset';
import { createAgent, startHttpApi } from '@cleave/edge-agent';
import { startTelemetry } from '@cleave/telemetry-sdk';
import { startOtlpReceiver } from '../support/otlp-receiver.js';
import { promtoolCheck } from '../support/promtool.js';
import { DEFAULT_BUNDLE, MODELS_DIR } from '../support/shipped-bundles.js';

describe('telemetry - edge and cloud in one trace', { timeout: 180_000 }, () => {
  it('telemetry - agent and server spans share the trace id, with the right parents', {
    timeout: 150_000,
  }, async () => {
    const receiver = await startOtlpReceiver();
    const server = await startServeProcess(
      ['--models', MODELS_DIR, '--model', DEFAULT_BUNDLE, '--workers', '1'],
      {
        env: { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.tracesUrl, OTEL_BSP_SCHEDULE_DELAY: '100' },
      },
    );
    const telemetry = startTelemetry({
      serviceName: 'cleave-agent',
      traces: { endpoint: receiver.tracesUrl, scheduledDelayMillis: 100 },
    });
    const agent = await createAgent({
      bundleDir: join(MODELS_DIR, DEFAULT_BUNDLE),
      id: 'agent-under-test',
      mode: 'cloud-only',
      cloud: { target: `127.0.0.1:${server.port}`, timeoutMs: 10_000 },
    });
    const api = await startHttpApi(agent, {
      host: '127.0.0.1',
      port: 0,
      maxBodyBytes: 1 << 20,
      metrics: telemetry.prometheusHandler,
    });
    try {
      const data = await loadFashionMnist({ split: 'test', limit: 20 });
      for (let i = 0; i < data.count; i++) {
        const a = await agent.infer({ kind: 'pixels', data: imageAt(data, i) });
        assert.equal(a.source, 'cloud');
      }
      await telemetry.forceFlush();
      const spans = await receiver.waitFor(
        (all) =>
          all.filter((s) => s.name === 'cleave.tail').length >= data.count &&
          all.filter((s) => s.name === 'cleave.infer').length >= data.count,
        30_000,
      );
      const roots = spans.filter((s) => s.name === 'cleave.infer');
      assert.equal(roots.length, data.count);
      for (const root of roots) {
        const trace = spans.filter((s) => s.traceId === root.traceId);
        const byName = (name: string, service: string) =>
          trace.filter((s) => s.name === name && s.serviceName === service);
        assert.equal(root.parentSpanId, '');
        assert.equal(root.serviceName, 'cleave-agent');
        assert.equal(root.attributes['cleave.answer.source'], 'cloud');
        assert.equal(root.attributes['cleave.agent.id'], 'agent-under-test');
        for (const stage of ['cleave.head', 'cleave.encode']) {
          assert.equal(byName(stage, 'cleave-agent')[0]?.parentSpanId, root.spanId, stage);
        }
        const client = byName('cleave.v1.SplitInference/InferStream', 'cleave-agent');
        assert.equal(client.length, 1);
        assert.equal(client[0]!.kind, 'SPAN_KIND_CLIENT');
        assert.equal(client[0]!.parentSpanId, root.spanId);
        const serverSpan = byName('cleave.v1.SplitInference/InferStream', 'cleave-serve');
        assert.equal(serverSpan.length, 1, 'the server span joined the agent trace');
        assert.equal(serverSpan[0]!.kind, 'SPAN_KIND_SERVER');
        assert.equal(serverSpan[0]!.parentSpanId, client[0]!.spanId);
        for (const child of ['cleave.queue', 'cleave.tail']) {
          assert.equal(byName(child, 'cleave-serve')[0]?.parentSpanId, serverSpan[0]!.spanId, child);
        }
        // The server's work happens inside the client's call.
        assert.ok(serverSpan[0]!.startTimeUnixNano >= client[0]!.startTimeUnixNano - 2_000_000n);
        assert.ok(serverSpan[0]!.endTimeUnixNano <= client[0]!.endTimeUnixNano + 2_000_000n);
      }

      // Both processes' Prometheus pages pass promtool and carry the inference histogram.
      // rpc.{server,client}.call.duration measure whole calls: the agent's stream ends when it closes.
      await agent.close();
      await new Promise((r) => setTimeout(r, 200));
      const agentPage = await (await fetch(`http://127.0.0.1:${api.port}/metrics`)).text();
      let serverPage = '';
      for (let tries = 0; tries < 50 && !serverPage.includes('rpc_server_call_duration_seconds'); tries++) {
        if (tries > 0) await new Promise((r) => setTimeout(r, 100));
        serverPage = await (await fetch(`http://127.0.0.1:${server.httpPort}/metrics`)).text();
      }
      for (const [who, page] of [
        ['agent', agentPage],
        ['server', serverPage],
      ] as const) {
        const check = promtoolCheck(page);
        assert.equal(check.status, 0, `${who}: ${check.output}`);
        assert.match(page, /cleave_inference_duration_seconds_bucket/, who);
      }
      assert.match(agentPage, /cleave_inference_energy_joules/);
      assert.match(
        agentPage,
        /rpc_client_call_duration_seconds_count\{[^}]*rpc_method="cleave.v1.SplitInference\/InferStream"/,
      );
      assert.match(serverPage, /rpc_server_call_duration_seconds/);
    } finally {
      await api.close();
      await agent.close();
      await server.stop();
      await telemetry.shutdown();
      await receiver.close();
    }
  });
});
