// The in-process link shaper: what `cleave bench` uses when netem in network namespaces cannot be
// set up (no root, no iproute2, or a kernel without the netem qdisc). A TCP proxy on 127.0.0.1
// that behaves like one emulated link shared by every connection through it:
//  - rate: a token bucket per direction (depth `burstBytes`, default 0). With depth 0 a packet
//    leaves when the tokens for its last byte have arrived, which is netem's `rate` (serialisation);
//    each TCP segment is charged `overheadBytes` of Ethernet/IP/TCP headers as netem would see them;
//  - delay: a fixed one-way delay per direction (netem `delay`);
//  - loss: TCP never loses bytes, it retransmits them, so a lost segment arrives one retransmission
//    timeout later (`retransmitMs`, default max(200 ms, 2 × RTT): Linux's minimum RTO), and the
//    segments behind it on the same connection wait for it (in-order delivery); its bytes count twice.
// What it does not do: ACKs take no bandwidth, the queue is unbounded (netem drops past 1,000
// packets), and the kernel's congestion control does not see the delay.
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';

export interface ShaperOptions {
  rateMbit: number;
  delayMs: number;
  /** Fraction of segments lost, 0..1. */
  loss: number;
  /** Token bucket depth, bytes; 0 = serialise every packet at the link rate. */
  burstBytes?: number;
  /** Payload bytes per TCP segment (default 1448: a 1500-byte MTU with timestamps). */
  mss?: number;
  /** Header bytes charged per segment (default 66: Ethernet 14 + IPv4 20 + TCP with timestamps 32). */
  overheadBytes?: number;
  retransmitMs?: number;
  /** Uniform [0, 1) source for loss; default Math.random. */
  random?: () => number;
  now?: () => number;
}

export interface DirectionStats {
  segments: number;
  payloadBytes: number;
  /** Bytes the link carried: payload, headers and retransmissions. */
  linkBytes: number;
  lost: number;
  /** Longest a segment waited for the link (queueing, before its own serialisation), ms. */
  maxQueueMs: number;
}

/** One direction of the link: when each segment of a chunk arrives at the far end. */
export interface Direction {
  /** Arrival times (ms, on `now()`) of the segments of `bytes`, in order, for one connection's lane. */
  schedule(bytes: number, lane: { lastArrival: number }): number[];
  stats(): DirectionStats;
}

export function createDirection(options: ShaperOptions): Direction {
  const now = options.now ?? (() => performance.now());
  const random = options.random ?? Math.random;
  const mss = options.mss ?? 1448;
  const overhead = options.overheadBytes ?? 66;
  const depth = options.burstBytes ?? 0;
  const bytesPerMs = (options.rateMbit * 1e6) / 8 / 1000;
  const rto = options.retransmitMs ?? Math.max(200, 4 * options.delayMs);
  if (!(bytesPerMs > 0)) throw new RangeError('shaper: rateMbit must be > 0');
  if (!(options.loss >= 0 && options.loss < 1)) throw new RangeError('shaper: loss must be in [0, 1)');
  let tokens = depth;
  let tokensAt = now();
  let linkFree = Number.NEGATIVE_INFINITY;
  const stats: DirectionStats = { segments: 0, payloadBytes: 0, linkBytes: 0, lost: 0, maxQueueMs: 0 };

  /** Departure (last byte on the wire) of a packet of `size` bytes offered at `t`. */
  function depart(size: number, t: number): number {
    const start = Math.max(t, linkFree);
    stats.maxQueueMs = Math.max(stats.maxQueueMs, start - t);
    tokens = Math.min(depth, tokens + (start - tokensAt) * bytesPerMs);
    const wait = Math.max(0, size - tokens) / bytesPerMs;
    const leave = start + wait;
    tokens = Math.max(0, tokens - size);
    tokensAt = leave;
    linkFree = leave;
    stats.linkBytes += size;
    return leave;
  }

  return {
    schedule(bytes, lane) {
      const t = now();
      const arrivals: number[] = [];
      for (let off = 0; off < bytes; off += mss) {
        const payload = Math.min(mss, bytes - off);
        const size = payload + overhead;
        let arrive = depart(size, t) + options.delayMs;
        if (options.loss > 0 && random() < options.loss) {
          // Sent again one timeout after the first try; its bytes count, but it is not queued
          // behind traffic offered later (the link's future is not reserved).
          stats.lost++;
          stats.linkBytes += size;
          arrive += rto + size / bytesPerMs;
        }
        arrive = Math.max(arrive, lane.lastArrival);
        lane.lastArrival = arrive;
        arrivals.push(arrive);
        stats.segments++;
        stats.payloadBytes += payload;
      }
      return arrivals;
    },
    stats: () => ({ ...stats }),
  };
}

export interface LinkShaper {
  /** Listens on 127.0.0.1 and forwards every connection to host:port through the link; returns the port. */
  proxy(targetPort: number, targetHost?: string): Promise<number>;
  /** up = client → target (the edge's uplink), down = target → client. */
  stats(): { up: DirectionStats; down: DirectionStats; connections: number };
  close(): Promise<void>;
}

/** Delivers chunks in order at their arrival times: one timer per lane at a time. */
function createLane(to: Socket, now: () => number) {
  const lane = { lastArrival: Number.NEGATIVE_INFINITY };
  const queue: { at: number; chunk: Buffer }[] = [];
  let timer: NodeJS.Timeout | undefined;
  let closeAfter = false;
  const pump = () => {
    timer = undefined;
    const t = now();
    while (queue.length > 0 && queue[0]!.at <= t + 0.5) {
      const { chunk } = queue.shift()!;
      if (to.writable) to.write(chunk);
    }
    if (queue.length > 0) timer = setTimeout(pump, Math.max(1, queue[0]!.at - t));
    else if (closeAfter) to.end();
  };
  return {
    lane,
    push(at: number, chunk: Buffer) {
      queue.push({ at, chunk });
      if (!timer) timer = setTimeout(pump, Math.max(0, at - now()));
    },
    end() {
      closeAfter = true;
      if (!timer) pump();
    },
    destroy() {
      if (timer) clearTimeout(timer);
      queue.length = 0;
    },
  };
}

export function createLinkShaper(options: ShaperOptions): LinkShaper {
  const now = options.now ?? (() => performance.now());
  const shared = { ...options, now };
  const up = createDirection(shared);
  const down = createDirection(shared);
  const servers: Server[] = [];
  const sockets = new Set<Socket>();
  let connections = 0;
  const mss = options.mss ?? 1448;

  function pipe(from: Socket, to: Socket, direction: Direction): void {
    const lane = createLane(to, now);
    from.on('data', (chunk: Buffer) => {
      const arrivals = direction.schedule(chunk.byteLength, lane.lane);
      arrivals.forEach((at, k) => {
        lane.push(at, chunk.subarray(k * mss, Math.min(chunk.byteLength, (k + 1) * mss)));
      });
    });
    from.on('end', () => lane.end());
    from.on('close', () => {
      if (!to.destroyed) lane.end();
    });
    from.on('error', () => {
      lane.destroy();
      to.destroy();
    });
  }

  return {
    async proxy(targetPort, targetHost = '127.0.0.1') {
      const server = createServer({ noDelay: true }, (client) => {
        connections++;
        const upstream = connect({ port: targetPort, host: targetHost, noDelay: true });
        sockets.add(client).add(upstream);
        client.on('close', () => sockets.delete(client));
        upstream.on('close', () => sockets.delete(upstream));
        pipe(client, upstream, up);
        pipe(upstream, client, down);
      });
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', resolve);
      });
      return (server.address() as AddressInfo).port;
    },
    stats: () => ({ up: up.stats(), down: down.stats(), connections }),
    async close() {
      for (const s of sockets) s.destroy();
      await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    },
  };
}
