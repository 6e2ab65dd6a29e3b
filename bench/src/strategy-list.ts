// The strategies of one `cleave bench` run, in report order, with what each one is: a fixed
// strategy (compared in every regime), the cache variant (a duplicated stream, so a different
// workload: reported, not compared), or the adaptive policy (one run per device).
import { join } from 'node:path';
import { PLANS } from '@cleave/edge-agent';
import type { Manifest } from '@cleave/models';
import type { Slo, StrategySpec } from './records.js';

export type StrategyRole = 'fixed' | 'cache' | 'policy';
/** Splitting families: where the model is cut, and where it is not. */
export type StrategyFamily = 'local' | 'offload' | 'split' | 'policy';

export interface StrategyInfo {
  id: string;
  label: string;
  role: StrategyRole;
  family: StrategyFamily;
}

export interface StrategyPlan {
  camera: StrategySpec[];
  accuracy: StrategySpec[];
  info: StrategyInfo[];
}

export function strategyPlan(o: {
  modelsDir: string;
  bundles: readonly string[];
  /** Bundles whose cascade is run (exit + dual), and the one run again with the cache. */
  cascadeBundles: readonly string[];
  cacheBundle: string;
  devices: readonly string[];
  naiveBundleDir: string | null;
}): StrategyPlan {
  const info: StrategyInfo[] = [
    { id: 'local-only', label: 'local-only (teacher on the device)', role: 'fixed', family: 'local' },
    { id: 'offload-raw', label: 'full offload, raw pixels', role: 'fixed', family: 'offload' },
    { id: 'offload-webp', label: 'full offload, lossless WebP', role: 'fixed', family: 'offload' },
  ];
  const fixed: StrategySpec[] = [
    { kind: 'local', id: 'local-only' },
    { kind: 'offload', id: 'offload-raw', format: 'raw' },
    { kind: 'offload', id: 'offload-webp', format: 'webp' },
  ];
  const agent = (id: string, bundleDir: string, mode: 'cascade' | 'cloud-only', cache = false) =>
    ({ kind: 'agent', id, bundleDir, mode, dual: true, cache, duplicate: cache ? 2 : 1 }) as const;
  if (o.naiveBundleDir) {
    fixed.push(agent('naive-split', o.naiveBundleDir, 'cloud-only'));
    info.push({
      id: 'naive-split',
      label: 'naive split (teacher cut, 8-bit)',
      role: 'fixed',
      family: 'split',
    });
  }
  for (const b of o.bundles) {
    fixed.push(agent(`split-${b}`, join(o.modelsDir, b), 'cloud-only'));
    info.push({ id: `split-${b}`, label: `bottleneck split ${b}`, role: 'fixed', family: 'split' });
  }
  for (const b of o.cascadeBundles) {
    fixed.push(agent(`cascade-${b}`, join(o.modelsDir, b), 'cascade'));
    info.push({ id: `cascade-${b}`, label: `split + cascade ${b}`, role: 'fixed', family: 'split' });
  }
  const cache = agent(`cascade-cache-${o.cacheBundle}`, join(o.modelsDir, o.cacheBundle), 'cascade', true);
  info.push({
    id: cache.id,
    label: `split + cascade + cache ${o.cacheBundle} (each image twice)`,
    role: 'cache',
    family: 'split',
  });
  const policies: StrategySpec[] = o.devices.map((device) => ({
    kind: 'policy',
    id: `policy-${device}`,
    device,
  }));
  for (const d of o.devices)
    info.push({
      id: `policy-${d}`,
      label: `Cleave adaptive policy (${d})`,
      role: 'policy',
      family: 'policy',
    });
  const plans: StrategySpec[] = // local-full and input-offload are local-only and offload-raw, run above.
    PLANS.filter((p) => p !== 'local-full' && p !== 'input-offload').map((plan) => ({
      kind: 'plan',
      id: `plan-${plan}`,
      plan,
    }));
  return { camera: [...fixed, cache, ...policies], accuracy: [...fixed, cache, ...plans], info };
}

/**
 * The bundle the policy is given by the SLO: the fewest bytes per offload among those whose
 * cascade (as the recipe measured it on the test set) stays within the SLO's accuracy drop.
 */
export function policyBundle(manifests: readonly Manifest[], slo: Slo): { name: string; why: string } {
  const ok = manifests
    .filter((m) => {
      const cascade = m.metrics.accuracy.cascade;
      return cascade !== undefined && (m.metrics.teacherAccuracy - cascade) * 100 <= slo.accuracyDropPt;
    })
    .sort((a, b) => a.metrics.meanFrameBytes - b.metrics.meanFrameBytes);
  const best =
    ok[0] ?? [...manifests].sort((a, b) => b.metrics.accuracy.split! - a.metrics.accuracy.split!)[0]!;
  const drop = ((best.metrics.teacherAccuracy - (best.metrics.accuracy.cascade ?? 0)) * 100).toFixed(2);
  return {
    name: best.name,
    why: ok.length
      ? `${best.name}: the fewest bytes per offload (${best.metrics.meanFrameBytes.toFixed(1)} B) among bundles whose cascade is within ${slo.accuracyDropPt} pt of the teacher (${drop} pt below)`
      : `${best.name}: no bundle's cascade is within ${slo.accuracyDropPt} pt of the teacher; the most accurate split was taken (${drop} pt below)`,
  };
}
