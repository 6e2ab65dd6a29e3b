// A TCP proxy on 127.0.0.1 that holds every chunk for `delayMs` in each direction: an
// in-process slow link for policy tests (the benchmarks use netem in network namespaces).
// `partition(true)` cuts the link the way a pulled cable does: nothing passes either way, no
// connection is reset; `partition(false)` heals it and what was held goes through, in order,
// as TCP would retransmit it.

import type { AddressInfo } from 'node:net';
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface DelayProxy {
  port: number;
  partition(cut: boolean): void;
  close(): Promise<void>;
}

export async function startDelayProxy(targetPort: number, delayMs: number): Promise<DelayProxy> {
  const sockets = new Set<Socket>();
  let cut = false;
  const held: (() => void)[] = [];
  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    const pipe = (from: Socket, to: Socket) => {
      const forward = (chunk: Buffer) => setTimeout(() => to.writable && to.write(chunk), delayMs);
      from.on('data', (chunk: Buffer) => (cut ? held.push(() => forward(chunk)) : forward(chunk)));
      from.on('close', () => setTimeout(() => to.destroy(), delayMs));
      from.on('error', () => to.destroy());
    };
    pipe(client, upstream);
    pipe(upstream, client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    partition(on) {
      cut = on;
      if (!on) for (const release of held.splice(0)) release();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
