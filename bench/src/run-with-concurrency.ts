/** Runs `task(i)` for i in [0, count) with at most `concurrency` in flight; results in order. */
export async function runWithConcurrency<T>(
  count: number,
  concurrency: number,
  task: (i: number) => Promise<T>,
  onDone?: (i: number, value: T) => void,
): Promise<T[]> {
  const results = new Array<T>(count);
  let next = 0;
  async function lane(): Promise<void> {
    while (next < count) {
      const i = next++;
      results[i] = await task(i);
      onDone?.(i, results[i]);
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  return results;
}
