// Shared by the --learn tests: Debian's python3 for the fixtures and the converter.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures');

/** Runs /usr/bin/python3 with one OpenMP thread (test files may run beside each other). */
export const python = async (args: string[], timeoutMs = 240_000) =>
  promisify(execFile)('/usr/bin/python3', args, {
    timeout: timeoutMs,
    env: { ...process.env, OMP_NUM_THREADS: '1' },
  });

/**
 * Trains test/fixtures/train_small_resnet.py's model into `dir` (model.onnx, train.npy, test.npy,
 * test-labels.json) and returns what it printed: its time and test accuracy.
 */
export async function trainFixture(
  dir: string,
  args: string[],
): Promise<{ seconds: number; testAccuracy: number }> {
  const { stdout } = await python([join(FIXTURES, 'train_small_resnet.py'), dir, ...args]);
  return JSON.parse(stdout.trim().split('\n').pop()!) as { seconds: number; testAccuracy: number };
}
