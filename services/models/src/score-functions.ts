// Confidence scores of a logit vector, higher = more confident, keyed by name so a gate can be
// configured by string. Same definitions as training/cleave_train/gates.py. The agent's gates and
// the split tool's exit calibration (@cleave/graph) both use these, so a threshold means the same.

export type ScoreFunction = (probs: Float64Array) => number;

export function softmax(logits: ArrayLike<number>): Float64Array {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]!);
  const out = new Float64Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    out[i] = Math.exp(logits[i]! - max);
    sum += out[i]!;
  }
  for (let i = 0; i < out.length; i++) out[i]! /= sum;
  return out;
}

export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

function topTwo(p: Float64Array): [number, number] {
  let a = 0;
  let b = 0;
  for (const v of p) {
    if (v > a) {
      b = a;
      a = v;
    } else if (v > b) b = v;
  }
  return [a, b];
}

const registry = new Map<string, ScoreFunction>([
  ['max-softmax', (p) => topTwo(p)[0]],
  [
    'margin',
    (p) => {
      const [a, b] = topTwo(p);
      return a - b;
    },
  ],
  [
    'entropy',
    (p) => {
      let h = 0;
      for (const v of p) if (v > 1e-12) h -= v * Math.log(v);
      return 1 - h / Math.log(p.length);
    },
  ],
]);

export function registerScoreFunction(name: string, fn: ScoreFunction): void {
  if (registry.has(name)) throw new Error(`score function "${name}" is already registered`);
  registry.set(name, fn);
}

export function scoreFunction(name: string): ScoreFunction {
  const fn = registry.get(name);
  if (!fn) throw new Error(`unknown score function "${name}"; known: ${[...registry.keys()].join(', ')}`);
  return fn;
}

export function scoreFunctionNames(): string[] {
  return [...registry.keys()];
}
