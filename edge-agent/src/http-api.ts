// The agent's local HTTP API for apps on the device.
//   POST /v1/infer[?mode=cascade|edge-only|cloud-only]   body: image/png | image/jpeg | image/webp (decoded with sharp),
//                          application/json {"pixels": [...]} or {"tensor": [...]},
//                          application/octet-stream (float32 little-endian tensor)
//   GET  /healthz
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Agent } from './agent.js';
import { type AgentInput, InputError } from './agent-input.js';
import { INFERENCE_MODES, type InferenceMode } from './answer.js';

export interface HttpApiOptions {
  host: string;
  port: number;
  /** Larger bodies get 413 before they are read in full. */
  maxBodyBytes: number;
}

export interface HttpApi {
  readonly port: number;
  readonly server: Server;
  close(): Promise<void>;
}

class HttpError extends Error {
  override name = 'HttpError';
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) return Promise.reject(new HttpError(413, `body larger than ${limit} bytes`));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new HttpError(413, `body larger than ${limit} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
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

function send(res: ServerResponse, statusCode: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(statusCode, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

export async function startHttpApi(agent: Agent, options: HttpApiOptions): Promise<HttpApi> {
  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      if (error instanceof HttpError) send(res, error.status, { error: error.message });
      else if (error instanceof InputError) send(res, 400, { error: error.message });
      else send(res, 500, { error: `internal error: ${(error as Error).message}` });
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
      });
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
      const answer = await agent.infer(input, mode ? { mode: mode as InferenceMode } : {});
      send(res, 200, answer);
      return;
    }
    throw new HttpError(404, `no route for ${req.method} ${path}`);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
