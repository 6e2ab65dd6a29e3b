// Which versions of a model to serve, as Triton's version_policy: the newest N, all of them, or
// a fixed list.
import { z } from 'zod';

export const VersionPolicySchema = z.union([
  z.literal('all'),
  z.object({ latest: z.number().int().min(1) }).strict(),
  z.object({ specific: z.array(z.string().min(1)).min(1) }).strict(),
]);
export type VersionPolicy = z.infer<typeof VersionPolicySchema>;

/** Orders dotted numeric versions ("1.10.0" > "1.9.2"); non-numeric parts compare as text. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/);
  const pb = b.split(/[.-]/);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? '0';
    const y = pb[i] ?? '0';
    const nx = Number(x);
    const ny = Number(y);
    const c = Number.isFinite(nx) && Number.isFinite(ny) ? nx - ny : x.localeCompare(y);
    if (c !== 0) return Math.sign(c);
  }
  return 0;
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
