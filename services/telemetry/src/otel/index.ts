// OpenTelemetry SDK set-up for entry points: OTLP traces, Prometheus /metrics.
export {};
