import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import {
  createInferError,
  HealthImplementation,
  healthService,
  loadCleavePackageDefinition,
  loadCleaveProto,
  loadHealthPackageDefinition,
  SPLIT_INFERENCE_PROTO_PATH,
  SPLIT_INFERENCE_SERVICE_NAME,
} from './index.js';

const opts = { timeout: 10_000 };

describe('wire', () => {
  it('proto paths - point at the committed proto file', opts, () => {
    assert.ok(existsSync(SPLIT_INFERENCE_PROTO_PATH), SPLIT_INFERENCE_PROTO_PATH);
  });

  it('loadCleaveProto - SplitInference has the six methods with the right streaming flags', opts, () => {
    const service = loadCleaveProto().cleave.v1.SplitInference.service;
    const expected: Record<string, [requestStream: boolean, responseStream: boolean]> = {
      Infer: [false, false],
      InferStream: [true, true],
      GetModelMetadata: [false, false],
      ListModels: [false, false],
      ServerReady: [false, false],
      ModelReady: [false, false],
    };
    assert.deepEqual(Object.keys(service).sort(), Object.keys(expected).sort());
    for (const [name, [requestStream, responseStream]] of Object.entries(expected)) {
      const method = service[name as keyof typeof service];
      assert.ok(method, name);
      assert.equal(method.path, `/${SPLIT_INFERENCE_SERVICE_NAME}/${name}`);
      assert.equal(method.requestStream, requestStream, `${name}.requestStream`);
      assert.equal(method.responseStream, responseStream, `${name}.responseStream`);
    }
  });

  it('loadCleaveProto - InferResponse round-trips its oneof and uint64 timing as strings', opts, () => {
    const { InferStream } = loadCleaveProto().cleave.v1.SplitInference.service;
    const bytes = InferStream.responseSerialize({
      request_id: 'r1',
      result: { label: 3, logits: [0.5, 1.5], timing: { queue_us: '12', compute_us: 34, total_us: '99' } },
    });
    const back = InferStream.responseDeserialize(bytes);
    assert.equal(back.request_id, 'r1');
    assert.equal(back.outcome, 'result');
    assert.equal(back.result?.label, 3);
    assert.deepEqual(back.result?.logits, [0.5, 1.5]);
    assert.deepEqual(back.result?.timing, { queue_us: '12', compute_us: '34', total_us: '99' });
    assert.equal(back.error, undefined);

    const req = InferStream.requestDeserialize(
      InferStream.requestSerialize({ request_id: 'r2', frame: Buffer.from([1, 2, 3]), timeout_ms: 50 }),
    );
    assert.deepEqual([...req.frame], [1, 2, 3]);
    assert.deepEqual(req.parameters, {});
  });

  it('loadCleavePackageDefinition - is cached and feeds @grpc/reflection', opts, () => {
    const def = loadCleavePackageDefinition();
    assert.equal(loadCleavePackageDefinition(), def);
    const reflection = new ReflectionService({ ...def, ...loadHealthPackageDefinition() });
    const server = new grpc.Server();
    reflection.addToServer(server);
    server.addService(loadCleaveProto().cleave.v1.SplitInference.service, {});
    new HealthImplementation({ '': 'SERVING' }).addToServer(server);
    server.forceShutdown();
  });

  it('health - grpc-health-check exposes the standard service', opts, () => {
    assert.deepEqual(Object.keys(healthService).sort(), ['Check', 'List', 'Watch']);
    assert.equal(healthService.Watch?.responseStream, true);
    assert.equal(healthService.Check?.path, '/grpc.health.v1.Health/Check');
  });

  it('createInferError - keeps code name and number consistent', opts, () => {
    assert.deepEqual(createInferError(grpc.status.INVALID_ARGUMENT, 'bad frame'), {
      code: 'INVALID_ARGUMENT',
      grpc_code: 3,
      message: 'bad frame',
    });
    assert.equal(createInferError(grpc.status.FAILED_PRECONDITION, '').code, 'FAILED_PRECONDITION');
    assert.throws(() => createInferError(999 as grpc.status, 'x'), RangeError);
  });
});
