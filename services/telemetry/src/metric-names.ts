// Every instrument Cleave records, by its OpenTelemetry name: the semantic conventions where they
// exist (rpc.*, hw.*), `cleave.` otherwise (DESIGN.md, "Telemetry"). Instruments are made with
// these names and readers (the dashboard) look them up by the same constants.
export const METRIC = {
  /** Seconds per inference stage (`stage`), on the device and on the server. */
  inferenceDuration: 'cleave.inference.duration',
  /** Joules charged to one inference on the device (`component`, `method`, `source`). */
  inferenceEnergy: 'cleave.inference.energy',
  /** Feature-frame bytes handed to the transport per offload. */
  payloadSize: 'cleave.payload.size',
  /** The agent's answers (`source`, `degraded`, `mode`). */
  agentAnswers: 'cleave.agent.answers',
  /** The offload policy's decisions (`decision`). */
  policyDecisions: 'cleave.policy.decisions',
  /** Result-cache lookups (`result`). */
  cacheLookups: 'cleave.cache.lookups',
  /** Stream frames per `source` by `outcome` (in, answered, skipped, dropped, failed, capped). */
  streamFrames: 'cleave.stream.frames',
  /** Seconds from a stream frame's capture to its answer (`source`, `answered_by`). */
  streamFrameAge: 'cleave.stream.frame_age',
  /** Times a stream source was opened again after it was lost (`source`). */
  streamReconnects: 'cleave.stream.reconnects',
  /** 1 while a stream source delivers frames, else 0 (`source`, `state`). */
  streamUp: 'cleave.stream.up',
  /** The server's requests by `outcome`. */
  serverRequests: 'cleave.server.requests',
  serverBatchSize: 'cleave.server.batch.size',
  serverQueueDepth: 'cleave.server.queue.depth',
  /** The board's power per rail (`hw.name`), its energy, and the host's share. */
  hwPower: 'hw.power',
  hwEnergy: 'hw.energy',
  hwHostEnergy: 'hw.host.energy',
  rpcServerCallDuration: 'rpc.server.call.duration',
  rpcClientCallDuration: 'rpc.client.call.duration',
} as const;
export type MetricName = (typeof METRIC)[keyof typeof METRIC];
