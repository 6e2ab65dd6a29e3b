// A trace that starts in this process and continues in another one, as it does from the edge
// agent to the cloud tail: W3C trace context and baggage travel in gRPC call metadata, each
// process exports its own spans over OTLP (this one http/protobuf set through options, the child
// gRPC set through the standard OTEL_* environment), and a real OTLP receiver decodes both.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import {
  grpcStatusName,
  injectTraceContext,
  markSpanError,
  rpcSpanAttributes,
  rpcStatusAttributes,
  startRpcCallTimer,
  withSpan,
} from '@cleave/telemetry';
import { startTelemetry, type Telemetry } from '@cleave/telemetry-sdk';
import { Client, credentials, Metadata, type ServiceError, status } from '@grpc/grpc-js';
import { context, propagation, SpanKind, trace } from '@opentelemetry/api';
import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from '../support/otlp-receiver.js';

const ECHO_METHOD = 'cleave.test.Echo/Say';
const FIXTURE = path.join(import.meta.dirname, 'fixtures', 'echo-service.ts');

interface EchoReply {
  said: string;
  traceparent: string | null;
  traceId: string;
  spanId: string;
}

async function startEchoService(receiver: OtlpReceiver): Promise<{ child: ChildProcess; port: number }> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.grpcTarget,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
    OTEL_SERVICE_NAME: 'cleave-tail-test',
    OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=test',
    OTEL_BSP_SCHEDULE_DELAY: '50',
  };
  for (const name of ['OTEL_SDK_DISABLED', 'OTEL_TRACES_EXPORTER', 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']) {
    delete env[name];
  }
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`echo service exited early with ${String(code)}`);
  });
  const ready = (async () => {
    for await (const line of lines) {
      const match = /^PORT (\d+) traces=(\S+)/.exec(line);
      if (match) {
        assert.equal(match[2], 'otlp/grpc', 'the child chose OTLP/gRPC from its environment');
        return Number(match[1]);
      }
    }
    throw new Error('echo service closed stdout before listening');
  })();
  const port = await Promise.race([ready, exited]);
  return { child, port };
}

function say(client: Client, text: string, fail: boolean, metadata: Metadata): Promise<EchoReply> {
  const json = {
    serialize: (value: unknown) => Buffer.from(JSON.stringify(value)),
    deserialize: (bytes: Buffer) => JSON.parse(bytes.toString('utf8')) as EchoReply,
  };
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      `/${ECHO_METHOD}`,
      json.serialize,
      json.deserialize,
      { text, fail },
      metadata,
      { deadline: Date.now() + 5000 },
      (error: ServiceError | null, reply?: EchoReply) => (error ? reject(error) : resolve(reply!)),
    );
  });
}

/** The client side of one call, as the edge agent's offload client would do it. */
async function tracedCall(client: Client, port: number, text: string, fail: boolean): Promise<EchoReply> {
  const tracer = trace.getTracer('@cleave/test-edge');
  const rpc = { method: ECHO_METHOD, serverAddress: '127.0.0.1', serverPort: port };
  return withSpan(
    tracer,
    ECHO_METHOD,
    rpcSpanAttributes(rpc),
    async (span) => {
      const timer = startRpcCallTimer('client', rpc);
      try {
        const reply = await say(client, text, fail, injectTraceContext(new Metadata()));
        span.setAttributes(rpcStatusAttributes('client', status.OK));
        timer.end(status.OK);
        return reply;
      } catch (error) {
        const code = (error as ServiceError).code ?? status.UNKNOWN;
        span.setAttributes(rpcStatusAttributes('client', code));
        timer.end(code);
        markSpanError(span, error, grpcStatusName(code));
        throw error;
      }
    },
    { kind: SpanKind.CLIENT },
  );
}

const byName = (spans: ReceivedSpan[], service: string, name: string) =>
  spans.filter((s) => s.serviceName === service && s.name === name);

describe('telemetry - trace context across processes', { timeout: 60_000 }, () => {
  let receiver: OtlpReceiver;
  let telemetry: Telemetry;
  let echo: { child: ChildProcess; port: number } | undefined;
  let client: Client | undefined;

  before(async () => {
    receiver = await startOtlpReceiver();
    telemetry = startTelemetry({
      serviceName: 'cleave-edge-test',
      traces: {
        exporter: 'otlp',
        protocol: 'http/protobuf',
        endpoint: receiver.tracesUrl,
        scheduledDelayMillis: 50,
      },
    });
  });

  after(async () => {
    client?.close();
    if (echo && echo.child.exitCode === null) {
      echo.child.kill('SIGKILL');
      await once(echo.child, 'exit');
    }
    await telemetry?.shutdown();
    await receiver?.close();
  });

  it('telemetry - the edge span, its client span and the remote server span share one trace with the right parents', {
    timeout: 45_000,
  }, async () => {
    echo = await startEchoService(receiver);
    client = new Client(`127.0.0.1:${echo.port}`, credentials.createInsecure());
    const tracer = trace.getTracer('@cleave/test-edge');
    const bag = propagation.createBaggage({ 'cleave.request_id': { value: 'req-42' } });

    const { reply, failure, root } = await context.with(propagation.setBaggage(context.active(), bag), () =>
      withSpan(tracer, 'edge.infer', { 'cleave.stage': 'offload' }, async (span) => {
        const ok = await tracedCall(client!, echo!.port, 'hello', false);
        const failed = await tracedCall(client!, echo!.port, 'boom', true).then(
          () => undefined,
          (error: ServiceError) => error,
        );
        return { reply: ok, failure: failed, root: span.spanContext() };
      }),
    );

    assert.equal(reply.said, 'hello');
    assert.equal(reply.traceId, root.traceId, 'the server span continues the edge trace');
    assert.match(reply.traceparent ?? '', new RegExp(`^00-${root.traceId}-[0-9a-f]{16}-01$`));
    assert.equal(failure?.code, status.INTERNAL);

    // The child flushes its spans on SIGTERM; this process flushes on demand.
    echo.child.kill('SIGTERM');
    const [code] = await once(echo.child, 'exit');
    assert.equal(code, 0, 'the echo service shut down cleanly');
    await telemetry.forceFlush();

    const spans = await receiver.waitFor(
      (all) =>
        byName(all, 'cleave-edge-test', 'edge.infer').length === 1 &&
        byName(all, 'cleave-edge-test', ECHO_METHOD).length === 2 &&
        byName(all, 'cleave-tail-test', ECHO_METHOD).length === 2,
      15_000,
    );

    const [edge] = byName(spans, 'cleave-edge-test', 'edge.infer');
    const clients = byName(spans, 'cleave-edge-test', ECHO_METHOD);
    const servers = byName(spans, 'cleave-tail-test', ECHO_METHOD);
    assert.ok(edge);
    assert.equal(edge.traceId, root.traceId);
    assert.equal(edge.spanId, root.spanId);
    assert.equal(edge.parentSpanId, '', 'the edge span is the root');
    assert.equal(edge.transport, 'http');
    assert.equal(edge.kind, 'SPAN_KIND_INTERNAL');

    for (const span of [...clients, ...servers]) assert.equal(span.traceId, root.traceId);
    for (const span of clients) {
      assert.equal(span.parentSpanId, edge.spanId);
      assert.equal(span.kind, 'SPAN_KIND_CLIENT');
      assert.equal(span.transport, 'http');
      assert.equal(span.attributes['rpc.system.name'], 'grpc');
      assert.equal(span.attributes['rpc.method'], ECHO_METHOD);
      assert.equal(span.attributes['server.port'], echo.port);
    }
    for (const span of servers) {
      assert.equal(span.kind, 'SPAN_KIND_SERVER');
      assert.equal(span.transport, 'grpc', 'the child exported over OTLP/gRPC');
      assert.equal(span.resource['deployment.environment.name'], 'test', 'OTEL_RESOURCE_ATTRIBUTES applied');
      assert.equal(span.attributes['cleave.request_id'], 'req-42', 'baggage crossed the process boundary');
      const parent = clients.find((c) => c.spanId === span.parentSpanId);
      assert.ok(parent, `server span ${span.spanId} has a client span of this process as its parent`);
    }

    const okServer = servers.find((s) => s.spanId === reply.spanId);
    assert.ok(okServer, 'the span id the server reported is the exported one');
    assert.equal(okServer.status.code, 'STATUS_CODE_UNSET');
    assert.equal(okServer.attributes['rpc.status_code'], 'OK');

    const failedServer = servers.find((s) => s.spanId !== reply.spanId);
    assert.ok(failedServer);
    assert.equal(failedServer.status.code, 'STATUS_CODE_ERROR');
    assert.equal(failedServer.attributes['error.type'], 'RangeError');
    assert.ok(
      failedServer.events.some(
        (e) => e.name === 'exception' && e.attributes['exception.message'] === 'asked to fail',
      ),
    );

    const failedClient = clients.find((c) => c.spanId === failedServer.parentSpanId);
    assert.equal(failedClient?.status.code, 'STATUS_CODE_ERROR');
    assert.equal(failedClient?.attributes['rpc.status_code'], 'INTERNAL');
    assert.equal(failedClient?.attributes['error.type'], 'INTERNAL');
    assert.equal(failedClient?.events.filter((e) => e.name === 'exception').length, 1, 'recorded once');

    assert.equal(telemetry.droppedSpans(), 0);
    const text = await telemetry.metricsText();
    assert.match(text, /^rpc_client_call_duration_seconds_count\{[^}]*rpc_status_code="INTERNAL"[^}]*\} 1$/m);
  });
});
