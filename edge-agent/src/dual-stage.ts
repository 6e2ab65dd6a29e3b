// Dual complementary CNNs: A answers when sure; otherwise B runs and the more confident wins.
import type { SessionPool } from '@cleave/models';
import { argmax, type GateScoreFunction as ScoreFunction, softmax } from '@cleave/models';

export interface DualResult {
  label: number;
  probs: Float64Array;
  score: number;
  /** Whether B ran (A was unsure). */
  usedB: boolean;
  pass: boolean;
}

export interface DualStage {
  readonly threshold: number;
  run(input: { data: Float32Array; dims: number[] }): Promise<DualResult>;
}

export function createDualStage(options: {
  pool: SessionPool;
  inputName: string;
  score: ScoreFunction;
  threshold: number;
}): DualStage {
  const { pool, inputName, score, threshold } = options;
  async function classify(key: 'dual-a' | 'dual-b', input: { data: Float32Array; dims: number[] }) {
    const out = await pool.run(key, { [inputName]: input });
    const probs = softmax(out.logits!.data);
    return { probs, score: score(probs), label: argmax(probs) };
  }
  return {
    threshold,
    async run(input) {
      const a = await classify('dual-a', input);
      if (a.score >= threshold) return { ...a, usedB: false, pass: true };
      const b = await classify('dual-b', input);
      const best = b.score > a.score ? b : a;
      return { ...best, usedB: true, pass: best.score >= threshold };
    },
  };
}
