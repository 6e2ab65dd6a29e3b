// The agent's spans through @opentelemetry/api only (recorded once an entry point starts the SDK):
// one trace per inference, a root `cleave.infer` with children for each stage that ran, and the
// CLIENT span of the offload whose context travels to the server in the request's parameters.

import type { Answer } from '@cleave/models';
import { type Attributes, context, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';

const tracer = () => trace.getTracer('@cleave/edge-agent');

export const OFFLOAD_METHOD = 'cleave.v1.SplitInference/InferStream';

/** Runs `fn` inside a new root span `cleave.infer`; `finish` sets the answer's attributes on it. */
export function traceInference<T extends Answer>(agentId: string, fn: () => Promise<T>): Promise<T> {
  return tracer().startActiveSpan('cleave.infer', { kind: SpanKind.INTERNAL, root: true }, async (span) => {
    try {
      const answer = await fn();
      span.setAttributes(answerAttributes(answer, agentId));
      if (answer.degraded)
        span.setStatus({ code: SpanStatusCode.ERROR, message: answer.reason ?? 'degraded' });
      return answer;
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      throw error;
    } finally {
      span.end();
    }
  });
}

function answerAttributes(a: Answer, agentId: string): Attributes {
  const attrs: Attributes = {
    'cleave.agent.id': agentId,
    'cleave.model': `${a.model.name}@${a.model.version}`,
    'cleave.answer.source': a.source,
    'cleave.answer.degraded': a.degraded,
    'cleave.answer.mode': a.mode,
    'cleave.gate.stage': a.gate.stage,
    'cleave.gate.score': a.gate.score,
  };
  if (a.bytesSent.frame > 0) attrs['cleave.payload.bytes'] = a.bytesSent.frame;
  if (a.energy) {
    attrs['cleave.energy.compute_mj'] = a.energy.computeMj;
    attrs['cleave.energy.radio_mj'] = a.energy.radioMj;
    attrs['cleave.energy.method'] = a.energy.computeMethod;
  }
  return attrs;
}

/** A child span of the current inference for one stage (cache, head, gate, dual, encode). */
export async function traceStage<T>(name: string, fn: () => Promise<T>, attrs?: Attributes): Promise<T> {
  const span = tracer().startSpan(`cleave.${name}`, { attributes: attrs ?? {} });
  try {
    return await context.with(trace.setSpan(context.active(), span), fn);
  } catch (error) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
    throw error;
  } finally {
    span.end();
  }
}

/** Starts the CLIENT span of an offload; the caller injects its context and ends it. */
export function startOffloadSpan(target: string): { span: Span; ctx: ReturnType<typeof context.active> } {
  const [host, port] = target.replace(/^dns:\/*/, '').split(':');
  const span = tracer().startSpan(OFFLOAD_METHOD, {
    kind: SpanKind.CLIENT,
    attributes: {
      'rpc.system.name': 'grpc',
      'rpc.method': OFFLOAD_METHOD,
      ...(host ? { 'server.address': host } : {}),
      ...(port ? { 'server.port': Number(port) } : {}),
    },
  });
  return { span, ctx: trace.setSpan(context.active(), span) };
}
