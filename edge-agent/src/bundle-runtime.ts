// A bundle loaded beside the one serving: the sha256-verified bundle and its worker pool, held
// by the requests that use it and closed once the last of them is done; its gates under given
// options; and the self-test a new bundle must pass before it is swapped in.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BottleneckCodec } from '@cleave/codec';
import type { Answer } from '@cleave/models';
import {
  type AgentInput,
  type Bundle,
  bundleCodec,
  bundleSessionModels,
  createInputPreparer,
  createSessionPool,
  type InputPreparer,
  loadBundle,
  type SessionPool,
  scoreFunction,
} from '@cleave/models';
import { resolveOptions } from '@cleave/options';
import { z } from 'zod';
import type { ResolvedAgentOptions } from './agent-options.js';
import { createCascade } from './cascade.js';
import { createDualStage } from './dual-stage.js';
import { createExitGate } from './exit-gate.js';
import { BundleSwapError } from './live-config.js';
import { createOffloadPolicy } from './offload-policy.js';

/** A loaded bundle with its worker pool; requests hold it while they use it. */
export interface BundleRuntime {
  readonly bundle: Bundle;
  readonly pool: SessionPool;
  readonly codec: BottleneckCodec;
  readonly preparer: InputPreparer;
  /** Whether the bundle carries both dual CNNs and their gate (loaded whether on or off). */
  readonly hasDual: boolean;
  /** Marks a request using the runtime; call the returned function when it is done. */
  enter(): () => void;
  /** Closes the pool once every request still using the runtime has finished. */
  retire(): Promise<void>;
}

/** Loads (sha256-verified) and starts the bundle's pool; the dual CNNs are loaded when present. */
export async function loadBundleRuntime(dir: string, options: ResolvedAgentOptions): Promise<BundleRuntime> {
  const bundle = await loadBundle(dir);
  const hasDual =
    bundle.files['dual-a'] !== undefined &&
    bundle.files['dual-b'] !== undefined &&
    bundle.manifest.gates.dual !== undefined;
  const pool = createSessionPool({
    models: bundleSessionModels(bundle, { roles: hasDual ? ['head', 'dual-a', 'dual-b'] : ['head'] }),
    workers: options.workers,
    intraOpThreads: options.intraOpThreads,
    queueLimit: options.poolQueueLimit,
    executionProviders: options.executionProviders,
  });
  try {
    await pool.ready;
  } catch (error) {
    await pool.close().catch(() => undefined);
    throw error;
  }
  let active = 0;
  let retiring: (() => void) | undefined;
  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= pool.close();
    return closed;
  };
  return {
    bundle,
    pool,
    codec: bundleCodec(bundle),
    preparer: createInputPreparer(bundle.manifest),
    hasDual,
    enter() {
      active++;
      let done = false;
      return () => {
        if (done) return;
        done = true;
        active--;
        if (active === 0) retiring?.();
      };
    },
    retire() {
      if (active === 0) return close();
      return new Promise<void>((resolve) => {
        retiring = () => resolve(close());
      });
    },
  };
}

/** Samples a new bundle must answer before it serves: inputs with their true labels. */
export interface SelfTestSuite {
  source: string;
  minAccuracy: number;
  samples: Array<{ label: number; input: AgentInput }>;
}

export interface SelfTestReport {
  source: string;
  samples: number;
  correct: number;
  accuracy: number;
  minAccuracy: number;
}

/** Optional file in a bundle folder: `{version: 1, source, minAccuracy, samples: [{label, pixels}]}`. */
export const SELF_TEST_FILE = 'selftest.json';

export const SelfTestFileSchema = z
  .object({
    version: z.literal(1),
    source: z.string().min(1),
    minAccuracy: z.number().min(0).max(1),
    /** `pixels`: base64 of the raw pixels, as the manifest's input source describes them. */
    samples: z.array(z.object({ label: z.int().min(0), pixels: z.base64() }).strict()).min(1),
  })
  .strict();

export type SelfTestFile = z.output<typeof SelfTestFileSchema>;

/** The bundle's embedded self-test, or undefined when the folder has none. */
export async function readSelfTest(dir: string): Promise<SelfTestSuite | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, SELF_TEST_FILE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new BundleSwapError('self-test', `${SELF_TEST_FILE} is not JSON`, { cause });
  }
  const file = resolveOptions(
    SelfTestFileSchema,
    json,
    SELF_TEST_FILE,
    (issues) => new BundleSwapError('self-test', `${SELF_TEST_FILE}: ${issues.join('; ')}`),
  );
  return {
    source: file.source,
    minAccuracy: file.minAccuracy,
    samples: file.samples.map((s) => ({
      label: s.label,
      input: { kind: 'pixels', data: new Uint8Array(Buffer.from(s.pixels, 'base64')) },
    })),
  };
}

const sane = (a: Answer, classes: number) =>
  Number.isInteger(a.label) &&
  a.label >= 0 &&
  a.label < classes &&
  a.scores.length === classes &&
  a.scores.every(Number.isFinite);

/**
 * Runs the samples (or, with no suite, one blank input as a smoke test) through `infer` and
 * throws BundleSwapError when an answer is malformed or accuracy is below the suite's minimum.
 */
export async function runSelfTest(
  infer: (input: AgentInput) => Promise<Answer>,
  suite: SelfTestSuite | undefined,
  manifest: Bundle['manifest'],
): Promise<SelfTestReport> {
  const classes = manifest.labels.length;
  const { width, height, channels } = manifest.input.source;
  const samples = suite?.samples ?? [
    { label: -1, input: { kind: 'pixels', data: new Uint8Array(width * height * channels) } as AgentInput },
  ];
  let correct = 0;
  for (const [i, sample] of samples.entries()) {
    let answer: Answer;
    try {
      answer = await infer(sample.input);
    } catch (cause) {
      throw new BundleSwapError('self-test', `sample ${i}: ${(cause as Error).message}`, { cause });
    }
    if (!sane(answer, classes))
      throw new BundleSwapError('self-test', `sample ${i}: malformed answer (label ${answer.label})`);
    if (answer.label === sample.label) correct++;
  }
  const minAccuracy = suite?.minAccuracy ?? 0;
  const accuracy = suite ? correct / samples.length : 1;
  const report = {
    source: suite?.source ?? 'smoke',
    samples: samples.length,
    correct,
    accuracy,
    minAccuracy,
  };
  if (accuracy < minAccuracy) {
    throw new BundleSwapError(
      'self-test',
      `self-test accuracy ${(accuracy * 100).toFixed(1)}% on ${samples.length} ${report.source} samples is below ${(minAccuracy * 100).toFixed(1)}%`,
    );
  }
  return report;
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

/** The exit gate and the dual stage of a runtime under the given options; throws when they cannot be. */
export function stagesFor(rt: BundleRuntime, options: ResolvedAgentOptions) {
  const m = rt.bundle.manifest;
  const fn = options.gate.scoreFunction ?? m.gates.exit.default;
  // A head without exit_logits (cleave split) has no exit stage: cascade.ts never asks this gate.
  const hasExit = rt.bundle.files.head.spec.outputs.some((o) => o.name === 'exit_logits');
  const gate = createExitGate({
    scoreFunction: fn,
    threshold: hasExit
      ? threshold(m.gates.exit.thresholds, fn, options.gate.threshold, 'exit')
      : Number.MAX_VALUE,
  });
  const dual =
    options.stages.dual && rt.hasDual && m.gates.dual
      ? createDualStage({
          pool: rt.pool,
          inputName: rt.bundle.files['dual-a']!.spec.inputs[0]!.name,
          score: scoreFunction(fn),
          threshold: threshold(m.gates.dual.thresholds, fn, options.gate.dualThreshold, 'dual'),
        })
      : undefined;
  return { gate, dual };
}

/**
 * Loads the bundle in `dir` beside whatever serves, checks that the options' gates apply to it and
 * runs the self-test through its own cascade (edge only: no cache, no cloud). Throws
 * BundleSwapError, with the new pool closed, at the first step that fails.
 */
export async function prepareBundle(
  dir: string,
  options: ResolvedAgentOptions,
  suite: SelfTestSuite | undefined,
): Promise<{ rt: BundleRuntime; selfTest: SelfTestReport }> {
  let rt: BundleRuntime;
  try {
    rt = await loadBundleRuntime(dir, options);
  } catch (cause) {
    throw new BundleSwapError('load', (cause as Error).message, { cause });
  }
  try {
    let stages: ReturnType<typeof stagesFor>;
    try {
      stages = stagesFor(rt, options);
    } catch (cause) {
      throw new BundleSwapError('configure', (cause as Error).message, { cause });
    }
    const probe = createCascade({
      manifest: rt.bundle.manifest,
      pool: rt.pool,
      preparer: rt.preparer,
      ...stages,
      cache: undefined,
      codec: rt.codec,
      offload: undefined,
      offloadTimeoutMs: options.cloud.timeoutMs,
      policy: createOffloadPolicy(options.policy),
      hardExamples: undefined,
      stages: options.stages,
      energy: undefined,
      agentId: `${options.id}/self-test`,
      target: '',
    });
    const selfTest = await runSelfTest(
      (input) => probe(input, 'edge-only'),
      suite ?? (await readSelfTest(dir)),
      rt.bundle.manifest,
    );
    return { rt, selfTest };
  } catch (error) {
    await rt.retire();
    throw error;
  }
}
