// What the fleet control plane changes while the agent runs: thresholds, stages, policy budgets,
// the cloud endpoint. A patch is validated against the agent's own option schema and applied
// whole or not at all; a new bundle is swapped in by bundle-runtime.ts.

import { INFERENCE_MODES } from '@cleave/models';
import { OptionsError, resolveOptions } from '@cleave/options';
import { z } from 'zod';
import { AgentOptionsSchema, type ResolvedAgentOptions } from './agent-options.js';

/** A patch or a merged configuration the agent refuses; `issues` name each offending field. */
export class LiveConfigError extends OptionsError {
  override name = 'LiveConfigError';
  constructor(issues: string[], options?: ErrorOptions) {
    super('live configuration', issues, options);
  }
}

/** A bundle refused by swapBundle; the old one keeps serving. `stage` says which step failed. */
export class BundleSwapError extends Error {
  override name = 'BundleSwapError';
  readonly stage: 'load' | 'configure' | 'self-test';
  constructor(stage: BundleSwapError['stage'], message: string, options?: ErrorOptions) {
    super(message, options);
    this.stage = stage;
  }
}

/** The settings that can change at run time. `null` on a gate field means "the bundle's own". */
export const LiveConfigPatchSchema = z
  .object({
    mode: z.enum(INFERENCE_MODES),
    stages: z.object({ cache: z.boolean(), exit: z.boolean(), dual: z.boolean() }).partial().strict(),
    gate: z
      .object({
        scoreFunction: z.string().nullable(),
        threshold: z.number().nullable(),
        dualThreshold: z.number().nullable(),
      })
      .partial()
      .strict(),
    policy: z
      .object({
        latencyBudgetMs: z.number().nullable(),
        energyBudgetMj: z.number().nullable(),
        minConfidence: z.number().nullable(),
        probeIntervalMs: z.number(),
      })
      .partial()
      .strict(),
    cloud: z.object({ target: z.string().nullable(), timeoutMs: z.number() }).partial().strict(),
  })
  .partial()
  .strict();

export type LiveConfigPatch = z.input<typeof LiveConfigPatchSchema>;

/** Every live setting, in patch form (a full patch that restores them). */
export interface LiveSettings {
  mode: ResolvedAgentOptions['mode'];
  stages: ResolvedAgentOptions['stages'];
  gate: { scoreFunction: string | null; threshold: number | null; dualThreshold: number | null };
  policy: Pick<
    ResolvedAgentOptions['policy'],
    'latencyBudgetMs' | 'energyBudgetMj' | 'minConfidence' | 'probeIntervalMs'
  >;
  cloud: { target: string | null; timeoutMs: number };
}

/** The settings plus what they resolve to with the bundle being served. */
export interface LiveConfig extends LiveSettings {
  bundle: { name: string; version: string; dir: string };
  effective: { scoreFunction: string; exitThreshold: number; dualThreshold: number | null };
}

export function liveSettingsOf(o: ResolvedAgentOptions): LiveSettings {
  return {
    mode: o.mode,
    stages: { ...o.stages },
    gate: {
      scoreFunction: o.gate.scoreFunction ?? null,
      threshold: o.gate.threshold ?? null,
      dualThreshold: o.gate.dualThreshold ?? null,
    },
    policy: {
      latencyBudgetMs: o.policy.latencyBudgetMs,
      energyBudgetMj: o.policy.energyBudgetMj,
      minConfidence: o.policy.minConfidence,
      probeIntervalMs: o.policy.probeIntervalMs,
    },
    cloud: { target: o.cloud.target, timeoutMs: o.cloud.timeoutMs },
  };
}

/** The options with the patch applied, validated by the agent's own schema; throws LiveConfigError. */
export function applyLivePatch(options: ResolvedAgentOptions, patch: unknown): ResolvedAgentOptions {
  const toError = (issues: string[]) => new LiveConfigError(issues);
  const p = resolveOptions(LiveConfigPatchSchema, patch, 'live configuration', toError);
  const next = structuredClone(options) as Record<string, unknown> & ResolvedAgentOptions;
  if (p.mode !== undefined) next.mode = p.mode;
  Object.assign(next.stages, p.stages);
  for (const [key, value] of Object.entries(p.gate ?? {})) {
    const gate = next.gate as Record<string, unknown>;
    if (value === null) delete gate[key];
    else gate[key] = value;
  }
  Object.assign(next.policy, p.policy);
  Object.assign(next.cloud, p.cloud);
  return resolveOptions(AgentOptionsSchema, next, 'live configuration', toError);
}
