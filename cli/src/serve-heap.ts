// V8's young generation for `cleave serve`. Under load a request waits in its model's batch queue
// for as long as the queue is deep: in `cleave bench serve`, 2,048 requests wait about a second
// each. With V8's default semi-spaces (16 MB on 64-bit) a scavenge comes every second or two, so
// most waiting requests outlive one, are copied, and outlive the next, which moves them to the old
// generation: each scavenge took 5-13 ms there and the old generation grew by 2 MB a time, until
// a full collection. With 64 MB semi-spaces they die young (each scavenge about 2 ms, the old
// generation flat; docs/benchmarks.md). The cost is memory: up to 3 × 64 MB of young generation.
// The flag must be given when node starts: the server process cannot set it for itself.

/** The semi-space size `cleave serve` is started with, in MB. */
export const SERVE_SEMI_SPACE_MB = 64;

/** Node's own flags for a `cleave serve` process (startServeProcess, the container image). */
export const SERVE_NODE_FLAGS: readonly string[] = [`--max-semi-space-size=${SERVE_SEMI_SPACE_MB}`];

/**
 * The semi-space size (MB) that node's flags set: `--max-semi-space-size=N` or `… N` (V8 takes
 * `_` for `-` too), in the arguments or in NODE_OPTIONS; undefined when neither does (V8's default).
 */
export function semiSpaceFlagMb(
  execArgv: readonly string[] = process.execArgv,
  nodeOptions: string = process.env.NODE_OPTIONS ?? '',
): number | undefined {
  const words = [...nodeOptions.split(/\s+/).filter((w) => w !== ''), ...execArgv];
  let mb: number | undefined;
  for (let i = 0; i < words.length; i++) {
    const m = /^--max[-_]semi[-_]space[-_]size(?:=(.*))?$/.exec(words[i]!);
    if (!m) continue;
    const value = Number(m[1] ?? words[i + 1]);
    if (Number.isFinite(value) && value > 0) mb = value;
  }
  return mb;
}
