// @cleave/telemetry: energy meters and attribution (./energy) and OpenTelemetry SDK wiring (./otel).
export * from './energy/index.js';
export * from './otel/index.js';
