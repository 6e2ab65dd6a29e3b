// `createAgent(options)`: the edge half of Cleave as a library. The per-request pipeline is in
// cascade.ts; this file wires the bundle, worker pool, gates, cache and offload stream, and
// keeps them swappable at run time (live-config.ts): a request uses the parts of its moment.
import type { BottleneckCodec } from '@cleave/codec';
import type { AgentInput, Answer, AnswerSource, Bundle, InferenceMode } from '@cleave/models';
import { recordAnswer } from './agent-metrics.js';
import { type AgentOptions, type ResolvedAgentOptions, resolveAgentOptions } from './agent-options.js';
import {
  type BundleRuntime,
  loadBundleRuntime,
  prepareBundle,
  type SelfTestReport,
  type SelfTestSuite,
  stagesFor,
} from './bundle-runtime.js';
import { type CachedAnswer, createCascade } from './cascade.js';
import { createCloudConnection } from './cloud-connection.js';
import type { DualStage } from './dual-stage.js';
import { createEnergyAccounting, type EnergyTotals } from './energy-accounting.js';
import type { ExitGate } from './exit-gate.js';
import { createHardExampleStore, type HardExample, type HardExampleStore } from './hard-examples.js';
import {
  applyLivePatch,
  BundleSwapError,
  type LiveConfig,
  LiveConfigError,
  type LiveConfigPatch,
  liveSettingsOf,
} from './live-config.js';
import type { OffloadStats } from './offload-client.js';
import { createOffloadPolicy, type PolicyStats } from './offload-policy.js';
import { type CacheStats, createResultCache, type ResultCache } from './result-cache.js';

export interface AgentStats {
  requests: number;
  answeredBy: Record<AnswerSource, number>;
  degraded: number;
  frameBytes: number;
  wireBytes: number;
  cache: CacheStats | null;
  policy: PolicyStats;
  hardExamples: ReturnType<HardExampleStore['stats']> | null;
  /** The offload streams of the current cloud endpoint: retries after a stream died, streams opened. */
  offload: OffloadStats | null;
  /** Energy charged so far (mJ); after close() it includes the last radio tail. */
  energy: (EnergyTotals & { meter: string; link: string; device: string | null }) | null;
}

export interface SwapResult {
  from: { name: string; version: string };
  to: { name: string; version: string };
  selfTest: SelfTestReport;
}

export interface Agent {
  /** The options in force now (live changes included). */
  readonly options: ResolvedAgentOptions;
  /** The bundle being served now. */
  readonly bundle: Bundle;
  readonly gate: ExitGate;
  readonly dual: DualStage | undefined;
  readonly codec: BottleneckCodec;
  /**
   * `scores`: the class scores of a cloud answer too (its logits then travel, which the compact
   * answer leaves out by default; docs/wire-format.md).
   */
  infer(input: AgentInput, options?: { mode?: InferenceMode; scores?: boolean }): Promise<Answer>;
  /** Whether a stream to the cloud is open. */
  cloudConnected(): boolean;
  stats(): AgentStats;
  /** The live settings and what they resolve to with the bundle being served. */
  liveConfig(): LiveConfig;
  /** Applies live settings at once, no restart. Refused whole (LiveConfigError) or applied whole. */
  reconfigure(patch: LiveConfigPatch): LiveConfig;
  /**
   * Loads the bundle in `dir` beside the one serving (sha256-verified, its own pool), self-tests
   * it (`selfTest`, else the folder's selftest.json, else a smoke test), then swaps it in; the old
   * pool closes once its requests have finished. On failure: BundleSwapError, the old one serves on.
   */
  swapBundle(dir: string, options?: { selfTest?: SelfTestSuite }): Promise<SwapResult>;
  /** Called with every answer (after it is counted); returns the unsubscribe function. */
  onAnswer(listener: (answer: Answer) => void): () => void;
  /** Called with every hard example (cloud overruled the device), kept on disk or not. */
  onHardExample(listener: (example: HardExample) => void): () => void;
  close(): Promise<void>;
}

function notify<T>(listeners: Set<(value: T) => void>, value: T): void {
  for (const listener of listeners) {
    try {
      listener(value);
    } catch {
      // A listener must never fail a request.
    }
  }
}

export async function createAgent(input: AgentOptions): Promise<Agent> {
  let options = resolveAgentOptions(input);
  const first = await loadBundleRuntime(options.bundleDir, options);
  let cache: ResultCache<CachedAnswer> | undefined;
  const cloud = createCloudConnection();
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
  const answerListeners = new Set<(answer: Answer) => void>();
  const hardListeners = new Set<(example: HardExample) => void>();
  const hardSink: HardExampleStore = {
    add(example) {
      hardExamples?.add(example);
      notify(hardListeners, example);
    },
    flush: async () => hardExamples?.flush(),
    stats: () => hardExamples?.stats() ?? { kept: 0, bytes: 0, dropped: 0, failed: 0 },
  };

  const setCache = (o: ResolvedAgentOptions) => {
    if (!o.stages.cache) cache = undefined;
    else if (!cache || JSON.stringify(o.cache) !== JSON.stringify(options.cache))
      cache = createResultCache<CachedAnswer>(o.cache);
  };
  const setOffload = (o: ResolvedAgentOptions, model: string) => cloud.use(o, model, options.cloud.timeoutMs);
  const build = (rt: BundleRuntime, o: ResolvedAgentOptions) => {
    const stages = stagesFor(rt, o);
    const run = createCascade({
      manifest: rt.bundle.manifest,
      pool: rt.pool,
      preparer: rt.preparer,
      ...stages,
      cache,
      codec: rt.codec,
      offload: cloud.current(),
      offloadTimeoutMs: o.cloud.timeoutMs,
      policy,
      hardExamples: hardSink,
      stages: o.stages,
      energy,
      agentId: o.id,
      target: o.cloud.target ?? '',
    });
    return { rt, ...stages, run };
  };

  setCache(options);
  setOffload(options, first.bundle.manifest.name);
  let serving: ReturnType<typeof build>;
  try {
    serving = build(first, options);
  } catch (error) {
    cloud.close();
    energy?.close();
    await first.retire();
    throw error;
  }

  const stats = {
    requests: 0,
    answeredBy: { exit: 0, dual: 0, cache: 0, cloud: 0, fallback: 0 },
    degraded: 0,
    frameBytes: 0,
    wireBytes: 0,
  };

  const liveConfig = (): LiveConfig => {
    const m = serving.rt.bundle.manifest;
    return {
      ...liveSettingsOf(options),
      bundle: { name: m.name, version: m.version, dir: serving.rt.bundle.dir },
      effective: {
        scoreFunction: serving.gate.scoreFunction,
        exitThreshold: serving.gate.threshold,
        dualThreshold: serving.dual?.threshold ?? null,
      },
    };
  };

  async function swap(dir: string, suite: SelfTestSuite | undefined): Promise<SwapResult> {
    const { rt, selfTest } = await prepareBundle(dir, options, suite);
    const old = serving;
    const next = { ...options, bundleDir: dir };
    try {
      // With the options of this moment: a reconfigure may have run during the self-test.
      setOffload(next, rt.bundle.manifest.name);
      serving = build(rt, next);
    } catch (cause) {
      setOffload(options, old.rt.bundle.manifest.name);
      await rt.retire();
      throw new BundleSwapError('configure', (cause as Error).message, { cause });
    }
    options = next;
    void old.rt.retire();
    const version = (b: Bundle) => ({ name: b.manifest.name, version: b.manifest.version });
    return { from: version(old.rt.bundle), to: version(rt.bundle), selfTest };
  }
  let swaps: Promise<unknown> = Promise.resolve();

  return {
    get options() {
      return options;
    },
    get bundle() {
      return serving.rt.bundle;
    },
    get gate() {
      return serving.gate;
    },
    get dual() {
      return serving.dual;
    },
    get codec() {
      return serving.rt.codec;
    },
    async infer(request, opts = {}) {
      const s = serving;
      const leave = s.rt.enter();
      stats.requests++;
      let answer: Answer;
      try {
        answer = await s.run(request, opts.mode ?? options.mode, { scores: opts.scores });
      } finally {
        leave();
      }
      stats.answeredBy[answer.source]++;
      if (answer.degraded) stats.degraded++;
      stats.frameBytes += answer.bytesSent.frame;
      stats.wireBytes += answer.bytesSent.wire;
      recordAnswer(answer);
      notify(answerListeners, answer);
      return answer;
    },
    cloudConnected: () => cloud.current()?.connected() ?? false,
    stats: () => ({
      ...structuredClone(stats),
      cache: cache?.stats() ?? null,
      policy: policy.stats(),
      hardExamples: hardExamples?.stats() ?? null,
      offload: cloud.current()?.stats() ?? null,
      energy: energy
        ? { ...energy.totals(), meter: energy.meter, link: energy.link.name, device: energy.device ?? null }
        : null,
    }),
    liveConfig,
    reconfigure(patch) {
      const next = applyLivePatch(options, patch);
      try {
        stagesFor(serving.rt, next); // refuse before anything changes
      } catch (cause) {
        throw new LiveConfigError([(cause as Error).message], { cause });
      }
      setCache(next);
      setOffload(next, serving.rt.bundle.manifest.name);
      policy.update(next.policy);
      options = next;
      serving = build(serving.rt, next);
      return liveConfig();
    },
    swapBundle(dir, opts = {}) {
      const job = swaps.then(() => swap(dir, opts.selfTest));
      swaps = job.catch(() => undefined);
      return job;
    },
    onAnswer(listener) {
      answerListeners.add(listener);
      return () => answerListeners.delete(listener);
    },
    onHardExample(listener) {
      hardListeners.add(listener);
      return () => hardListeners.delete(listener);
    },
    async close() {
      await swaps;
      cloud.close();
      energy?.close();
      await hardExamples?.flush();
      await serving.rt.pool.close();
    },
  };
}
