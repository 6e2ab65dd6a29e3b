// A TCP proxy on loopback that counts what crosses the socket, per direction: the gRPC messages,
// the HTTP/2 framing around them, the TCP payload, and the TCP segments (from the kernel's
// tcp_info of the proxy's sockets), with an estimate of 40 B of IP and TCP headers per segment.
// Each direction's segments are counted where the real sender's segments arrive: upstream on the
// proxy's accepted socket (the agent's segments), downstream on its socket to the server (the
// server's), so the proxy's own re-sending does not count. Both of its sockets set TCP_NODELAY:
// it forwards each chunk at once and adds no Nagle delay of its own.
import { connect, createServer, type Server, type Socket } from 'node:net';
import {
  createHttp2FrameCounter,
  emptyHttp2Counts,
  type Http2Counts,
  type Http2FrameCounter,
} from './http2-frame-counter.js';
import { readTcpInfo, type SegmentCounts } from './tcp-info.js';

/** IPv4 (20) + TCP (20) header bytes per segment, without options: the estimate the figures add. */
export const IP_TCP_HEADER_BYTES = 40;

export interface DirectionCounts extends Http2Counts {
  /** HTTP/2's own bytes: bytes − messageBytes. */
  http2Bytes: number;
  /** Segments that crossed in this direction (data and pure ACKs); null without tcp_info. */
  segments: number | null;
  /** Of them, segments with payload. */
  dataSegments: number | null;
  /** bytes + IP_TCP_HEADER_BYTES × segments (null without tcp_info). */
  ipBytes: number | null;
}

export interface SocketCounts {
  /** Client → server (the agent's uplink). */
  up: DirectionCounts;
  /** Server → client. */
  down: DirectionCounts;
  connections: number;
}

export interface ByteCountingProxy {
  /** Point the client here: 127.0.0.1:port. */
  readonly port: number;
  /** Cumulative counts since the proxy started (segments from the kernel, read now). */
  counts(): SocketCounts;
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  server: Socket;
  up: Http2FrameCounter;
  down: Http2FrameCounter;
  /** Kernel counts: the last read of the accepted socket (upstream) and the server socket. */
  fromClient: SegmentCounts | undefined;
  fromServer: SegmentCounts | undefined;
  serverLocalPort: number;
  clientPeer: string;
}

function direction(h: Http2Counts, segments: number | null, dataSegments: number | null): DirectionCounts {
  return {
    ...h,
    http2Bytes: h.bytes - h.messageBytes,
    segments,
    dataSegments,
    ipBytes: segments === null ? null : h.bytes + IP_TCP_HEADER_BYTES * segments,
  };
}

const sum = (xs: Http2Counts[]): Http2Counts => {
  const t = emptyHttp2Counts();
  for (const x of xs) {
    t.bytes += x.bytes;
    t.messageBytes += x.messageBytes;
    t.messages += x.messages;
    t.frames += x.frames;
    t.dataFrames += x.dataFrames;
    for (const [k, v] of Object.entries(x.framesByType)) t.framesByType[k] = (t.framesByType[k] ?? 0) + v;
  }
  return t;
};

/** Starts the proxy on 127.0.0.1 (a free port) in front of `target` (host:port). */
export async function startByteCountingProxy(target: {
  host: string;
  port: number;
}): Promise<ByteCountingProxy> {
  const pairs = new Set<Pair>();
  const closed: Pair[] = [];
  let kernel = true;

  /** Reads tcp_info of a pair's two sockets, keeping the last values seen. */
  function refresh(listenPort: number, only?: Pair): void {
    if (!kernel) return;
    const accepted = readTcpInfo(listenPort);
    if (accepted === null) {
      kernel = false;
      return;
    }
    for (const p of only ? [only] : pairs) {
      const a = accepted.find((s) => s.peer === p.clientPeer);
      if (a) p.fromClient = a;
      const b = readTcpInfo(p.serverLocalPort)?.find((s) => s.peer.endsWith(`:${target.port}`));
      if (b) p.fromServer = b;
    }
  }

  const server: Server = createServer((client) => {
    client.setNoDelay(true);
    const upstream = connect({ host: target.host, port: target.port });
    upstream.setNoDelay(true);
    const pair: Pair = {
      client,
      server: upstream,
      up: createHttp2FrameCounter({ client: true }),
      down: createHttp2FrameCounter({ client: false }),
      fromClient: undefined,
      fromServer: undefined,
      serverLocalPort: 0,
      clientPeer: `${client.remoteAddress}:${client.remotePort}`,
    };
    pairs.add(pair);
    upstream.on('connect', () => {
      pair.serverLocalPort = upstream.localPort ?? 0;
    });
    client.on('data', (b: Buffer) => {
      pair.up.push(b);
      upstream.write(b);
    });
    upstream.on('data', (b: Buffer) => {
      pair.down.push(b);
      client.write(b);
    });
    // Before a side goes, read its counters once more: the kernel forgets a socket once closed.
    const finish = () => {
      if (!pairs.has(pair)) return;
      refresh(port, pair);
      pairs.delete(pair);
      closed.push(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('end', finish);
    upstream.on('end', finish);
    client.on('error', finish);
    upstream.on('error', finish);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  return {
    port,
    counts() {
      refresh(port);
      const all = [...closed, ...pairs];
      const segs = (pick: (p: Pair) => SegmentCounts | undefined, key: keyof SegmentCounts) =>
        kernel ? all.reduce((a, p) => a + (pick(p)?.[key] ?? 0), 0) : null;
      return {
        up: direction(
          sum(all.map((p) => p.up.counts())),
          segs((p) => p.fromClient, 'segsIn'),
          segs((p) => p.fromClient, 'dataSegsIn'),
        ),
        down: direction(
          sum(all.map((p) => p.down.counts())),
          segs((p) => p.fromServer, 'segsIn'),
          segs((p) => p.fromServer, 'dataSegsIn'),
        ),
        connections: all.length,
      };
    },
    close() {
      for (const p of pairs) {
        p.client.destroy();
        p.server.destroy();
      }
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** Per offload: each count of `after − before`, divided by `offloads`. */
export function perOffload(before: SocketCounts, after: SocketCounts, offloads: number): SocketCounts {
  const d = (a: DirectionCounts, b: DirectionCounts): DirectionCounts => {
    const per = (x: number, y: number) => (x - y) / offloads;
    const nullable = (x: number | null, y: number | null) => (x === null || y === null ? null : per(x, y));
    const framesByType: Record<string, number> = {};
    for (const k of Object.keys(a.framesByType))
      framesByType[k] = per(a.framesByType[k]!, b.framesByType[k] ?? 0);
    return {
      bytes: per(a.bytes, b.bytes),
      messageBytes: per(a.messageBytes, b.messageBytes),
      messages: per(a.messages, b.messages),
      frames: per(a.frames, b.frames),
      dataFrames: per(a.dataFrames, b.dataFrames),
      framesByType,
      http2Bytes: per(a.http2Bytes, b.http2Bytes),
      segments: nullable(a.segments, b.segments),
      dataSegments: nullable(a.dataSegments, b.dataSegments),
      ipBytes: nullable(a.ipBytes, b.ipBytes),
    };
  };
  return { up: d(after.up, before.up), down: d(after.down, before.down), connections: after.connections };
}
