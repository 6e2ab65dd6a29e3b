// `createAgent(options)`: the edge half of Cleave as a library. The per-request pipeline is in
// cascade.ts; this file wires the bundle, worker pool, gates, cache and offload stream.
import { readFileSync } from 'node:fs';
import type { BottleneckCodec } from '@cleave/codec';
import { type Bundle, bundleCodec, bundleSessionModels, createSessionPool, loadBundle } from '@cleave/models';
import { type AgentInput, createInputPreparer } from './agent-input.js';
import { recordAnswer } from './agent-metrics.js';
import { type AgentOptions, type ResolvedAgentOptions, resolveAgentOptions } from './agent-options.js';
import type { Answer, AnswerSource, InferenceMode } from './answer.js';
import { type CachedAnswer, createCascade } from './cascade.js';
import { createDualStage, type DualStage } from './dual-stage.js';
import { createEnergyAccounting, type EnergyTotals } from './energy-accounting.js';
import { createExitGate, type ExitGate } from './exit-gate.js';
import { createHardExampleStore, type HardExampleStore } from './hard-examples.js';
import { createOffloadClient } from './offload-client.js';
import { createOffloadPolicy, type PolicyStats } from './offload-policy.js';
import { type CacheStats, createResultCache } from './result-cache.js';
import { scoreFunction } from './score-functions.js';

export interface AgentStats {
  requests: number;
  answeredBy: Record<AnswerSource, number>;
  degraded: number;
  frameBytes: number;
  wireBytes: number;
  cache: CacheStats | null;
  policy: PolicyStats;
  hardExamples: ReturnType<HardExampleStore['stats']> | null;
  /** Energy charged so far (mJ); after close() it includes the last radio tail. */
  energy: (EnergyTotals & { meter: string; link: string; device: string | null }) | null;
}

export interface Agent {
  readonly options: ResolvedAgentOptions;
  readonly bundle: Bundle;
  readonly gate: ExitGate;
  readonly dual: DualStage | undefined;
  readonly codec: BottleneckCodec;
  infer(input: AgentInput, options?: { mode?: InferenceMode }): Promise<Answer>;
  /** Whether a stream to the cloud is open. */
  cloudConnected(): boolean;
  stats(): AgentStats;
  close(): Promise<void>;
}

function threshold(
  thresholds: Record<string, number | undefined>,
  fn: string,
  override: number | undefined,
  what: string,
): number {
  const t = override ?? thresholds[fn];
  if (t === undefined) throw new Error(`the bundle has no calibrated ${what} threshold for "${fn}"; set one`);
  return t;
}

export async function createAgent(input: AgentOptions): Promise<Agent> {
  const options = resolveAgentOptions(input);
  const bundle = await loadBundle(options.bundleDir);
  const m = bundle.manifest;
  const hasDual =
    options.stages.dual &&
    bundle.files['dual-a'] !== undefined &&
    bundle.files['dual-b'] !== undefined &&
    m.gates.dual !== undefined;
  const pool = createSessionPool({
    models: bundleSessionModels(bundle, { roles: hasDual ? ['head', 'dual-a', 'dual-b'] : ['head'] }),
    workers: options.workers,
    intraOpThreads: options.intraOpThreads,
    queueLimit: options.poolQueueLimit,
    executionProviders: options.executionProviders,
  });
  await pool.ready;

  const fn = options.gate.scoreFunction ?? m.gates.exit.default;
  const gate = createExitGate({
    scoreFunction: fn,
    threshold: threshold(m.gates.exit.thresholds, fn, options.gate.threshold, 'exit'),
  });
  const dual =
    hasDual && m.gates.dual
      ? createDualStage({
          pool,
          inputName: bundle.files['dual-a']!.spec.inputs[0]!.name,
          score: scoreFunction(fn),
          threshold: threshold(m.gates.dual.thresholds, fn, options.gate.dualThreshold, 'dual'),
        })
      : undefined;
  const cache = options.stages.cache ? createResultCache<CachedAnswer>(options.cache) : undefined;
  const codec = bundleCodec(bundle);
  const offload = options.cloud.target
    ? // The name only: the server serves the version whose head made the frames, so a rollout
      // that keeps the head (a new tail) reaches agents with no change on the device.
      createOffloadClient({
        ...options.cloud,
        target: options.cloud.target,
        model: m.name,
        token:
          options.cloud.token ??
          (options.cloud.tokenFile ? readFileSync(options.cloud.tokenFile, 'utf8').trim() : undefined),
      })
    : undefined;
  const energy = options.energy.enabled ? await createEnergyAccounting(options.energy) : undefined;
  const policy = createOffloadPolicy(options.policy, {
    ...(energy
      ? {
          predictRadioMj: (bytes: number, uplinkBps: number) =>
            energy.predictRadioMj(bytes, 0, Number.isFinite(uplinkBps) ? uplinkBps / 1e6 : undefined),
        }
      : {}),
  });
  const hardExamples = options.hardExamples.dir
    ? await createHardExampleStore({ ...options.hardExamples, dir: options.hardExamples.dir })
    : undefined;
  const run = createCascade({
    manifest: m,
    pool,
    preparer: createInputPreparer(m),
    gate,
    dual,
    cache,
    codec,
    offload,
    offloadTimeoutMs: options.cloud.timeoutMs,
    policy,
    hardExamples,
    stages: options.stages,
    energy,
    agentId: options.id,
    target: options.cloud.target ?? '',
  });

  const stats = {
    requests: 0,
    answeredBy: { exit: 0, dual: 0, cache: 0, cloud: 0, fallback: 0 },
    degraded: 0,
    frameBytes: 0,
    wireBytes: 0,
  };

  return {
    options,
    bundle,
    gate,
    dual,
    codec,
    async infer(request, opts = {}) {
      stats.requests++;
      const answer = await run(request, opts.mode ?? options.mode);
      stats.answeredBy[answer.source]++;
      if (answer.degraded) stats.degraded++;
      stats.frameBytes += answer.bytesSent.frame;
      stats.wireBytes += answer.bytesSent.wire;
      recordAnswer(answer);
      return answer;
    },
    cloudConnected: () => offload?.connected() ?? false,
    stats: () => ({
      ...structuredClone(stats),
      cache: cache?.stats() ?? null,
      policy: policy.stats(),
      hardExamples: hardExamples?.stats() ?? null,
      energy: energy
        ? { ...energy.totals(), meter: energy.meter, link: energy.link.name, device: energy.device ?? null }
        : null,
    }),
    async close() {
      offload?.close();
      energy?.close();
      await hardExamples?.flush();
      await pool.close();
    },
  };
}
