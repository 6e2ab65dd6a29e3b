// Deadlines for many requests in flight, with one timer per budget instead of one per request.
// Requests given the same budget expire in the order they started, so each budget keeps its
// entries in a FIFO and arms a single timer for the oldest live one. Settled entries are
// skipped when reached, and compacted away once they outnumber the live ones, so memory stays
// proportional to the requests in flight.

export interface DeadlineEntry {
  /** Its budget in ms: entries of the same budget share a timer. */
  readonly timeoutMs: number;
  /** performance.now() at which it expires: when it was added, plus timeoutMs. */
  readonly deadline: number;
  /** Cleared by `settled()`; an entry that is no longer live is never expired. */
  live: boolean;
}

interface Budget<T> {
  entries: T[];
  /** Index of the first entry not yet passed over. */
  head: number;
  /** Entries at or after `head` that have settled. */
  dead: number;
  timer: NodeJS.Timeout | undefined;
}

export interface DeadlineTimers<T extends DeadlineEntry> {
  /** Watches a live `entry`. */
  add(entry: T): void;
  /** Marks `entry` settled: it will not expire, and a budget with nothing live keeps no timer. */
  settled(entry: T): void;
}

const MAX_TIMER_MS = 2 ** 31 - 1;

/** `expire` is called once for each live entry whose deadline has passed, oldest first. */
export function createDeadlineTimers<T extends DeadlineEntry>(expire: (entry: T) => void): DeadlineTimers<T> {
  const budgets = new Map<number, Budget<T>>();

  function arm(b: Budget<T>): void {
    clearTimeout(b.timer); // `expire` may have added an entry, and armed, while `fire` ran
    b.timer = undefined;
    while (b.head < b.entries.length && !b.entries[b.head]!.live) {
      b.head++;
      b.dead--;
    }
    if (b.head === b.entries.length) {
      reset(b);
      return;
    }
    const first = b.entries[b.head]!;
    // Whole milliseconds, within setTimeout's range; an entry is expired only once it is due.
    const ms = Math.min(MAX_TIMER_MS, Math.max(1, Math.ceil(first.deadline - performance.now())));
    b.timer = setTimeout(fire, ms, b);
  }
  function reset(b: Budget<T>): void {
    clearTimeout(b.timer);
    b.timer = undefined;
    b.entries = [];
    b.head = 0;
    b.dead = 0;
  }

  function fire(b: Budget<T>): void {
    b.timer = undefined;
    const now = performance.now();
    while (b.head < b.entries.length) {
      const e = b.entries[b.head]!;
      if (e.live) {
        if (e.deadline > now) break;
        b.head++;
        e.live = false;
        expire(e);
      } else {
        b.head++;
        b.dead--;
      }
    }
    arm(b);
  }

  return {
    add(entry) {
      let b = budgets.get(entry.timeoutMs);
      if (!b) {
        b = { entries: [], head: 0, dead: 0, timer: undefined };
        budgets.set(entry.timeoutMs, b);
      }
      b.entries.push(entry);
      if (b.timer === undefined) arm(b);
    },
    settled(entry) {
      if (!entry.live) return;
      entry.live = false;
      const b = budgets.get(entry.timeoutMs);
      if (!b) return;
      b.dead++;
      const size = b.entries.length - b.head;
      // Nothing left to expire: no timer may keep the process up (as clearTimeout would not).
      if (b.dead === size) reset(b);
      else if (b.dead > 64 && b.dead * 2 > size) {
        b.entries = b.entries.slice(b.head).filter((e) => e.live);
        b.head = 0;
        b.dead = 0;
      }
    },
  };
}
