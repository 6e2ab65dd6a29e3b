// @cleave/telemetry: API-only code that library packages may import (energy meters, W3C context
// over gRPC, span and RPC-metric helpers, trace records as data). It never loads the OpenTelemetry
// SDK; entry points (agent, server, CLI) set the SDK up through @cleave/telemetry-sdk.

export type * from './collected-metrics.js';
export * from './energy/index.js';
export {
  attachHistogramStore,
  type HistogramSeries,
  HistogramStore,
  histogramSeries,
  histogramStoreOf,
  type StoredHistogram,
  type StoredHistogramPoint,
} from './histogram-store.js';
export { METRIC, type MetricName } from './metric-names.js';
export * from './propagation/index.js';
export type * from './trace-records.js';
