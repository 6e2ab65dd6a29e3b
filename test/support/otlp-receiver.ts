// A real OTLP trace receiver for tests: OTLP/HTTP (POST /v1/traces, application/x-protobuf,
// optionally gzip) and OTLP/gRPC (opentelemetry.proto.collector.trace.v1.TraceService/Export),
// both on 127.0.0.1 with a free port. Requests are decoded by otlp-trace-decoder.ts.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync, inflateSync } from 'node:zlib';
import {
  Server as GrpcServer,
  type handleUnaryCall,
  ServerCredentials,
  type ServiceDefinition,
} from '@grpc/grpc-js';
import {
  decodeTraceRequest,
  ExportTraceServiceRequest,
  ExportTraceServiceResponse,
  flatten,
  type ReceivedSpan,
} from './otlp-trace-decoder.js';

export type { AttributeValue, ReceivedSpan } from './otlp-trace-decoder.js';
export { decodeTraceRequest };

export interface OtlpReceiver {
  /** Base URL, e.g. http://127.0.0.1:40123 — OTEL_EXPORTER_OTLP_ENDPOINT for http/protobuf. */
  url: string;
  /** The full traces URL, `${url}/v1/traces` — OTEL_EXPORTER_OTLP_TRACES_ENDPOINT for http/protobuf. */
  tracesUrl: string;
  /** `http://127.0.0.1:PORT` of the gRPC listener — OTEL_EXPORTER_OTLP_ENDPOINT for grpc. */
  grpcTarget: string;
  /** Every span received so far, in arrival order. */
  spans(): ReceivedSpan[];
  /** Export requests received so far, by transport. */
  requests(): { http: number; grpc: number };
  /** Resolves with spans() once `predicate(spans())` holds; rejects after timeoutMs, naming what came. */
  waitFor(predicate: (spans: ReceivedSpan[]) => boolean, timeoutMs?: number): Promise<ReceivedSpan[]>;
  close(): Promise<void>;
}

const EXPORT_PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new Error(`body over ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

export async function startOtlpReceiver(options: { maxBodyBytes?: number } = {}): Promise<OtlpReceiver> {
  const maxBodyBytes = options.maxBodyBytes ?? 16 * 1024 * 1024;
  const received: ReceivedSpan[] = [];
  const counts = { http: 0, grpc: 0 };
  const waiters = new Set<() => void>();
  const accept = (spans: ReceivedSpan[], transport: 'http' | 'grpc') => {
    counts[transport] += 1;
    received.push(...spans);
    for (const wake of [...waiters]) wake();
  };
  const okResponse = Buffer.from(ExportTraceServiceResponse.encode({}).finish());

  const http = createServer((req: IncomingMessage, res: ServerResponse) => {
    const reply = (status: number, body: Buffer | string, type = 'text/plain') => {
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    };
    if (req.url !== '/v1/traces') return reply(404, 'only /v1/traces is served');
    if (req.method !== 'POST') return reply(405, 'POST only');
    const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim();
    if (type !== 'application/x-protobuf') return reply(415, 'application/x-protobuf only');
    readBody(req, maxBodyBytes).then(
      (raw) => {
        try {
          const encoding = req.headers['content-encoding'];
          const body =
            encoding === 'gzip' ? gunzipSync(raw) : encoding === 'deflate' ? inflateSync(raw) : raw;
          accept(decodeTraceRequest(body, 'http'), 'http');
          reply(200, okResponse, 'application/x-protobuf');
        } catch (error) {
          reply(400, `undecodable ExportTraceServiceRequest: ${(error as Error).message}`);
        }
      },
      (error: Error) => reply(413, error.message),
    );
  });
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  const httpPort = (http.address() as AddressInfo).port;

  const grpc = new GrpcServer({ 'grpc.max_receive_message_length': maxBodyBytes });
  const definition: ServiceDefinition = {
    Export: {
      path: EXPORT_PATH,
      requestStream: false,
      responseStream: false,
      requestSerialize: (message: object) => Buffer.from(ExportTraceServiceRequest.encode(message).finish()),
      requestDeserialize: (bytes: Buffer) => ExportTraceServiceRequest.decode(bytes),
      responseSerialize: (message: object) =>
        Buffer.from(ExportTraceServiceResponse.encode(message).finish()),
      responseDeserialize: (bytes: Buffer) => ExportTraceServiceResponse.decode(bytes),
    },
  };
  const exportHandler: handleUnaryCall<object, object> = (call, callback) => {
    accept(flatten(call.request, 'grpc'), 'grpc');
    callback(null, {});
  };
  grpc.addService(definition, { Export: exportHandler });
  const grpcPort = await new Promise<number>((resolve, reject) =>
    grpc.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, port) =>
      error ? reject(error) : resolve(port),
    ),
  );

  const url = `http://127.0.0.1:${httpPort}`;
  return {
    url,
    tracesUrl: `${url}/v1/traces`,
    grpcTarget: `http://127.0.0.1:${grpcPort}`,
    spans: () => [...received],
    requests: () => ({ ...counts }),
    waitFor(predicate, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!predicate(received)) return false;
          cleanup();
          resolve([...received]);
          return true;
        };
        const timer = setTimeout(() => {
          cleanup();
          const names = received.map((s) => `${s.serviceName}:${s.name}`).join(', ') || 'none';
          reject(
            new Error(`OTLP receiver: condition not met within ${timeoutMs} ms; spans received: ${names}`),
          );
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(wake);
        };
        const wake = () => {
          check();
        };
        waiters.add(wake);
        check();
      });
    },
    async close() {
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => grpc.forceShutdown(), 2000);
        grpc.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
    },
  };
}
