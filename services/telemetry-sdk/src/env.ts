// What the standard OTEL_* environment variables ask for, where the SDK packages do not read them
// themselves. (They do read: OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT, _HEADERS, _TIMEOUT,
// _COMPRESSION, certificates; OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES through the env
// resource detector; OTEL_BSP_*; OTEL_TRACES_SAMPLER[_ARG]; OTEL_*_LIMIT.)
import { diag } from '@opentelemetry/api';

export type TracesExporterName = 'otlp' | 'console' | 'none';
export type OtlpProtocol = 'grpc' | 'http/protobuf';

export interface TraceExportChoice {
  exporter: TracesExporterName;
  protocol: OtlpProtocol;
  /** Why: for the start-up log line. */
  reason: string;
}

export interface TraceExportOptions {
  exporter?: TracesExporterName;
  protocol?: OtlpProtocol;
  /** Used as is, like OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (for http: the full `/v1/traces` URL). */
  endpoint?: string;
}

type Env = Record<string, string | undefined>;

function envValue(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

/** OTEL_SDK_DISABLED=true (case-insensitive) turns every signal off. */
export function sdkDisabled(env: Env = process.env): boolean {
  return envValue(env, 'OTEL_SDK_DISABLED')?.toLowerCase() === 'true';
}

function parseProtocol(value: string | undefined, from: string): OtlpProtocol | undefined {
  if (value === undefined) return undefined;
  if (value === 'grpc' || value === 'http/protobuf') return value;
  diag.warn(`${from}=${value} is not supported here (grpc, http/protobuf); using http/protobuf`);
  return 'http/protobuf';
}

/**
 * Decides where traces go. Options win over the environment. Without an explicit exporter,
 * traces go over OTLP only when an endpoint is configured (options, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
 * or OTEL_EXPORTER_OTLP_ENDPOINT) — a device without a collector does not retry a default one.
 * OTEL_TRACES_EXPORTER=otlp exports to the SDK's default endpoint even without one.
 */
export function chooseTraceExport(
  options: TraceExportOptions = {},
  env: Env = process.env,
): TraceExportChoice {
  const protocol =
    options.protocol ??
    parseProtocol(
      envValue(env, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'),
      'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL',
    ) ??
    parseProtocol(envValue(env, 'OTEL_EXPORTER_OTLP_PROTOCOL'), 'OTEL_EXPORTER_OTLP_PROTOCOL') ??
    'http/protobuf';
  if (options.exporter !== undefined) {
    return { exporter: options.exporter, protocol, reason: 'options.traces.exporter' };
  }
  const listed = envValue(env, 'OTEL_TRACES_EXPORTER');
  if (listed !== undefined) {
    const names = listed.split(',').map((name) => name.trim().toLowerCase());
    if (names.includes('none')) return { exporter: 'none', protocol, reason: 'OTEL_TRACES_EXPORTER=none' };
    for (const name of names) {
      if (name === 'otlp' || name === 'console') {
        return { exporter: name, protocol, reason: `OTEL_TRACES_EXPORTER=${listed}` };
      }
    }
    diag.warn(
      `OTEL_TRACES_EXPORTER=${listed}: no supported exporter (otlp, console, none); traces are not exported`,
    );
    return { exporter: 'none', protocol, reason: `OTEL_TRACES_EXPORTER=${listed} unsupported` };
  }
  const endpoint =
    options.endpoint !== undefined
      ? 'options.traces.endpoint'
      : envValue(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT') !== undefined
        ? 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'
        : envValue(env, 'OTEL_EXPORTER_OTLP_ENDPOINT') !== undefined
          ? 'OTEL_EXPORTER_OTLP_ENDPOINT'
          : undefined;
  if (endpoint !== undefined) return { exporter: 'otlp', protocol, reason: `${endpoint} is set` };
  return { exporter: 'none', protocol, reason: 'no OTLP endpoint configured' };
}

export type MetricsExporterName = 'prometheus' | 'none';

/** OTEL_METRICS_EXPORTER: `none` turns the Prometheus page off; other values are not served here. */
export function chooseMetricsExport(
  prometheusOption: boolean | undefined,
  env: Env = process.env,
): MetricsExporterName {
  if (prometheusOption !== undefined) return prometheusOption ? 'prometheus' : 'none';
  const listed = envValue(env, 'OTEL_METRICS_EXPORTER');
  if (listed === undefined) return 'prometheus';
  const names = listed.split(',').map((name) => name.trim().toLowerCase());
  if (names.includes('none')) return 'none';
  if (!names.includes('prometheus')) {
    diag.warn(`OTEL_METRICS_EXPORTER=${listed}: only prometheus (pull, GET /metrics) is served here`);
  }
  return 'prometheus';
}

export type PropagatorName = 'tracecontext' | 'baggage';

/** OTEL_PROPAGATORS, default `tracecontext,baggage`; `none` for no propagation. */
export function choosePropagators(env: Env = process.env): PropagatorName[] {
  const listed = envValue(env, 'OTEL_PROPAGATORS');
  if (listed === undefined) return ['tracecontext', 'baggage'];
  const chosen: PropagatorName[] = [];
  for (const name of listed.split(',').map((n) => n.trim().toLowerCase())) {
    if (name === 'none') return [];
    if (name === 'tracecontext' || name === 'baggage') {
      if (!chosen.includes(name)) chosen.push(name);
    } else {
      diag.warn(`OTEL_PROPAGATORS: ${name} is not installed; ignored`);
    }
  }
  return chosen;
}
