// Every subject, KV bucket, key and stream of the fleet, in one place (docs/fleet.md lists them).
import { ControlError } from './connection.js';

export const SUBJECT_ROOT = 'cleave';

/** Registry: announce, heartbeat and goodbye of agents and tail servers (core NATS, live view). */
export const fleetSubject = (event: 'announce' | 'heartbeat' | 'bye', kind: MemberKind, id: string) =>
  `${SUBJECT_ROOT}.fleet.${event}.${kind}.${id}`;
/** Config and rollout status of one agent (core NATS; the latest also sits in the status bucket). */
export const statusSubject = (what: 'config' | 'rollout', id: string) =>
  `${SUBJECT_ROOT}.fleet.status.${what}.${id}`;
export const FLEET_WILDCARD = `${SUBJECT_ROOT}.fleet.>`;

/** Store-and-forward streams: telemetry records and hard examples, one subject per agent. */
export const telemetrySubject = (id: string) => `${SUBJECT_ROOT}.telemetry.${id}`;
export const hardExampleSubject = (id: string) => `${SUBJECT_ROOT}.hard.${id}`;
/** Stream results: one event per answered frame of a camera or video source (core NATS, live). */
export const resultsSubject = (agentId: string, sourceId: string) =>
  `${SUBJECT_ROOT}.results.${agentId}.${sourceId}`;
export const TELEMETRY_STREAM = 'CLEAVE_TELEMETRY';
export const HARD_EXAMPLE_STREAM = 'CLEAVE_HARD_EXAMPLES';

/** KV buckets: live configuration, the registry, and each agent's last config/rollout status. */
export const CONFIG_BUCKET = 'cleave-config';
export const REGISTRY_BUCKET = 'cleave-registry';
export const STATUS_BUCKET = 'cleave-status';
/** Object Store bucket of bundles: `NAME/VERSION/FILE`. */
export const MODELS_BUCKET = 'cleave-models';

export type MemberKind = 'agent' | 'server';

export const FLEET_KEY = 'fleet';
export const groupKey = (group: string) => `group.${group}`;
export const agentKey = (id: string) => `agent.${id}`;
export const memberKey = (kind: MemberKind, id: string) => `${kind}.${id}`;
export const statusKey = (what: 'config' | 'rollout', id: string) => `${what}.${id}`;

const TOKEN = /^[A-Za-z0-9_-]{1,128}$/;

/** Ids and groups are single subject tokens: letters, digits, `_` and `-`. */
export function checkToken(value: string, what: string): string {
  if (!TOKEN.test(value)) {
    throw new ControlError(
      `${what} "${value}" must be 1-128 letters, digits, "_" or "-" (it is a NATS subject token)`,
    );
  }
  return value;
}

/** A host name as a fleet id: dots and other characters become "-". */
export function fleetIdOf(name: string): string {
  const id = name.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 128);
  return id.length > 0 ? id : 'unnamed';
}

/** `NAME@VERSION` → parts; bundle names and versions as the manifest allows them. */
export function parseBundleRef(ref: string): { name: string; version: string } {
  const m = /^([A-Za-z0-9][A-Za-z0-9._-]*)@([A-Za-z0-9][A-Za-z0-9.+_-]*)$/.exec(ref);
  if (!m) throw new ControlError(`"${ref}" is not NAME@VERSION`);
  return { name: m[1]!, version: m[2]! };
}
