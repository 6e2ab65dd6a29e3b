// One table (@cleave/wire's ERROR_CODE_STATUS) decides the status of every typed error. For each
// code its owner defines, the error is thrown inside the real boundaries and the status read off
// the wire: the server's InferStream (in-band gRPC code), the server's HTTP side and the agent's
// local HTTP API. Only what throws is stood in (a registry, an agent), never the boundary itself.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  createBottleneckCodec,
  FrameError,
  FrameErrorCode,
  FrameMismatchCode,
  FrameMismatchError,
} from '@cleave/codec';
import type { Agent } from '@cleave/edge-agent';
import { startHttpApi } from '@cleave/edge-agent';
import { InputError, PoolError, PoolErrorCode } from '@cleave/models';
import {
  ERROR_CODE_STATUS,
  type ErrorCode,
  httpStatusOfGrpc,
  type InferRequest__Output,
  type InferResponse,
  type ListeningHttpServer,
  loadCleaveProto,
} from '@cleave/wire';
import { Server, ServerCredentials, type ServerDuplexStream, status } from '@grpc/grpc-js';
import { startTailHttp } from '../../cloud-server/src/http/http-server.js';
import type { ModelRegistry } from '../../cloud-server/src/model-registry.js';
import { ServingError, ServingErrorCode } from '../../cloud-server/src/serving-errors.js';
import { createSplitInferenceHandlers } from '../../cloud-server/src/split-inference-service.js';
import { openRawStream } from '../support/raw-stream.js';

/** Every code each owner defines, with an error of its own class carrying it. */
const owned: Array<[string, () => Error]> = [
  ...Object.values(FrameErrorCode).map(
    (c) => [c, () => new FrameError(c, 'frame', 'refused')] as [string, () => Error],
  ),
  ...Object.values(FrameMismatchCode).map(
    (c) => [c, () => new FrameMismatchError(c, 'a', 'b')] as [string, () => Error],
  ),
  ...Object.values(PoolErrorCode).map((c) => [c, () => new PoolError(c, 'refused')] as [string, () => Error]),
  ...Object.values(ServingErrorCode).map(
    (c) => [c, () => new ServingError(c, 'refused')] as [string, () => Error],
  ),
  [new InputError('x').code, () => new InputError('refused')],
];
const table = Object.entries(ERROR_CODE_STATUS) as Array<[ErrorCode, status]>;

describe('error status - one table at the agent and the server', { timeout: 60_000 }, () => {
  let thrown: Error = new Error('unset');
  let grpcServer: Server;
  let grpcPort: number;
  let serverHttp: ListeningHttpServer;
  let agentHttp: ListeningHttpServer;
  let frame: Uint8Array;

  before(async () => {
    // A well-formed frame: the boundary decodes it before the registry is asked.
    frame = createBottleneckCodec({
      modelName: 'm',
      modelVersion: '1.0.0',
      headSha256: 'ab'.repeat(32),
      bits: 2,
      shape: [2, 2],
      min: [0],
      max: [1],
    }).encode(new Float32Array(4));
    // The server's real handlers over a registry that throws the error under test.
    const registry = {
      models: [],
      // The frame (version 3) finds its shape by head fingerprint, then the registry throws.
      shapeForHead: () => [2, 2],
      forFrame: () => {
        throw thrown;
      },
      find: () => undefined,
    } as unknown as ModelRegistry;
    grpcServer = new Server();
    grpcServer.addService(
      loadCleaveProto().cleave.v1.SplitInference.service,
      createSplitInferenceHandlers({
        registry,
        maxInFlightPerStream: 16,
        draining: () => false,
        streams: new Set<ServerDuplexStream<InferRequest__Output, InferResponse>>(),
        inFlight: { count: 0 },
      }),
    );
    grpcPort = await new Promise<number>((resolve, reject) =>
      grpcServer.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) =>
        e ? reject(e) : resolve(p),
      ),
    );
    const throwing = async () => {
      throw thrown;
    };
    const ctx = {
      registry,
      live: () => true,
      ready: () => true,
      inFlight: { count: 0 },
      maxBodyBytes: 1024,
      serverVersion: 'test',
    };
    serverHttp = await startTailHttp('127.0.0.1', 0, ctx, [throwing]);
    // The agent's real HTTP API over an agent whose inference throws the error under test.
    const agent = { infer: throwing } as unknown as Agent;
    agentHttp = await startHttpApi(agent, { host: '127.0.0.1', port: 0, maxBodyBytes: 1024 });
  });
  after(async () => {
    grpcServer?.forceShutdown();
    await serverHttp?.close();
    await agentHttp?.close();
  });

  it('every code an error can carry has a row', () => {
    for (const [code] of owned) assert.ok(Object.hasOwn(ERROR_CODE_STATUS, code), `${code} has no row`);
    assert.deepEqual(new Set(owned.map(([c]) => c)), new Set(table.map(([c]) => c)));
  });

  for (const [code, make] of owned) {
    it(`${code} - the same status in-band, at the server's HTTP and at the agent's HTTP`, async () => {
      const grpc = ERROR_CODE_STATUS[code as ErrorCode];
      const http = httpStatusOfGrpc(grpc);
      thrown = make();
      const stream = openRawStream(grpcPort);
      try {
        const res = await stream.exchange([{ request_id: '1', frame }], 10_000);
        assert.equal(res.get('1')?.error?.grpc_code, grpc, `in-band: ${res.get('1')?.error?.message}`);
      } finally {
        stream.close();
      }
      const atServer = await fetch(`http://127.0.0.1:${serverHttp.port}/anything`);
      assert.equal(atServer.status, http, 'server HTTP');
      const atAgent = await fetch(`http://127.0.0.1:${agentHttp.port}/v1/infer`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ pixels: [0] }),
      });
      assert.equal(atAgent.status, http, 'agent HTTP');
      // An unexpected error's text is marked internal in both places.
      const body = (await atAgent.json()) as { error: string };
      assert.equal(body.error.startsWith('internal error:'), grpc === status.INTERNAL);
    });
  }
});
