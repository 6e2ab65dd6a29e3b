// Which versions of a model to serve, as Triton's version_policy: the newest N, all of them, or
// a fixed list.
import { z } from 'zod';

export const VersionPolicySchema = z.union([
  z.literal('all'),
  z.object({ latest: z.number().int().min(1) }).strict(),
  z.object({ specific: z.array(z.string().min(1)).min(1) }).strict(),
]);
export type VersionPolicy = z.infer<typeof VersionPolicySchema>;

/** Compares dot-separated identifiers: numbers numerically, below any text; missing ones as `pad`. */
function compareParts(pa: readonly string[], pb: readonly string[], pad: string | undefined): number {
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? pad;
    const y = pb[i] ?? pad;
    if (x === undefined) return -1; // a shorter pre-release ranks lower (semver 11.4.4)
    if (y === undefined) return 1;
    const nx = /^\d+$/.test(x) ? Number(x) : Number.NaN;
    const ny = /^\d+$/.test(y) ? Number(y) : Number.NaN;
    let c: number;
    if (!Number.isNaN(nx) && !Number.isNaN(ny)) c = nx - ny;
    else if (!Number.isNaN(nx)) c = -1;
    else if (!Number.isNaN(ny)) c = 1;
    else c = x < y ? -1 : x > y ? 1 : 0;
    if (c !== 0) return Math.sign(c);
  }
  return 0;
}

/**
 * Orders versions as semver does, tolerating fewer parts: dotted numbers compare numerically
 * ("1.10.0" > "1.9.2", "2" = "2.0.0"), and a pre-release ranks below its release
 * ("1.0.0-rc.1" < "1.0.0-rc.2" < "1.0.0"). Build metadata after "+" is ignored.
 */
export function compareVersions(a: string, b: string): number {
  const split = (v: string) => {
    const core = v.split('+')[0]!;
    const dash = core.indexOf('-');
    return dash < 0
      ? { main: core, pre: undefined }
      : { main: core.slice(0, dash), pre: core.slice(dash + 1) };
  };
  const x = split(a);
  const y = split(b);
  const main = compareParts(x.main.split('.'), y.main.split('.'), '0');
  if (main !== 0) return main;
  if (x.pre === undefined || y.pre === undefined) return x.pre === y.pre ? 0 : x.pre === undefined ? 1 : -1;
  return compareParts(x.pre.split('.'), y.pre.split('.'), undefined);
}

/**
 * The versions to try, best first, and how many of them should end up serving. With `latest`,
 * a version that fails to load lets the next older one serve in its place.
 */
export function versionCandidates(
  available: readonly string[],
  policy: VersionPolicy,
): { candidates: string[]; want: number } {
  const newestFirst = [...new Set(available)].sort((a, b) => compareVersions(b, a));
  if (policy === 'all') return { candidates: newestFirst, want: newestFirst.length };
  if ('latest' in policy) return { candidates: newestFirst, want: policy.latest };
  const listed = newestFirst.filter((v) => policy.specific.includes(v));
  return { candidates: listed, want: listed.length };
}
