// Writes InferStream answers with one native write per event-loop turn instead of one per answer.
//
// grpc-js hands each message of a server stream through two Writables: the call's object-mode
// Duplex, which passes one message at a time and waits for the transport's callback before the
// next, and the HTTP/2 stream under it. A batch of 32 answers (or, under overload, thousands of
// refusals a second) then costs 32 round trips through both. When the call is grpc-js's own (no
// interceptor in between), the answers go straight to its sendMessage() with the HTTP/2 stream
// corked until the turn ends, so they leave in one writev. Anything else uses call.write().
import type { Http2Stream } from 'node:http2';
import type { ServerDuplexStream } from '@grpc/grpc-js';

/** The parts of grpc-js's BaseServerInterceptingCall (server-interceptors.js) used here. */
interface BaseCall {
  sendMessage(message: unknown, callback: () => void): void;
  stream: Http2Stream;
}

export interface AnswerWriter {
  /** Queues one answer; false when the transport wants the caller to wait for 'drain'. */
  write(message: unknown): boolean;
  /** Calls back once what was written has been taken by the transport. */
  onceDrained(callback: () => void): void;
}

function baseCallOf(call: ServerDuplexStream<unknown, unknown>): BaseCall | undefined {
  const inner = (call as unknown as { call?: Partial<BaseCall> }).call;
  if (typeof inner?.sendMessage !== 'function') return undefined;
  const stream = inner.stream;
  if (typeof stream?.cork !== 'function' || typeof stream.uncork !== 'function') return undefined;
  return inner as BaseCall;
}

const noop = () => {};

export function answerWriter<Res>(call: ServerDuplexStream<unknown, Res>): AnswerWriter {
  const base = baseCallOf(call as ServerDuplexStream<unknown, unknown>);
  if (base === undefined) {
    return {
      write: (message) => call.write(message as Res),
      onceDrained: (callback) => call.once('drain', callback),
    };
  }
  const { stream } = base;
  let corked = false;
  const uncork = () => {
    corked = false;
    stream.uncork();
  };
  return {
    write(message) {
      if (!corked) {
        corked = true;
        stream.cork();
        process.nextTick(uncork);
      }
      base.sendMessage(message, noop);
      return !stream.writableNeedDrain;
    },
    onceDrained: (callback) => stream.once('drain', callback),
  };
}
