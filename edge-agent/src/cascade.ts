// One request through the cascade, cheapest stage first:
// cache → head (exit gate) → dual A / B → cloud tail → best local answer, degraded.
import type { BottleneckCodec } from '@cleave/codec';
import type {
  AgentInput,
  Answer,
  AnswerSource,
  AnswerTimings,
  GateRecord,
  InferenceMode,
  InputPreparer,
} from '@cleave/models';
import { type Manifest, type SessionPool, softmax } from '@cleave/models';
import { encodeBinaryTraceContext } from '@cleave/telemetry';
import { status } from '@grpc/grpc-js';
import { SpanStatusCode } from '@opentelemetry/api';
import { recordCacheLookup } from './agent-metrics.js';
import { startOffloadSpan, traceInference, traceStage } from './agent-tracing.js';
import type { DualResult, DualStage } from './dual-stage.js';
import type { EnergyAccounting } from './energy-accounting.js';
import type { ExitGate } from './exit-gate.js';
import type { HardExampleStore } from './hard-examples.js';
import { type OffloadClient, OffloadError, type OffloadResult } from './offload-client.js';
import type { OffloadPolicy } from './offload-policy.js';
import { dHash, exactKey, type ResultCache } from './result-cache.js';

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
  energy: EnergyAccounting | undefined;
  agentId: string;
  /** The cloud target, for the offload span's attributes. */
  target: string;
}

/** What the cache keeps of an answer. */
export interface CachedAnswer {
  label: number;
  scores: number[];
  gate: GateRecord;
}

const ms = (from: number) => performance.now() - from;

/** Per request: `scores` asks for the class scores even of a cloud answer (its logits travel). */
export interface CascadeRequestOptions {
  scores?: boolean | undefined;
}

export function createCascade(
  parts: CascadeParts,
): (input: AgentInput, mode: InferenceMode, options?: CascadeRequestOptions) => Promise<Answer> {
  const { manifest: m, pool, preparer, gate, dual, cache, codec, offload, policy } = parts;

  /** Sends a frame and tells the policy how it went, whoever waits for the answer. */
  async function send(frame: Uint8Array, wantLogits = false): Promise<OffloadResult> {
    const started = performance.now();
    const { span, ctx } = startOffloadSpan(parts.target);
    // The server's spans join this trace: a sampled offload carries its context in 26 bytes of
    // its own (one stream carries many requests and its metadata is sent once); an unsampled one
    // carries none and joins its stream's trace (docs/wire-format.md, "Compact form").
    const trace = encodeBinaryTraceContext(ctx);
    try {
      const r = await offload!.infer(frame, parts.offloadTimeoutMs, { trace, wantLogits });
      const serverMs = r.result.serverUs / 1000;
      policy.observe({ ok: true, roundTripMs: performance.now() - started, serverMs, bytes: r.wireBytes });
      span.setAttributes({ 'rpc.status_code': 'OK', 'cleave.payload.bytes': frame.byteLength });
      return r;
    } catch (error) {
      const code = error instanceof OffloadError ? error.code : status.UNKNOWN;
      policy.observe({ ok: false, code });
      span.setAttributes({
        'rpc.status_code': status[code] ?? 'UNKNOWN',
        'error.type': status[code] ?? 'UNKNOWN',
      });
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      throw error;
    } finally {
      span.end();
    }
  }
  const head = m.files.find((f) => f.role === 'head')!;
  const inputName = head.inputs[0]!.name;
  const inputDims = [1, ...m.input.shape];
  // A head without exit_logits (e.g. from `cleave split`) has no exit stage: its outputs are features.
  const exitName = head.outputs.find((o) => o.name === 'exit_logits')?.name;
  const modelKey = `${m.name}@${m.version}`;
  const { width, height } = m.input.source;
  const model = { name: m.name, version: m.version };
  const labelName = (label: number) => m.labels[label] ?? String(label);

  return (request, mode, options = {}) =>
    traceInference(parts.agentId, () => inferOnce(request, mode, options.scores === true));

  async function inferOnce(request: AgentInput, mode: InferenceMode, wantScores: boolean): Promise<Answer> {
    const t0 = performance.now();
    const energyToken = parts.energy?.begin();
    const { tensor, pixels } = await preparer.prepare(request);
    const timings: AnswerTimings = { totalMs: 0, prepareMs: ms(t0), headMs: 0 };
    const answer = (
      source: AnswerSource,
      r: { label: number; scores: ArrayLike<number>; gate: GateRecord },
      extra: Partial<Answer> = {},
    ): Answer => {
      const bytesSent = extra.bytesSent ?? { frame: 0, wire: 0 };
      // The radio is charged the bytes at the socket (HTTP/2 and IP+TCP headers included).
      const energy =
        energyToken &&
        parts.energy!.end(
          energyToken,
          bytesSent.wire > 0
            ? { bytesUp: bytesSent.socket ?? bytesSent.wire, bytesDown: extra.socketBytesReceived ?? 0 }
            : undefined,
        );
      return {
        label: r.label,
        labelName: labelName(r.label),
        scores: Array.from(r.scores),
        source,
        mode,
        degraded: false,
        gate: r.gate,
        model,
        bytesSent,
        ...extra,
        timings: { ...timings, totalMs: ms(t0) },
        ...(energy ? { energy } : {}),
      };
    };

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
      const found = await traceStage('cache', async () => cache.get(key));
      // A cloud answer cached without its scores does not serve a request that wants them.
      const hit = found && (!wantScores || found.value.scores.length > 0) ? found : undefined;
      recordCacheLookup(hit ? (hit.perceptual ? 'perceptual-hit' : 'hit') : 'miss');
      if (hit) return answer('cache', hit.value);
    }
    const remember = (a: Answer): Answer => {
      if (key && !a.degraded)
        cache?.set(key, { label: a.label, scores: a.scores, gate: a.gate }, a.scores.length * 8);
      return a;
    };

    const t1 = performance.now();
    const out = await traceStage('head', () =>
      pool.run('head', { [inputName]: { data: tensor, dims: inputDims } }),
    );
    timings.headMs = ms(t1);
    const exit =
      exitName === undefined
        ? undefined
        : await traceStage('gate', async () => gate.decide(out[exitName]!.data), {
            'cleave.gate.threshold': gate.threshold,
          });
    const exitGate = (score: number): GateRecord => ({
      stage: 'exit',
      scoreFunction: gate.scoreFunction,
      score,
      threshold: gate.threshold,
    });
    const exitResult = exit && { label: exit.label, scores: exit.probs, gate: exitGate(exit.score) };
    if (exitResult && mode !== 'cloud-only' && parts.stages.exit && exit?.pass)
      return remember(answer('exit', exitResult));

    let dualOut: DualResult | undefined;
    if (mode !== 'cloud-only' && dual) {
      const t2 = performance.now();
      dualOut = await traceStage('dual', () => dual.run({ data: tensor, dims: inputDims }));
      timings.dualMs = ms(t2);
      timings.dualRuns = dualOut.usedB ? 2 : 1;
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
    // The best local guess: the more confident of the stages that ran (none without exit or dual).
    const bestLocal =
      dualResult && (!exitResult || dualResult.gate.score > exitResult.gate.score) ? dualResult : exitResult;
    const bestSource: AnswerSource = bestLocal === exitResult ? 'exit' : 'dual';
    const fallback = (reason: string): Answer => {
      if (!bestLocal)
        throw new Error(`no local answer (the bundle has no exit branch or dual CNNs): ${reason}`);
      return answer('fallback', bestLocal, { degraded: true, reason });
    };

    if (mode === 'edge-only') {
      if (!bestLocal)
        throw new Error('edge-only: the bundle has no exit branch or dual CNNs to answer on the device');
      return remember(answer(bestSource, bestLocal));
    }
    if (!offload) return fallback('no cloud configured');

    const t3 = performance.now();
    const frame = await traceStage('encode', async () => codec.encode(out[m.bottleneck.tensor]!.data));
    timings.encodeMs = ms(t3);
    const decision = policy.decide(frame.byteLength, ms(t0), bestLocal?.gate.score ?? 0);
    // Without a local answer the cloud is the only one: offload whatever the policy prefers.
    if (!decision.offload && bestLocal) {
      // A shadow offload refreshes the link estimate; its answer is not waited for.
      if (decision.probe) void send(frame).catch(() => undefined);
      if (!decision.degraded) return remember(answer(bestSource, bestLocal, { reason: decision.reason }));
      return fallback(decision.reason);
    }
    const t4 = performance.now();
    try {
      const { result, wireBytes, responseBytes, socketBytes } = await send(frame, wantScores);
      timings.offloadMs = ms(t4);
      timings.server = { totalUs: result.serverUs };
      const noGate: GateRecord = { stage: 'none', scoreFunction: gate.scoreFunction, score: 0, threshold: 0 };
      const cloud = {
        label: result.label,
        // Logits travel only when asked for: without them a cloud answer has no class scores.
        scores: result.logits ? softmax(result.logits) : [],
        gate: { ...(bestLocal?.gate ?? noGate) },
      };
      if (parts.hardExamples && bestLocal && cloud.label !== bestLocal.label) {
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
      return remember(
        answer('cloud', cloud, {
          bytesSent: { frame: frame.byteLength, wire: wireBytes, socket: socketBytes.up },
          bytesReceived: responseBytes,
          socketBytesReceived: socketBytes.down,
        }),
      );
    } catch (error) {
      timings.offloadMs = ms(t4);
      const reason =
        error instanceof OffloadError
          ? `${status[error.code] ?? error.code}: ${error.message}`
          : String(error);
      return fallback(reason);
    }
  }
}
