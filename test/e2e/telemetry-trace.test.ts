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
import { openRawStream } from '../support/raw-stream.js';
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

      // The stream's own spans (compact form): the agent's cleave.stream CLIENT span travels in the
      // call's metadata; the server's cleave.stream SERVER span continues it and counts the
      // stream's requests; each sampled request's SERVER span links to it.
      await telemetry.forceFlush();
      const withStreams = await receiver.waitFor(
        (all) =>
          all
            .filter((s) => s.name === 'cleave.stream' && s.serviceName === 'cleave-serve')
            .reduce((n, s) => n + Number(s.attributes['cleave.stream.requests']), 0) >= data.count,
        30_000,
      );
      const streams = (service: string) =>
        withStreams.filter((s) => s.name === 'cleave.stream' && s.serviceName === service);
      const agentStreams = new Map(streams('cleave-agent').map((s) => [s.spanId, s]));
      const serverStreams = new Map(streams('cleave-serve').map((s) => [s.spanId, s]));
      assert.ok(serverStreams.size >= 1);
      let counted = 0;
      for (const s of serverStreams.values()) {
        const parent = agentStreams.get(s.parentSpanId);
        assert.ok(parent, 'each server stream span continues an agent stream span');
        assert.equal(s.traceId, parent.traceId);
        assert.equal(s.attributes['cleave.stream.requests_unsampled'], 0, 'every request sampled here');
        counted += Number(s.attributes['cleave.stream.requests']);
      }
      assert.equal(counted, data.count, 'the stream spans count every request');
      const requestSpans = withStreams.filter(
        (x) => x.name === 'cleave.v1.SplitInference/InferStream' && x.serviceName === 'cleave-serve',
      );
      assert.equal(requestSpans.length, data.count);
      for (const s of requestSpans) {
        assert.equal(s.links.length, 1);
        assert.ok(serverStreams.has(s.links[0]!.spanId), 'a request span links to its stream span');
      }

      // Unsampled compact requests (no trace bytes) on a stream whose metadata is traced: no span
      // of their own, and the stream's span counts them.
      const frame = agent.codec.encode(new Float32Array(agent.codec.elementCount));
      const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
      const raw = openRawStream(server.port, {
        'cleave-model': DEFAULT_BUNDLE,
        traceparent: `00-${traceId}-00f067aa0ba902b7-01`,
      });
      const answered = await raw.exchange(
        Array.from({ length: 5 }, (_, i) => ({ id: i + 1, frame })),
        10_000,
      );
      assert.equal(answered.size, 5);
      assert.ok([...answered.values()].every((r) => !r.error && r.server_100us > 0));
      raw.stream.end();
      await new Promise((r) => raw.stream.on('status', r));
      const rawSpans = await receiver.waitFor(
        (all) => all.some((s) => s.traceId === traceId && s.name === 'cleave.stream'),
        30_000,
      );
      const inTrace = rawSpans.filter((s) => s.traceId === traceId);
      assert.deepEqual(
        inTrace.map((s) => s.name),
        ['cleave.stream'],
        'only the stream span: the unsampled requests have none',
      );
      assert.equal(inTrace[0]!.attributes['cleave.stream.requests'], 5);
      assert.equal(inTrace[0]!.attributes['cleave.stream.requests_unsampled'], 5);
      raw.close();

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
