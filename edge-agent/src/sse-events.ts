// `GET /v1/events`: the stream hub's events as Server-Sent Events, one `data:` line of JSON per
// answered frame. `?source=ID` (repeatable) picks sources and `?changes=1` passes an event only when
// its source's label changes. A client that does not read is not buffered for: past
// `maxBufferedBytes` its events are dropped and counted in a comment line once it catches up.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { labelChangesOnly, type StreamEvent, type StreamEventListener } from './stream-event.js';
import type { StreamHub } from './stream-hub.js';

const HEARTBEAT_MS = 15_000;

export function serveEvents(
  hub: StreamHub,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  maxBufferedBytes = 1024 * 1024,
): void {
  const sources = new Set(url.searchParams.getAll('source'));
  const changes = ['1', 'true'].includes(url.searchParams.get('changes') ?? '');
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
  res.write(': cleave stream events\n\n');
  let dropped = 0;
  const send: StreamEventListener = (event: StreamEvent) => {
    if (res.writableLength > maxBufferedBytes) {
      dropped++;
      return;
    }
    if (dropped > 0) {
      res.write(`: dropped ${dropped} events\n\n`);
      dropped = 0;
    }
    res.write(`id: ${event.source}:${event.frame}\ndata: ${JSON.stringify(event)}\n\n`);
  };
  const filtered = changes ? labelChangesOnly(send) : send;
  const unsubscribe = hub.onEvent((event) => {
    if (sources.size === 0 || sources.has(event.source)) filtered(event);
  });
  const heartbeat = setInterval(() => res.write(': ping\n\n'), HEARTBEAT_MS);
  req.on('close', () => {
    clearInterval(heartbeat);
    unsubscribe();
  });
}
