// The tail server's HTTP side: KServe v2 endpoints plus whatever routes the entry point adds
// (Prometheus /metrics, the dashboard). Errors are JSON {"error": "..."} with their status.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError, type ListeningHttpServer, listenHttp, sendJson, statusOfError } from '@cleave/wire';
import { createKserveHandler, type KserveContext } from './kserve-routes.js';

/** Handles the request and returns true, or returns false when the path is not its own. */
export type HttpRoute = (req: IncomingMessage, res: ServerResponse, path: string) => Promise<boolean>;

export function startTailHttp(
  host: string,
  port: number,
  ctx: KserveContext,
  routes: readonly HttpRoute[] = [],
): Promise<ListeningHttpServer> {
  const all = [createKserveHandler(ctx), ...routes];
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://tail').pathname;
    for (const route of all) if (await route(req, res, path)) return;
    throw new HttpError(404, `no route for ${req.method} ${path}`);
  }
  return listenHttp(host, port, (req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const { http, message } = statusOfError(error);
      sendJson(res, http, { error: message });
    });
  });
}
