// Counting answers on both sides of a fault test. The agent side: every request id the test
// issued, every answer the app got for it, and every answer the agent announced (onAnswer); an id
// with no answer by the deadline is reported, not waited on. The server side: the servers' access
// logs (`cleave serve --access-log`, written before each answer leaves, so a SIGKILL loses none),
// read per process and stream: a request id answered twice on one stream is a server bug; one
// answered by two processes is a retry after a kill, which may legitimately run twice. The agent's
// ids are scoped to its stream (the compact form): the log writes each as TAG/ID, TAG naming the
// agent's stream, and a retry names its first send (retryOf), so one agent request keeps one
// identity across streams and servers.
import { readFileSync } from 'node:fs';
import type { Agent, Answer } from '@cleave/edge-agent';

export interface AgentLedger {
  /** Issues request `id` (a test's own numbering) and records its answer. */
  issue(id: number, run: () => Promise<Answer>): Promise<Answer | undefined>;
  /** Issued and not yet answered. */
  outstanding(): number;
  /** Waits until every issued id is answered or `ms` pass; returns the ids still unanswered. */
  settle(ms: number): Promise<number[]>;
  answers: Map<number, Answer[]>;
  /** Answers the agent announced through onAnswer. */
  announced(): number;
  stop(): void;
}

export function createAgentLedger(agent: Agent): AgentLedger {
  const issued = new Map<number, Promise<Answer | undefined>>();
  const answers = new Map<number, Answer[]>();
  let announced = 0;
  const off = agent.onAnswer(() => announced++);
  return {
    issue(id, run) {
      const p = run().then((a) => {
        answers.set(id, [...(answers.get(id) ?? []), a]);
        return a;
      });
      issued.set(id, p);
      return p;
    },
    outstanding: () => issued.size - answers.size,
    async settle(ms) {
      const until = Date.now() + ms;
      while (answers.size < issued.size && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      return [...issued.keys()].filter((id) => !answers.has(id));
    },
    answers,
    announced: () => announced,
    stop: off,
  };
}

export interface AccessLine {
  t: number;
  pid: number;
  method: string;
  stream: number;
  id: string;
  /** A retried request: the TAG/ID of its first send. */
  retryOf?: string;
  code: number;
}

export function readAccessLog(path: string): AccessLine[] {
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as AccessLine);
}

export interface ServerTally {
  /** Answers written, and of them successes (code 0). */
  lines: number;
  ok: number;
  processes: number;
  /** "pid/stream/id" answered more than once on the same stream: must be empty. */
  twiceOnOneStream: string[];
  /** Agent requests (first send's TAG/ID) answered by more than one server process: retries. */
  ranTwice: number;
  /** Lines whose id is not an agent's TAG-N/ID (each agent request must be named so): must be empty. */
  unnamed: string[];
  /** Lines of retried requests (naming their first send). */
  retries: number;
}

/** How the access log names a compact request from an agent: its stream's tag, then its id. */
const AGENT_REQUEST = /^[0-9a-f]{8}-\d+\/\d+$/;

export function tallyServers(lines: readonly AccessLine[]): ServerTally {
  const perStream = new Map<string, number>();
  const processesOf = new Map<string, Set<number>>();
  for (const l of lines) {
    const key = `${l.pid}/${l.stream}/${l.id}`;
    perStream.set(key, (perStream.get(key) ?? 0) + 1);
    const request = l.retryOf ?? l.id;
    processesOf.set(request, (processesOf.get(request) ?? new Set()).add(l.pid));
  }
  return {
    lines: lines.length,
    ok: lines.filter((l) => l.code === 0).length,
    processes: new Set(lines.map((l) => l.pid)).size,
    twiceOnOneStream: [...perStream].filter(([, n]) => n > 1).map(([k]) => k),
    ranTwice: [...processesOf.values()].filter((s) => s.size > 1).length,
    unnamed: lines
      .filter((l) => !AGENT_REQUEST.test(l.id) || (l.retryOf && !AGENT_REQUEST.test(l.retryOf)))
      .map((l) => l.id),
    retries: lines.filter((l) => l.retryOf).length,
  };
}
