// `createAgent(options)`: the edge half of Cleave as a library.
// head (worker pool) → early-exit gate → codec → InferStream → answer; degraded fallback.

import type { BottleneckCodec } from '@cleave/codec';
import {
  type Bundle,
  bundleCodec,
  bundleSessionModels,
  createSessionPool,
  loadBundle,
  type SessionPool,
} from '@cleave/models';
import { status } from '@grpc/grpc-js';
import { type AgentInput, createInputPreparer } from './agent-input.js';
import { type AgentOptions, type ResolvedAgentOptions, resolveAgentOptions } from './agent-options.js';
import type { Answer, AnswerSource } from './answer.js';
import { createExitGate, type ExitGate } from './exit-gate.js';
import { createOffloadClient, type OffloadClient, OffloadError } from './offload-client.js';
import { softmax } from './score-functions.js';

export interface AgentStats {
  requests: number;
  answeredBy: Record<AnswerSource, number>;
  degraded: number;
  frameBytes: number;
  wireBytes: number;
}

export interface Agent {
  readonly options: ResolvedAgentOptions;
  readonly bundle: Bundle;
  readonly gate: ExitGate;
  readonly codec: BottleneckCodec;
  infer(input: AgentInput): Promise<Answer>;
  /** Whether a stream to the cloud is open. */
  cloudConnected(): boolean;
  stats(): AgentStats;
  close(): Promise<void>;
}

const ms = (from: number) => performance.now() - from;

export async function createAgent(input: AgentOptions): Promise<Agent> {
  const options = resolveAgentOptions(input);
  const bundle = await loadBundle(options.bundleDir);
  const m = bundle.manifest;
  const pool: SessionPool = createSessionPool({
    models: bundleSessionModels(bundle, { roles: ['head'] }),
    workers: options.workers,
    intraOpThreads: options.intraOpThreads,
    queueLimit: options.poolQueueLimit,
    executionProviders: options.executionProviders,
  });
  await pool.ready;

  const gateSpec = m.gates.exit;
  const fnName = options.gate.scoreFunction ?? gateSpec.default;
  const threshold = options.gate.threshold ?? gateSpec.thresholds[fnName as keyof typeof gateSpec.thresholds];
  if (threshold === undefined) {
    throw new Error(`bundle ${m.name} has no calibrated threshold for "${fnName}"; set gate.threshold`);
  }
  const gate = createExitGate({
    scoreFunction: fnName,
    threshold: options.gate.enabled ? threshold : Infinity,
  });
  const codec = bundleCodec(bundle);
  const preparer = createInputPreparer(m);
  const head = bundle.files.head.spec;
  const inputName = head.inputs[0]!.name;
  const inputDims = [1, ...m.input.shape];
  const exitName = head.outputs.find((o) => o.name === 'exit_logits')?.name ?? head.outputs[0]!.name;
  const featuresName = m.bottleneck.tensor;
  const offload: OffloadClient | undefined = options.cloud.target
    ? createOffloadClient({ ...options.cloud, target: options.cloud.target })
    : undefined;

  const stats: AgentStats = {
    requests: 0,
    answeredBy: { exit: 0, dual: 0, cache: 0, cloud: 0, fallback: 0 },
    degraded: 0,
    frameBytes: 0,
    wireBytes: 0,
  };

  const labelName = (label: number) => m.labels[label] ?? String(label);

  function finish(answer: Answer): Answer {
    stats.answeredBy[answer.source]++;
    if (answer.degraded) stats.degraded++;
    stats.frameBytes += answer.bytesSent.frame;
    stats.wireBytes += answer.bytesSent.wire;
    return answer;
  }

  async function infer(request: AgentInput): Promise<Answer> {
    const t0 = performance.now();
    stats.requests++;
    const { tensor } = await preparer.prepare(request);
    const prepareMs = ms(t0);
    const t1 = performance.now();
    const out = await pool.run('head', { [inputName]: { data: tensor, dims: inputDims } });
    const headMs = ms(t1);
    const exitLogits = out[exitName]!.data;
    const decision = gate.decide(exitLogits);
    const base = {
      model: { name: m.name, version: m.version },
      gate: { scoreFunction: gate.scoreFunction, score: decision.score, threshold: gate.threshold },
    };
    const local = (source: AnswerSource, degraded: boolean, reason?: string): Answer =>
      finish({
        ...base,
        label: decision.label,
        labelName: labelName(decision.label),
        scores: Array.from(decision.probs),
        source,
        degraded,
        ...(reason ? { reason } : {}),
        bytesSent: { frame: 0, wire: 0 },
        timings: { totalMs: ms(t0), prepareMs, headMs },
      });

    if (decision.pass) return local('exit', false);
    if (!offload) return local('fallback', false, 'no cloud configured');

    const t2 = performance.now();
    const frame = codec.encode(out[featuresName]!.data);
    const encodeMs = ms(t2);
    const t3 = performance.now();
    try {
      const { result, wireBytes } = await offload.infer(frame, options.cloud.timeoutMs);
      const probs = softmax(result.logits);
      return finish({
        ...base,
        label: result.label,
        labelName: labelName(result.label),
        scores: Array.from(probs),
        source: 'cloud',
        degraded: false,
        bytesSent: { frame: frame.byteLength, wire: wireBytes },
        timings: {
          totalMs: ms(t0),
          prepareMs,
          headMs,
          encodeMs,
          offloadMs: ms(t3),
          server: {
            queueUs: Number(result.timing?.queue_us ?? 0),
            computeUs: Number(result.timing?.compute_us ?? 0),
            totalUs: Number(result.timing?.total_us ?? 0),
            batchSize: result.batch_size,
          },
        },
      });
    } catch (error) {
      const reason =
        error instanceof OffloadError
          ? `${status[error.code] ?? error.code}: ${error.message}`
          : String(error);
      const answer = local('fallback', true, reason);
      // The frame left the device (or tried to); its bytes still count against the link.
      return answer;
    }
  }

  return {
    options,
    bundle,
    gate,
    codec,
    infer,
    cloudConnected: () => offload?.connected() ?? false,
    stats: () => structuredClone(stats),
    async close() {
      offload?.close();
      await pool.close();
    },
  };
}
