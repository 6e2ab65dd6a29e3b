// How the daemons (`cleave agent`, `cleave serve`) join the fleet without waiting for NATS.
/**
 * Joins the fleet now, or keeps trying every `retryMs` while NATS cannot be reached: the daemon
 * serves meanwhile, it only is not managed yet. `close()` stops trying or leaves.
 */
export function joinFleetInBackground(
  join: () => Promise<{ close(): Promise<void> }>,
  log: { info(o: object, m: string): void; error(o: object, m: string): void },
  retryMs = 5000,
): { joined: Promise<void>; close(): Promise<void> } {
  let member: { close(): Promise<void> } | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let first: (() => void) | undefined;
  const joined = new Promise<void>((r) => {
    first = r;
  });
  const attempt = async () => {
    try {
      member = await join();
      if (stopped) await member.close();
      else log.info({}, 'joined the fleet');
      first?.();
    } catch (error) {
      if (stopped) return;
      log.error({ err: (error as Error).message }, `cannot join the fleet; retrying in ${retryMs} ms`);
      timer = setTimeout(() => void attempt(), retryMs);
    }
  };
  void attempt();
  return {
    joined,
    async close() {
      stopped = true;
      clearTimeout(timer);
      await member?.close();
    },
  };
}
