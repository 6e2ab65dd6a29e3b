export {
  type ConfigLayer,
  type ConfigScope,
  effectiveConfig,
  getLayer,
  layerOf,
  mergeLayers,
  parseLayer,
  scopeKey,
  setPath,
  updateLayer,
} from './config-layers.js';
export {
  ControlError,
  connectNats,
  type NatsOptions,
  NatsOptionsSchema,
  type ResolvedNatsOptions,
  resolveNatsOptions,
} from './connection.js';
export { type FleetAgent, type FleetAgentOptions, joinFleetAsAgent } from './fleet-agent.js';
export { type ControlledServer, type FleetServerOptions, joinFleetAsServer } from './fleet-server.js';
export { formatMembers, formatStatuses } from './fleet-tables.js';
export { createForwarder, type Forwarder, type ForwarderOptions, type ForwarderStats } from './forwarder.js';
export {
  type ControlledAgent,
  hardExampleRecord,
  type TelemetryRecord,
  telemetryRecord,
} from './managed-agent.js';
export {
  BundleTransferError,
  downloadBundle,
  listStoredBundles,
  objectDigestOf,
  objectName,
  type PushedBundle,
  type PushOptions,
  pushBundle,
  SELF_TEST_OBJECT,
} from './model-store.js';
export {
  isStale,
  listMembers,
  type Member,
  type MemberDescription,
  type MemberRecord,
  recordOf,
  startMember,
  tailServersFor,
} from './registry.js';
export { type FleetResourceOptions, type FleetResources, openFleetResources } from './resources.js';
export { awaitRollout, type RolloutPlan, startRollout } from './rollout.js';
export { fashionMnistSelfTest, SELF_TEST_MARGIN, type SelfTestDocument } from './self-test-samples.js';
export { openSpool, type Spool, type SpoolOptions, type SpoolRecord, type SpoolStats } from './spool.js';
export {
  type ConfigStatus,
  type RolloutState,
  type RolloutStatus,
  readStatuses,
  reportStatus,
} from './status.js';
export { createResultPublisher, type ResultPublisher } from './stream-results.js';
export * from './subjects.js';
