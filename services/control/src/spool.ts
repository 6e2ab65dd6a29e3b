// A bounded on-disk queue of records waiting for JetStream, oldest first. Appends are
// synchronous in memory and written to `queue.log` in batches off the caller's path; the
// position up to which records have left the queue (stored or dropped) is kept in
// `state.json`, so a restarted agent resumes where it stopped. Each record carries a message
// id that is stable across replays (`PREFIX.EPOCH.SEQ`), which JetStream deduplicates.
//
// Full policy: at `maxRecords` or `maxBytes`, `drop-oldest` (default) discards the oldest
// records to make room; `reject-new` refuses the new one. Both are counted.
import { randomBytes } from 'node:crypto';
import { appendFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface SpoolOptions {
  dir: string;
  /** Message ids are `${idPrefix}.${epoch}.${seq}`; the agent id keeps them unique in a stream. */
  idPrefix: string;
  maxRecords: number;
  maxBytes: number;
  onFull: 'drop-oldest' | 'reject-new';
}

export interface SpoolRecord {
  seq: number;
  id: string;
  subject: string;
  data: Uint8Array;
}

export interface SpoolStats {
  queued: number;
  queuedBytes: number;
  appended: number;
  dropped: number;
  rejected: number;
  writeErrors: number;
}

export interface Spool {
  readonly epoch: string;
  /** Queues a record; false when refused (full, reject-new). Never waits for the disk. */
  append(subject: string, data: Uint8Array): boolean;
  /** The oldest `n` records, still queued. */
  peek(n: number): SpoolRecord[];
  /** Removes every queued record up to and including `seq` (they are stored upstream). */
  ackThrough(seq: number): void;
  stats(): SpoolStats;
  /** Resolves when everything queued so far is on disk and the position is saved. */
  flush(): Promise<void>;
}

const LOG = 'queue.log';
const STATE = 'state.json';
const enc = new TextEncoder();
const dec = new TextDecoder();

function frame(r: SpoolRecord): Buffer {
  const header = enc.encode(JSON.stringify({ s: r.seq, i: r.id, j: r.subject }));
  const out = Buffer.alloc(8 + header.byteLength + r.data.byteLength);
  out.writeUInt32LE(header.byteLength, 0);
  out.set(header, 4);
  out.writeUInt32LE(r.data.byteLength, 4 + header.byteLength);
  out.set(r.data, 8 + header.byteLength);
  return out;
}

/** Frames of a log; a torn last frame (a crash mid-write) is left out. */
function parseLog(buf: Buffer): SpoolRecord[] {
  const out: SpoolRecord[] = [];
  let at = 0;
  while (at + 4 <= buf.length) {
    const hl = buf.readUInt32LE(at);
    if (at + 8 + hl > buf.length) break;
    const dl = buf.readUInt32LE(at + 4 + hl);
    if (at + 8 + hl + dl > buf.length) break;
    let h: { s: number; i: string; j: string };
    try {
      h = JSON.parse(dec.decode(buf.subarray(at + 4, at + 4 + hl)));
    } catch {
      break;
    }
    out.push({
      seq: h.s,
      id: h.i,
      subject: h.j,
      data: new Uint8Array(buf.subarray(at + 8 + hl, at + 8 + hl + dl)),
    });
    at += 8 + hl + dl;
  }
  return out;
}

export async function openSpool(options: SpoolOptions): Promise<Spool> {
  await mkdir(options.dir, { recursive: true });
  const logPath = join(options.dir, LOG);
  const statePath = join(options.dir, STATE);
  let state: { epoch: string; through: number };
  try {
    state = JSON.parse(await readFile(statePath, 'utf8'));
  } catch {
    state = { epoch: randomBytes(6).toString('hex'), through: 0 };
  }
  let log: Buffer;
  try {
    log = await readFile(logPath);
  } catch {
    log = Buffer.alloc(0);
  }
  const bySeq = new Map(parseLog(log).map((r) => [r.seq, r]));
  const queue = [...bySeq.values()].filter((r) => r.seq > state.through).sort((a, b) => a.seq - b.seq);
  let nextSeq = (queue.length > 0 ? queue[queue.length - 1]!.seq : state.through) + 1;
  let queuedBytes = queue.reduce((n, r) => n + r.data.byteLength, 0);
  const counts = { appended: 0, dropped: 0, rejected: 0, writeErrors: 0 };
  // Start from a clean log holding only what is still queued (drops a torn tail).
  let logBytes = 0;
  let chain: Promise<void> = (async () => {
    const body = Buffer.concat(queue.map(frame));
    await writeFile(`${logPath}.tmp`, body);
    await rename(`${logPath}.tmp`, logPath);
    await writeFile(statePath, JSON.stringify(state));
    logBytes = body.length;
  })().catch(() => {
    counts.writeErrors++;
  });
  let pending: SpoolRecord[] = [];
  let writtenSeq = nextSeq - 1;
  let scheduled = false;
  let stateDirty = false;

  const enqueue = (job: () => Promise<void>) => {
    chain = chain.then(job).catch(() => {
      counts.writeErrors++;
    });
    return chain;
  };
  function schedule() {
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      void writeOut();
    });
  }
  function writeOut(): Promise<void> {
    const batch = pending;
    pending = [];
    const saveState = stateDirty;
    stateDirty = false;
    const snapshot = { ...state };
    return enqueue(async () => {
      if (batch.length > 0) {
        const body = Buffer.concat(batch.map(frame));
        await appendFile(logPath, body);
        logBytes += body.length;
        writtenSeq = batch[batch.length - 1]!.seq;
      }
      if (saveState) {
        await writeFile(`${statePath}.tmp`, JSON.stringify(snapshot));
        await rename(`${statePath}.tmp`, statePath);
      }
      // Compact when most of the log is records already gone.
      const live = queuedBytes + queue.length * 64;
      if (logBytes > 1024 * 1024 && logBytes > 4 * live) {
        // Only what is on disk already: later records are appended by later jobs.
        const body = Buffer.concat(queue.filter((r) => r.seq <= writtenSeq).map(frame));
        await writeFile(`${logPath}.tmp`, body);
        await rename(`${logPath}.tmp`, logPath);
        logBytes = body.length;
      }
    });
  }
  const removeHead = () => {
    const r = queue.shift()!;
    queuedBytes -= r.data.byteLength;
    state.through = r.seq;
    stateDirty = true;
  };

  return {
    epoch: state.epoch,
    append(subject, data) {
      const full = () =>
        queue.length + 1 > options.maxRecords || queuedBytes + data.byteLength > options.maxBytes;
      if (full()) {
        if (options.onFull === 'reject-new' || data.byteLength > options.maxBytes) {
          counts.rejected++;
          return false;
        }
        while (queue.length > 0 && full()) {
          removeHead();
          counts.dropped++;
        }
      }
      const seq = nextSeq++;
      const record = { seq, id: `${options.idPrefix}.${state.epoch}.${seq}`, subject, data };
      queue.push(record);
      queuedBytes += data.byteLength;
      counts.appended++;
      pending.push(record);
      schedule();
      return true;
    },
    peek: (n) => queue.slice(0, n),
    ackThrough(seq) {
      let removed = false;
      while (queue.length > 0 && queue[0]!.seq <= seq) {
        removeHead();
        removed = true;
      }
      if (removed) schedule();
    },
    stats: () => ({ queued: queue.length, queuedBytes, ...counts }),
    flush: () => writeOut(),
  };
}
