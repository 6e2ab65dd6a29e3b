// Real link emulation for `cleave bench`: two network namespaces the benchmark creates itself,
// joined by a veth pair, with a netem qdisc on each end (delay, rate, loss in each direction).
// The edge runs in one namespace and the cloud in the other (`ip netns exec`). Needs root and
// iproute2 with the kernel's sch_netem; when any step fails, everything made so far is removed
// and the error names the command and what it printed, so the caller can fall back and say why.
import { spawn } from 'node:child_process';
import type { LinkProfile } from './link-profiles.js';

export interface NetnsNames {
  edge: string;
  cloud: string;
  edgeIf: string;
  cloudIf: string;
  edgeAddr: string;
  cloudAddr: string;
}

/** Names unique to this run (interface names stay within Linux's 15 characters). */
export function netnsNames(tag: number): NetnsNames {
  const t = String(tag % 100_000);
  const octet = (tag % 250) + 1;
  return {
    edge: `cleave-bench-edge-${t}`,
    cloud: `cleave-bench-cloud-${t}`,
    edgeIf: `cbe${t}`,
    cloudIf: `cbc${t}`,
    edgeAddr: `10.213.${octet}.1`,
    cloudAddr: `10.213.${octet}.2`,
  };
}

export function setupCommands(n: NetnsNames): string[][] {
  return [
    ['ip', 'netns', 'add', n.edge],
    ['ip', 'netns', 'add', n.cloud],
    ['ip', 'link', 'add', n.edgeIf, 'type', 'veth', 'peer', 'name', n.cloudIf],
    ['ip', 'link', 'set', n.edgeIf, 'netns', n.edge],
    ['ip', 'link', 'set', n.cloudIf, 'netns', n.cloud],
    ['ip', '-n', n.edge, 'addr', 'add', `${n.edgeAddr}/30`, 'dev', n.edgeIf],
    ['ip', '-n', n.cloud, 'addr', 'add', `${n.cloudAddr}/30`, 'dev', n.cloudIf],
    ['ip', '-n', n.edge, 'link', 'set', 'lo', 'up'],
    ['ip', '-n', n.cloud, 'link', 'set', 'lo', 'up'],
    ['ip', '-n', n.edge, 'link', 'set', n.edgeIf, 'up'],
    ['ip', '-n', n.cloud, 'link', 'set', n.cloudIf, 'up'],
  ];
}

/** netem arguments of one direction: `delay 40ms rate 5mbit loss 0.1%`. */
export function netemArgs(p: LinkProfile): string[] {
  const args = ['delay', `${p.delayMs}ms`, 'rate', `${p.rateMbit}mbit`];
  if (p.loss > 0) args.push('loss', `${+(p.loss * 100).toFixed(4)}%`);
  return args;
}

/** The qdisc on each end: the edge's egress is the uplink, the cloud's egress the downlink. */
export function qdiscCommands(n: NetnsNames, p: LinkProfile, verb: 'add' | 'replace'): string[][] {
  return [
    ['tc', '-n', n.edge, 'qdisc', verb, 'dev', n.edgeIf, 'root', 'netem', ...netemArgs(p)],
    ['tc', '-n', n.cloud, 'qdisc', verb, 'dev', n.cloudIf, 'root', 'netem', ...netemArgs(p)],
  ];
}

/** Deleting the namespaces deletes the veth pair inside them. */
export function teardownCommands(n: NetnsNames): string[][] {
  return [
    ['ip', 'netns', 'del', n.edge],
    ['ip', 'netns', 'del', n.cloud],
  ];
}

export class NetnsSetupError extends Error {
  override name = 'NetnsSetupError';
  readonly command: string;
  readonly output: string;
  constructor(command: string, output: string) {
    super(`\`${command}\` failed: ${output || 'no output'}`);
    this.command = command;
    this.output = output;
  }
}

export type RunCommand = (argv: string[]) => Promise<{ code: number | null; output: string }>;

export const runCommand: RunCommand = (argv) =>
  new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', (e) => resolve({ code: null, output: e.message }));
    child.on('close', (code) => resolve({ code, output: output.trim() }));
  });

async function runAll(commands: string[][], run: RunCommand): Promise<void> {
  for (const argv of commands) {
    const { code, output } = await run(argv);
    if (code !== 0) throw new NetnsSetupError(argv.join(' '), output);
  }
}

export interface NetnsLink {
  kind: 'netem';
  names: NetnsNames;
  /** Prefix that runs a command in the edge's / the cloud's namespace. */
  edgePrefix: string[];
  cloudPrefix: string[];
  /** The address the edge reaches the cloud at, and the one the cloud binds. */
  cloudHost: string;
  /** Puts this profile on the link (both directions); null takes netem off (veth at full speed). */
  apply(profile: LinkProfile | null): Promise<void>;
  close(): Promise<void>;
}

/**
 * Creates the namespaces, the veth pair and the netem qdiscs for `profile`. On failure, removes
 * what it made and throws NetnsSetupError with the failing command and its exact output.
 */
export async function setupNetns(
  profile: LinkProfile,
  options: { tag?: number; run?: RunCommand } = {},
): Promise<NetnsLink> {
  const run = options.run ?? runCommand;
  const n = netnsNames(options.tag ?? process.pid);
  const teardown = async () => {
    for (const argv of teardownCommands(n)) await run(argv);
  };
  if (process.platform !== 'linux') throw new NetnsSetupError('ip netns', `not Linux (${process.platform})`);
  if (process.getuid?.() !== 0) throw new NetnsSetupError('ip netns add', 'not root: namespaces need root');
  try {
    await runAll(setupCommands(n), run);
    await runAll(qdiscCommands(n, profile, 'add'), run);
  } catch (error) {
    await teardown();
    throw error;
  }
  return {
    kind: 'netem',
    names: n,
    edgePrefix: ['ip', 'netns', 'exec', n.edge],
    cloudPrefix: ['ip', 'netns', 'exec', n.cloud],
    cloudHost: n.cloudAddr,
    apply: async (p) => {
      if (p) return runAll(qdiscCommands(n, p, 'replace'), run);
      // Deleting a qdisc that is not there fails harmlessly.
      await run(['tc', '-n', n.edge, 'qdisc', 'del', 'dev', n.edgeIf, 'root']);
      await run(['tc', '-n', n.cloud, 'qdisc', 'del', 'dev', n.cloudIf, 'root']);
    },
    close: teardown,
  };
}
