// The link between the bench's edge and cloud processes: netem in network namespaces when it can
// be set up, else the in-process shaper (this process proxies the edge's connections). Either
// way the caller gets the prefixes to start each side with, where the cloud binds, and the
// address the edge dials, and the report gets which emulation was used and why.

import type { LinkProfile } from './link-profiles.js';
import { createLinkShaper, type DirectionStats, type LinkShaper } from './link-shaper.js';
import { type NetnsLink, NetnsSetupError, setupNetns } from './netns.js';

export type EmulationMode = 'auto' | 'netem' | 'shaper';

export interface Emulation {
  kind: 'netem' | 'shaper';
  /** Why this one: what was set up, or the exact error that made netem unavailable. */
  reason: string;
}

export interface BenchLink {
  emulation: Emulation;
  edgePrefix: string[];
  cloudPrefix: string[];
  /** Where the cloud processes bind. */
  cloudBindHost: string;
  /** Puts `profile` on the link (null: no emulation); endpoints made before it are closed. */
  apply(profile: LinkProfile | null): Promise<void>;
  /** host:port the edge dials to reach the cloud's `port`, through the current profile. */
  endpoint(port: number): Promise<string>;
  /** Bytes the shaper carried since the last apply() (null under netem: the kernel counts them). */
  stats(): { up: DirectionStats; down: DirectionStats } | null;
  close(): Promise<void>;
}

function shaperLink(first: LinkProfile, reason: string): BenchLink {
  let profile: LinkProfile | null = first;
  let shaper: LinkShaper | undefined;
  const current = (p: LinkProfile) => {
    shaper ??= createLinkShaper({ rateMbit: p.rateMbit, delayMs: p.delayMs, loss: p.loss });
    return shaper;
  };
  return {
    emulation: { kind: 'shaper', reason },
    edgePrefix: [],
    cloudPrefix: [],
    cloudBindHost: '127.0.0.1',
    async apply(p) {
      await shaper?.close();
      shaper = undefined;
      profile = p;
    },
    async endpoint(port) {
      return profile ? `127.0.0.1:${await current(profile).proxy(port)}` : `127.0.0.1:${port}`;
    },
    stats: () => {
      if (!shaper) return null;
      const { up, down } = shaper.stats();
      return { up, down };
    },
    close: async () => shaper?.close(),
  };
}

function netemLink(ns: NetnsLink): BenchLink {
  return {
    emulation: {
      kind: 'netem',
      reason: `netem on veth ${ns.names.edgeIf}/${ns.names.cloudIf} between namespaces ${ns.names.edge} (edge) and ${ns.names.cloud} (cloud)`,
    },
    edgePrefix: ns.edgePrefix,
    cloudPrefix: ns.cloudPrefix,
    cloudBindHost: ns.cloudHost,
    apply: (p) => ns.apply(p),
    endpoint: async (port) => `${ns.cloudHost}:${port}`,
    stats: () => null,
    close: () => ns.close(),
  };
}

export async function createBenchLink(mode: EmulationMode, first: LinkProfile): Promise<BenchLink> {
  if (mode === 'shaper') return shaperLink(first, 'in-process shaper: chosen with --emulation shaper');
  try {
    return netemLink(await setupNetns(first));
  } catch (error) {
    if (mode === 'netem' || !(error instanceof NetnsSetupError)) throw error;
    return shaperLink(first, `in-process shaper: netem could not be set up: ${error.message}`);
  }
}
