// The agent's local HTTP API for apps on the device.
//   POST /v1/infer[?mode=cascade|edge-only|cloud-only][&scores=1]   body: image/png | image/jpeg | image/webp (decoded with sharp),
//                          application/json {"pixels": [...]} or {"tensor": [...]},
//                          application/octet-stream (float32 little-endian tensor)
//                          scores=1: class scores of a cloud answer too (its logits then travel)
//   GET  /healthz          status, model, cloud, counts, and each stream source's state
//   GET  /v1/events        stream events as Server-Sent Events (when the agent has sources)
//   GET  /metrics          Prometheus text, when the entry point passes its handler
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AgentInput } from '@cleave/models';
import { INFERENCE_MODES, type InferenceMode } from '@cleave/models';
import { HttpError, listenHttp, readBody, sendJson as send, statusOfError } from '@cleave/wire';
import type { Agent } from './agent.js';
import { serveEvents } from './sse-events.js';
import type { StreamHub } from './stream-hub.js';

export interface HttpApiOptions {
  host: string;
  port: number;
  /** Larger bodies get 413 before they are read in full. */
  maxBodyBytes: number;
  /** Serves GET /metrics (the entry point's Prometheus handler); 404 when absent. */
  metrics?: (req: IncomingMessage, res: ServerResponse) => void;
  /** Camera and video sources: their state in /healthz, their events at GET /v1/events. */
  streams?: StreamHub;
}

export interface HttpApi {
  readonly port: number;
  readonly server: Server;
  close(): Promise<void>;
}

function parseInput(contentType: string, body: Buffer): AgentInput {
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  if (type.startsWith('image/')) return { kind: 'image', data: body };
  if (type === 'application/octet-stream') {
    if (body.byteLength % 4 !== 0) throw new HttpError(400, 'a raw tensor body must be float32 values');
    const copy = new Float32Array(body.byteLength / 4);
    new Uint8Array(copy.buffer).set(body);
    return { kind: 'tensor', data: copy };
  }
  if (type === 'application/json') {
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch {
      throw new HttpError(400, 'body is not valid JSON');
    }
    const obj = json as { pixels?: unknown; tensor?: unknown };
    const isNumbers = (v: unknown): v is number[] =>
      Array.isArray(v) && v.every((x) => typeof x === 'number');
    if (isNumbers(obj.pixels)) {
      if (obj.pixels.some((v) => !Number.isInteger(v) || v < 0 || v > 255)) {
        throw new HttpError(400, 'pixels must be integers 0..255');
      }
      return { kind: 'pixels', data: Uint8Array.from(obj.pixels) };
    }
    if (isNumbers(obj.tensor)) return { kind: 'tensor', data: Float32Array.from(obj.tensor) };
    throw new HttpError(400, 'JSON body needs "pixels" (0..255) or "tensor" (floats)');
  }
  throw new HttpError(415, `unsupported content type "${type}"; send an image, JSON or a float32 tensor`);
}

export async function startHttpApi(agent: Agent, options: HttpApiOptions): Promise<HttpApi> {
  const listening = await listenHttp(options.host, options.port, (req, res) => {
    void handle(req, res).catch((error: unknown) => {
      // The same table as the server's: a full session pool is 429 here as there.
      const { http, message } = statusOfError(error);
      send(res, http, { error: message });
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://agent');
    const path = url.pathname;
    if (path === '/healthz' && req.method === 'GET') {
      const m = agent.bundle.manifest;
      send(res, 200, {
        status: 'ok',
        model: { name: m.name, version: m.version },
        cloud: { target: agent.options.cloud.target, connected: agent.cloudConnected() },
        stats: agent.stats(),
        ...(options.streams ? { streams: options.streams.stats() } : {}),
      });
      return;
    }
    if (path === '/v1/events') {
      if (req.method !== 'GET') throw new HttpError(405, 'use GET');
      if (!options.streams) throw new HttpError(404, 'this agent has no stream sources (--source)');
      serveEvents(options.streams, req, res, url);
      return;
    }
    if (path === '/metrics' && options.metrics && (req.method === 'GET' || req.method === 'HEAD')) {
      options.metrics(req, res);
      return;
    }
    if (path === '/v1/infer') {
      if (req.method !== 'POST') throw new HttpError(405, 'use POST');
      const body = await readBody(req, options.maxBodyBytes);
      if (body.byteLength === 0) throw new HttpError(400, 'empty body');
      const mode = url.searchParams.get('mode') ?? undefined;
      if (mode !== undefined && !(INFERENCE_MODES as readonly string[]).includes(mode)) {
        throw new HttpError(400, `mode must be one of ${INFERENCE_MODES.join(', ')}`);
      }
      const input = parseInput(req.headers['content-type'] ?? '', body);
      const scores = url.searchParams.get('scores') === '1';
      const answer = await agent.infer(input, {
        ...(mode ? { mode: mode as InferenceMode } : {}),
        ...(scores ? { scores } : {}),
      });
      send(res, 200, answer);
      return;
    }
    throw new HttpError(404, `no route for ${req.method} ${path}`);
  }

  return listening;
}
