import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterEach, describe, it } from 'node:test';
import { metrics, propagation, trace } from '@opentelemetry/api';
import { startTelemetry, type Telemetry } from './index.js';

const silent = { error() {}, warn() {}, info() {}, debug() {}, verbose() {} };

/** Calls the handler with a stand-in request and response (the real server is in test/telemetry). */
function get(telemetry: Telemetry, method = 'GET'): Promise<{ status: number; text: string }> {
  return new Promise((resolve) => {
    let status = 0;
    const res = {
      setHeader() {},
      writeHead(code: number) {
        status = code;
        return res;
      },
      end(body?: string) {
        resolve({ status, text: body ?? '' });
      },
    };
    telemetry.prometheusHandler({ method } as IncomingMessage, res as unknown as ServerResponse);
  });
}

function withEnv<T>(vars: Record<string, string>, fn: () => T): T {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  try {
    return fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

describe('telemetry - startTelemetry', () => {
  let telemetry: Telemetry | undefined;
  afterEach(async () => {
    await telemetry?.shutdown();
    telemetry = undefined;
  });

  it('telemetry - registers the globals, refuses a second start, and unregisters them on shutdown', {
    timeout: 5000,
  }, async () => {
    telemetry = startTelemetry({ serviceName: 'unit', diagLogger: silent });
    assert.equal(telemetry.enabled, true);
    assert.equal(telemetry.traces.exporter, process.env.OTEL_EXPORTER_OTLP_ENDPOINT ? 'otlp' : 'none');
    const span = trace.getTracer('t').startSpan('s');
    assert.equal(span.isRecording(), true);
    span.end();
    assert.deepEqual(propagation.fields().sort(), ['baggage', 'traceparent', 'tracestate']);
    assert.throws(() => startTelemetry({ serviceName: 'again', diagLogger: silent }), /already registered/);
    // The failed second start rolled back only its own registrations: the first still works.
    assert.equal(trace.getTracer('t').startSpan('still').isRecording(), true);

    await telemetry.shutdown();
    await telemetry.shutdown(); // idempotent
    assert.equal(trace.getTracer('t').startSpan('after').isRecording(), false);
    assert.equal(metrics.getMeterProvider().constructor.name, 'NoopMeterProvider');
  });

  it('telemetry - OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES override the code’s resource', {
    timeout: 5000,
  }, async () => {
    telemetry = withEnv(
      { OTEL_SERVICE_NAME: 'from-env', OTEL_RESOURCE_ATTRIBUTES: 'service.version=9.9.9,cleave.site=lab' },
      () => startTelemetry({ serviceName: 'from-code', serviceVersion: '0.1.0', diagLogger: silent }),
    );
    const attrs = telemetry.resource.attributes;
    assert.equal(attrs['service.name'], 'from-env');
    assert.equal(attrs['service.version'], '9.9.9');
    assert.equal(attrs['cleave.site'], 'lab');
    assert.match(await telemetry.metricsText(), /^target_info\{[^}]*service_name="from-env"/m);
  });

  it('telemetry - OTEL_SDK_DISABLED=true registers nothing and /metrics answers 404', {
    timeout: 5000,
  }, async () => {
    telemetry = withEnv({ OTEL_SDK_DISABLED: 'true' }, () => startTelemetry({ serviceName: 'off' }));
    assert.equal(telemetry.enabled, false);
    assert.equal(telemetry.prometheus, false);
    assert.equal(telemetry.traces.exporter, 'none');
    assert.equal(trace.getTracer('t').startSpan('s').isRecording(), false);
    assert.equal(await telemetry.metricsText(), '');
    assert.equal((await get(telemetry)).status, 404);
  });

  it('telemetry - metrics can be turned off; the handler refuses methods other than GET and HEAD', {
    timeout: 5000,
  }, async () => {
    telemetry = startTelemetry({ serviceName: 'quiet', metrics: { prometheus: false }, diagLogger: silent });
    assert.equal((await get(telemetry)).status, 404);
    await telemetry.shutdown();
    telemetry = startTelemetry({ serviceName: 'loud', diagLogger: silent });
    assert.equal((await get(telemetry, 'DELETE')).status, 405);
    const ok = await get(telemetry);
    assert.equal(ok.status, 200);
    assert.match(ok.text, /^# TYPE target_info gauge$/m);
  });

  it('telemetry - shutdown gives up on an exporter that never answers after the cap, and still unregisters', {
    timeout: 5000,
  }, async () => {
    const stuck = { export() {}, async shutdown() {} };
    telemetry = startTelemetry({
      serviceName: 'stuck',
      traces: { spanExporter: stuck, exportTimeoutMillis: 1000 },
      diagLogger: silent,
    });
    trace.getTracer('t').startSpan('s').end();
    const start = Date.now();
    await telemetry.shutdown(200);
    assert.ok(Date.now() - start < 2000);
    assert.equal(trace.getTracer('t').startSpan('after').isRecording(), false);
  });
});
