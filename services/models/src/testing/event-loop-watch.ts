/** What a watch saw: how many timer ticks fired and the longest wait between two of them. */
export interface EventLoopReport {
  ticks: number;
  maxGapMs: number;
  elapsedMs: number;
}

/**
 * Starts a `setInterval(…, intervalMs)` on this thread and records when it fires. If something
 * blocks the event loop, ticks go missing and the gap between two ticks grows by the block.
 */
export function watchEventLoop(intervalMs = 10): { stop(): EventLoopReport } {
  const start = performance.now();
  let last = start;
  let maxGapMs = 0;
  let ticks = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    maxGapMs = Math.max(maxGapMs, now - last);
    last = now;
    ticks++;
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      const now = performance.now();
      return { ticks, maxGapMs: Math.max(maxGapMs, now - last), elapsedMs: now - start };
    },
  };
}
