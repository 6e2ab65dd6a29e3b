// @cleave/telemetry main entry: API-only code that library packages may import (energy meters,
// W3C context over gRPC, span and RPC-metric helpers). It never loads the OpenTelemetry SDK;
// entry points (agent, server, CLI) set the SDK up through '@cleave/telemetry/otel'.
export * from './energy/index.js';
export * from './propagation/index.js';
