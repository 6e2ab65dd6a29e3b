// An immutable routing table over the served versions, rebuilt on every change and swapped in
// whole, so a request sees either the old table or the new one, never a mix.
import type { ServedModel } from './served-model.js';
import { compareVersions } from './version-policy.js';

export interface Routes {
  readonly all: readonly ServedModel[];
  /** Per name, newest version first. */
  readonly byName: ReadonlyMap<string, readonly ServedModel[]>;
  /** Per head fingerprint, the newest version whose head it is. */
  readonly byFingerprint: ReadonlyMap<string, ServedModel>;
}

export function buildRoutes(models: readonly ServedModel[]): Routes {
  const newestFirst = [...models].sort(
    (a, b) => a.name.localeCompare(b.name) || compareVersions(b.version, a.version),
  );
  const byName = new Map<string, ServedModel[]>();
  const byFingerprint = new Map<string, ServedModel>();
  for (const m of newestFirst) {
    byName.set(m.name, [...(byName.get(m.name) ?? []), m]);
    const fp = m.codec.headFingerprint;
    const same = byFingerprint.get(fp);
    if (!same || compareVersions(m.version, same.version) > 0) byFingerprint.set(fp, m);
  }
  return { all: Object.freeze(newestFirst), byName, byFingerprint };
}
