// The Python side of `cleave split --learn` as a child process: Debian's /usr/bin/python3 with
// python3-torch runs training/learn_bottleneck.py over a work folder, reporting progress as JSON
// lines on stdout. Its stderr goes to a bounded ring that error messages quote. Stop is an
// AbortSignal: SIGINT, so the trainer keeps its last finished epoch as a checkpoint.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { createInterface } from 'node:readline';

/** Why --learn could not run or finish; the message names the problem and the fix. */
export class LearnError extends Error {
  override readonly name = 'LearnError';
}

/** The trainer was stopped (Ctrl-C); the work folder holds a checkpoint unless none was reached. */
export class LearnInterrupted extends Error {
  override readonly name = 'LearnInterrupted';
}

export interface TrainerCommand {
  /** The interpreter: Debian's /usr/bin/python3 by default (CLEAVE_PYTHON overrides it). */
  python: string;
  /** training/learn_bottleneck.py */
  script: string;
}

/** One progress line of the trainer (training/cleave_train/learn.py emit()). */
export type TrainerEvent =
  | { event: 'progress'; stage: 'features'; done: number; total: number; seconds: number }
  | {
      event: 'epoch';
      label: string;
      stage: 1 | 2;
      epoch: number;
      of: number;
      loss: number;
      agreement: number;
      bytes: number;
      seconds: number;
    }
  | { event: 'shape'; codeDims: number[]; packedBytes: number; epochs: { stage1: number; stage2: number } }
  | {
      event: 'probe';
      index: number;
      of: number;
      channels: number;
      bits: number;
      agreement: number;
      estimatedPayloadBytes: number;
    }
  | { event: 'resumed'; stage: number; epoch: number }
  | { event: 'note' | 'interrupted'; message: string }
  | { event: 'error'; kind: string; message: string }
  | { event: 'done'; agreement: number; bytes: number; seconds: number };

const INSTALL = 'apt-get install -y python3-torch python3-onnx python3-numpy';

/** Fails with what to install unless the interpreter runs and imports torch, onnx and numpy. */
export function checkTrainer(command: TrainerCommand): string {
  const probe = spawnSync(command.python, ['-c', 'import torch, onnx, numpy; print(torch.__version__)'], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (probe.error) {
    const code = (probe.error as NodeJS.ErrnoException).code;
    throw new LearnError(
      code === 'ENOENT'
        ? `--learn trains with PyTorch, and ${command.python} does not exist: install Debian's Python and PyTorch (${INSTALL}), or point CLEAVE_PYTHON at an interpreter that has torch and onnx`
        : `--learn could not start ${command.python}: ${probe.error.message}`,
    );
  }
  if (probe.status !== 0) {
    const missing = /No module named '([^']+)'/.exec(probe.stderr)?.[1];
    throw new LearnError(
      `--learn trains with PyTorch, and ${command.python} cannot import ${missing ?? 'torch, onnx and numpy'}: install them (${INSTALL})${missing ? '' : `\n${probe.stderr.trim().split('\n').slice(-3).join('\n')}`}`,
    );
  }
  return probe.stdout.trim();
}

/** Writes samples as a C-order float32 .npy [N, ...dims], streaming (no second copy in memory). */
export function writeNpy(path: string, samples: readonly Float32Array[], dims: readonly number[]): void {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${[samples.length, ...dims].join(', ')}), }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64);
  const prefix = Buffer.alloc(10);
  prefix.write('\x93NUMPY', 0, 'latin1');
  prefix[6] = 1;
  prefix[7] = 0;
  prefix.writeUInt16LE(header.length + 1, 8);
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, prefix);
    writeSync(fd, `${header}\n`, null, 'latin1');
    for (const s of samples) writeSync(fd, new Uint8Array(s.buffer, s.byteOffset, s.byteLength));
  } finally {
    closeSync(fd);
  }
}

/** Runs the trainer to the end; resolves when it exits 0, rejects with what it said otherwise. */
export async function runTrainer(
  command: TrainerCommand,
  args: readonly string[],
  onEvent: (event: TrainerEvent) => void,
  signal?: AbortSignal,
): Promise<void> {
  const child = spawn(command.python, [command.script, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PYTHONUNBUFFERED: '1', PYTHONWARNINGS: 'ignore' },
  });
  const ring: string[] = [];
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    ring.push(chunk);
    while (ring.join('').length > 8192) ring.shift();
  });
  let failure: { kind: string; message: string } | undefined;
  let interrupted = false;
  const onAbort = () => child.kill('SIGINT');
  signal?.addEventListener('abort', onAbort, { once: true });
  const lines = createInterface({ input: child.stdout });
  lines.on('line', (line) => {
    let event: TrainerEvent;
    try {
      event = JSON.parse(line) as TrainerEvent;
    } catch {
      ring.push(`${line}\n`);
      return;
    }
    if (event.event === 'error') failure = event;
    if (event.event === 'interrupted') interrupted = true;
    onEvent(event);
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (status) => resolve(status));
  });
  signal?.removeEventListener('abort', onAbort);
  if (code === 0) return;
  if (interrupted || signal?.aborted) throw new LearnInterrupted('the trainer was stopped');
  if (failure) throw new LearnError(failure.message);
  const tail = ring.join('').trim().split('\n').slice(-12).join('\n');
  throw new LearnError(`the bottleneck trainer failed (exit ${code}):\n${tail}`);
}
