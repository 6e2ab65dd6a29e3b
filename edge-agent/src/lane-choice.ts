// Which open stream takes the next request: the one with the fewest unanswered, ties broken in
// turn. It runs for every request, so it walks the streams without building arrays.

export interface LaneLoad {
  /** Takes no new requests. */
  retiring: boolean;
  /** The replica's address once known. */
  peer: string | undefined;
  /** Requests placed on it and not settled. */
  load: number;
  /** Its transport wants a 'drain' first. */
  blocked: boolean;
}

/**
 * The open stream with the fewest unanswered requests (a blocked one last), neither `avoid` nor
 * on its replica; undefined when there is none. A retry (`avoid` set) prefers a stream known to
 * be on another replica over a new one that may not be. Among equals, the `turn`-th (modulo
 * their number) and those after it come first, so equal streams share the load.
 */
export function leastLoaded<L extends LaneLoad>(
  lanes: Iterable<L>,
  avoid: L | undefined,
  turn: number,
): L | undefined {
  const fits = (l: L) => !l.retiring && l !== avoid && (avoid?.peer === undefined || l.peer !== avoid.peer);
  let n = 0;
  let known = 0;
  for (const l of lanes) {
    if (fits(l)) {
      n++;
      if (l.peer !== undefined) known++;
    }
  }
  const knownOnly = avoid !== undefined && known > 0;
  if (knownOnly) n = known;
  if (n === 0) return undefined;
  const start = turn % n;
  let best: L | undefined;
  let bestCost = 0;
  let bestRank = 0;
  let i = 0;
  for (const l of lanes) {
    if (!fits(l) || (knownOnly && l.peer === undefined)) continue;
    const rank = (i++ - start + n) % n;
    const cost = l.load + (l.blocked ? 1e9 : 0);
    if (best === undefined || cost < bestCost || (cost === bestCost && rank < bestRank)) {
      best = l;
      bestCost = cost;
      bestRank = rank;
    }
  }
  return best;
}
