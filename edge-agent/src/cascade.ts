// One request through the cascade, cheapest stage first:
// cache → head (exit gate) → dual A / B → cloud tail → best local answer, degraded.
import type { BottleneckCodec } from '@cleave/codec';
import type { Manifest, SessionPool } from '@cleave/models';
import { status } from '@grpc/grpc-js';
import type { AgentInput, InputPreparer } from './agent-input.js';
import { recordCacheLookup } from './agent-metrics.js';
import type { Answer, AnswerSource, AnswerTimings, GateRecord, InferenceMode } from './answer.js';
import type { DualResult, DualStage } from './dual-stage.js';
import type { ExitGate } from './exit-gate.js';
import type { HardExampleStore } from './hard-examples.js';
import { type OffloadClient, OffloadError, type OffloadResult } from './offload-client.js';
import type { OffloadPolicy } from './offload-policy.js';
import { dHash, exactKey, type ResultCache } from './result-cache.js';
import { softmax } from './score-functions.js';

export interface CascadeParts {
  manifest: Manifest;
  pool: SessionPool;
  preparer: InputPreparer;
  gate: ExitGate;
  dual: DualStage | undefined;
  cache: ResultCache<CachedAnswer> | undefined;
  codec: BottleneckCodec;
  offload: OffloadClient | undefined;
  offloadTimeoutMs: number;
  policy: OffloadPolicy;
  hardExamples: HardExampleStore | undefined;
  stages: { exit: boolean };
}

/** What the cache keeps of an answer. */
export interface CachedAnswer {
  label: number;
  scores: number[];
  gate: GateRecord;
}

const ms = (from: number) => performance.now() - from;

export function createCascade(
  parts: CascadeParts,
): (input: AgentInput, mode: InferenceMode) => Promise<Answer> {
  const { manifest: m, pool, preparer, gate, dual, cache, codec, offload, policy } = parts;

  /** Sends a frame and tells the policy how it went, whoever waits for the answer. */
  async function send(frame: Uint8Array): Promise<OffloadResult> {
    const started = performance.now();
    try {
      const r = await offload!.infer(frame, parts.offloadTimeoutMs);
      const t = r.result.timing;
      const serverMs = (Number(t?.queue_us ?? 0) + Number(t?.compute_us ?? 0)) / 1000;
      policy.observe({ ok: true, roundTripMs: performance.now() - started, serverMs, bytes: r.wireBytes });
      return r;
    } catch (error) {
      policy.observe({ ok: false, code: error instanceof OffloadError ? error.code : status.UNKNOWN });
      throw error;
    }
  }
  const head = m.files.find((f) => f.role === 'head')!;
  const inputName = head.inputs[0]!.name;
  const inputDims = [1, ...m.input.shape];
  const exitName = head.outputs.find((o) => o.name === 'exit_logits')?.name ?? head.outputs[0]!.name;
  const modelKey = `${m.name}@${m.version}`;
  const { width, height } = m.input.source;
  const model = { name: m.name, version: m.version };
  const labelName = (label: number) => m.labels[label] ?? String(label);

  return async function infer(request, mode) {
    const t0 = performance.now();
    const { tensor, pixels } = await preparer.prepare(request);
    const timings: AnswerTimings = { totalMs: 0, prepareMs: ms(t0), headMs: 0 };
    const answer = (
      source: AnswerSource,
      r: { label: number; scores: ArrayLike<number>; gate: GateRecord },
      extra: Partial<Answer> = {},
    ): Answer => ({
      label: r.label,
      labelName: labelName(r.label),
      scores: Array.from(r.scores),
      source,
      mode,
      degraded: false,
      gate: r.gate,
      model,
      bytesSent: { frame: 0, wire: 0 },
      ...extra,
      timings: { ...timings, totalMs: ms(t0) },
    });

    const useCache = cache !== undefined && mode !== 'cloud-only';
    const key = useCache
      ? {
          model: modelKey,
          exact: exactKey(tensor),
          // dHash only when the cache can use it: it is work on every request.
          ...(pixels && cache.perceptual ? { dhash: dHash(pixels, width, height) } : {}),
        }
      : undefined;
    if (useCache && key) {
      const hit = cache.get(key);
      recordCacheLookup(hit ? (hit.perceptual ? 'perceptual-hit' : 'hit') : 'miss');
      if (hit) return answer('cache', hit.value);
    }
    const remember = (a: Answer): Answer => {
      if (key && !a.degraded)
        cache?.set(key, { label: a.label, scores: a.scores, gate: a.gate }, a.scores.length * 8);
      return a;
    };

    const t1 = performance.now();
    const out = await pool.run('head', { [inputName]: { data: tensor, dims: inputDims } });
    timings.headMs = ms(t1);
    const exit = gate.decide(out[exitName]!.data);
    const exitGate: GateRecord = {
      stage: 'exit',
      scoreFunction: gate.scoreFunction,
      score: exit.score,
      threshold: gate.threshold,
    };
    const exitResult = { label: exit.label, scores: exit.probs, gate: exitGate };
    if (mode !== 'cloud-only' && parts.stages.exit && exit.pass) return remember(answer('exit', exitResult));

    let dualOut: DualResult | undefined;
    if (mode !== 'cloud-only' && dual) {
      const t2 = performance.now();
      dualOut = await dual.run({ data: tensor, dims: inputDims });
      timings.dualMs = ms(t2);
    }
    const dualResult = dualOut && {
      label: dualOut.label,
      scores: dualOut.probs,
      gate: {
        stage: 'dual' as const,
        scoreFunction: gate.scoreFunction,
        score: dualOut.score,
        threshold: dual!.threshold,
      },
    };
    if (dualOut?.pass && dualResult) return remember(answer('dual', dualResult));
    // The best local guess: the more confident of the stages that ran.
    const bestLocal = dualResult && dualResult.gate.score > exit.score ? dualResult : exitResult;
    const bestSource: AnswerSource = bestLocal === exitResult ? 'exit' : 'dual';

    if (mode === 'edge-only') return remember(answer(bestSource, bestLocal));
    if (!offload) return answer('fallback', bestLocal, { degraded: true, reason: 'no cloud configured' });

    const t3 = performance.now();
    const frame = codec.encode(out[m.bottleneck.tensor]!.data);
    timings.encodeMs = ms(t3);
    const decision = policy.decide(frame.byteLength, ms(t0));
    if (!decision.offload) {
      // A shadow offload refreshes the link estimate; its answer is not waited for.
      if (decision.probe) void send(frame).catch(() => undefined);
      return answer('fallback', bestLocal, { degraded: true, reason: decision.reason });
    }
    const t4 = performance.now();
    try {
      const { result, wireBytes } = await send(frame);
      timings.offloadMs = ms(t4);
      timings.server = {
        queueUs: Number(result.timing?.queue_us ?? 0),
        computeUs: Number(result.timing?.compute_us ?? 0),
        totalUs: Number(result.timing?.total_us ?? 0),
        batchSize: result.batch_size,
      };
      const cloud = { label: result.label, scores: softmax(result.logits), gate: { ...bestLocal.gate } };
      if (parts.hardExamples && cloud.label !== bestLocal.label) {
        parts.hardExamples.add({
          model: modelKey,
          cloudLabel: cloud.label,
          localLabel: bestLocal.label,
          localStage: bestLocal.gate.stage,
          localScore: bestLocal.gate.score,
          tensor,
          ...(pixels ? { pixels: { data: pixels, width, height, channels: m.input.source.channels } } : {}),
        });
      }
      return remember(answer('cloud', cloud, { bytesSent: { frame: frame.byteLength, wire: wireBytes } }));
    } catch (error) {
      timings.offloadMs = ms(t4);
      const reason =
        error instanceof OffloadError
          ? `${status[error.code] ?? error.code}: ${error.message}`
          : String(error);
      return answer('fallback', bestLocal, { degraded: true, reason });
    }
  };
}
