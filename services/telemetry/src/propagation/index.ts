// API-only helpers for library code: W3C context over gRPC, spans, RPC call metrics.
export * from './binary-trace-context.js';
export * from './carriers.js';
export * from './instrument-cache.js';
export * from './rpc-metrics.js';
export * from './with-span.js';
