// The arm64 agent test's dealings with the agent: its output, its readiness (from its "agent
// ready" log line) and its HTTP API, a few requests at a time.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';

/** Requests in flight per agent: enough to keep the emulated worker busy. */
const CONCURRENCY = 4;
/** Emulated start: the arm64 node loads the compiled CLI and the models under qemu (12 to 25 s on this 2-core machine). */
export const AGENT_READY_MS = 300_000;

export interface Answer {
  label: number;
  source: string;
  degraded: boolean;
  model: { name: string; version: string };
}

/** POSTs each body to /v1/infer, CONCURRENCY at a time; answers in input order. */
export async function inferAll(
  base: string,
  type: string,
  bodies: Uint8Array[],
  query = '',
): Promise<Answer[]> {
  const answers: Answer[] = new Array(bodies.length);
  let next = 0;
  const lane = async () => {
    while (next < bodies.length) {
      const i = next++;
      const res = await fetch(`${base}/v1/infer${query}`, {
        method: 'POST',
        headers: { 'content-type': type },
        body: bodies[i],
        signal: AbortSignal.timeout(60_000),
      });
      assert.equal(res.status, 200, `${type} #${i}: ${await res.clone().text()}`);
      answers[i] = (await res.json()) as Answer;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
  return answers;
}

/** The agent's output: pino's JSON lines on stderr, and stdout (kept short). */
export function collectOutput(child: ChildProcess): () => string {
  let text = '';
  const keep = (d: Buffer) => {
    text = (text + d.toString()).slice(-16_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return () => text;
}

/** Resolves with the HTTP port from the agent's "agent ready" log line; rejects with its output. */
export function agentReady(child: ChildProcess, output: () => string): Promise<number> {
  return new Promise((resolve, reject) => {
    const poll = setInterval(() => {
      const m = /"http":"127\.0\.0\.1:(\d+)"[^\n]*"msg":"agent ready"/.exec(output());
      if (m) done(() => resolve(Number(m[1])));
    }, 100);
    const timer = setTimeout(
      () =>
        done(() => reject(new Error(`the arm64 agent was not ready in ${AGENT_READY_MS} ms:\n${output()}`))),
      AGENT_READY_MS,
    );
    const exited = (code: number | null, signal: string | null) =>
      done(() =>
        reject(new Error(`the arm64 agent exited (${code ?? signal}) before it was ready:\n${output()}`)),
      );
    child.once('exit', exited);
    function done(settle: () => void) {
      clearInterval(poll);
      clearTimeout(timer);
      child.off('exit', exited);
      settle();
    }
  });
}
