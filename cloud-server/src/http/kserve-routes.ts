// KServe v2 / Open Inference Protocol endpoints of the tail server, so Triton and KServe clients
// and plain curl can reach it (docs/serving.md, "Where Cleave departs from the protocol"):
//   GET  /v2/health/live | /v2/health/ready
//   GET  /v2                                         server metadata
//   GET  /v2/models/{name}[/versions/{v}]            model metadata
//   GET  /v2/models/{name}[/versions/{v}]/ready
//   POST /v2/models/{name}[/versions/{v}]/infer      feature frames in, logits out
// With serveFull, `{name}:full` is the bundle's full model: an FP32 input tensor in, logits out.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError, type InferResult, readBody, sendJson, statusOfError } from '@cleave/wire';
import { findFullModel, fullModelBase, inferInput } from '../full-inference.js';
import type { ModelRegistry, ServedModel } from '../model-registry.js';
import { recordFailure, recordResult } from '../server-metrics.js';
import { inferFrame } from '../tail-inference.js';
import { framesOf, readRequest, samplesOf } from './kserve-codec.js';

export interface KserveContext {
  registry: ModelRegistry;
  live: () => boolean;
  ready: () => boolean;
  /** Counts requests in flight, so a drain waits for them as it does for gRPC ones. */
  inFlight: { count: number };
  maxBodyBytes: number;
  serverVersion: string;
  /** With auth on: the identity behind an Authorization header, or undefined (401). */
  identify?: (authorization: unknown) => string | undefined;
}

const MODEL_PATH = /^\/v2\/models\/([^/]+)(?:\/versions\/([^/]+))?(\/ready|\/infer)?$/;

function metadataOf(model: ServedModel, versions: string[], full: boolean) {
  const tail = model.bundle.files.tail.spec;
  const { input } = model.bundle.manifest;
  return {
    name: full ? `${model.name}:full` : model.name,
    versions,
    platform: 'onnxruntime_onnx',
    inputs: full
      ? [{ name: model.full!.inputName, datatype: 'FP32', shape: [-1, ...input.shape] }]
      : [{ name: 'frame', datatype: 'BYTES', shape: [-1] }],
    outputs: [
      { name: 'logits', datatype: 'FP32', shape: [-1, model.labels.length] },
      { name: 'label', datatype: 'INT32', shape: [-1] },
    ],
    parameters: full
      ? { labels: model.labels, normalization: input.normalization, source: input.source }
      : {
          labels: model.labels,
          bottleneck_shape: model.codec.shape,
          bottleneck_bits: model.codec.bits,
          head_sha256: model.codec.headSha256,
          tail_input: tail.inputs[0]?.name,
        },
  };
}

export function createKserveHandler(ctx: KserveContext) {
  const versionsOf = (name: string, full: boolean) =>
    ctx.registry.models.filter((m) => m.name === name && (!full || m.full)).map((m) => m.version);
  /** The served version a path names: a tail, or with `:full` a bundle's full model. */
  const modelAt = (name: string, version?: string) => {
    const base = fullModelBase(name);
    return base === undefined
      ? { model: ctx.registry.find(name, version), base: name, full: false }
      : { model: findFullModel(ctx.registry, base, version), base, full: true };
  };

  async function infer(req: IncomingMessage, res: ServerResponse, name: string, version?: string) {
    if (ctx.identify && ctx.identify(req.headers.authorization) === undefined) {
      throw new HttpError(401, 'a valid "Authorization: Bearer <token>" is required');
    }
    if (!ctx.ready()) throw new HttpError(503, 'server is not ready');
    const body = await readBody(req, ctx.maxBodyBytes);
    const header = req.headers['inference-header-content-length'];
    const { request, binary } = readRequest(body, Array.isArray(header) ? header[0] : header);
    const timeout = request.parameters?.timeout_ms;
    const deadline =
      typeof timeout === 'number' && timeout > 0 ? performance.now() + timeout : Number.POSITIVE_INFINITY;
    // Each frame or sample goes to the batcher alone, so it batches with all other traffic.
    let runs: (() => Promise<InferResult>)[];
    const base = fullModelBase(name);
    if (base === undefined) {
      const declared = version ? { name, version } : { name };
      runs = framesOf(request, binary).map((f) => () => inferFrame(ctx.registry, f, deadline, declared));
    } else {
      const model = findFullModel(ctx.registry, base, version);
      if (!model) throw new HttpError(404, `model ${name}${version ? `@${version}` : ''} is not served here`);
      runs = samplesOf(request, binary, model.full).map((x) => () => inferInput(model, x, deadline));
    }
    ctx.inFlight.count += runs.length;
    let results: InferResult[];
    try {
      results = await Promise.all(runs.map((run) => run()));
      for (const r of results) recordResult(r);
    } catch (error) {
      const { grpc, http, message } = statusOfError(error);
      recordFailure(grpc);
      throw new HttpError(http, message);
    } finally {
      ctx.inFlight.count -= runs.length;
    }
    const classes = results[0]!.logits?.length ?? 0;
    const served = [...new Set(results.map((r) => r.model_version!))];
    sendJson(res, 200, {
      model_name: name,
      model_version: served[0],
      ...(request.id !== undefined ? { id: request.id } : {}),
      ...(served.length > 1 ? { parameters: { versions: served.join(',') } } : {}),
      outputs: [
        {
          name: 'logits',
          datatype: 'FP32',
          shape: [results.length, classes],
          data: results.flatMap((r) => r.logits),
        },
        { name: 'label', datatype: 'INT32', shape: [results.length], data: results.map((r) => r.label) },
      ],
    });
  }

  /** Handles /v2 paths; returns false for any other path so the caller can route it. */
  return async function handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> {
    const get = req.method === 'GET' || req.method === 'HEAD';
    if (path === '/v2/health/live' && get) {
      sendJson(res, ctx.live() ? 200 : 503, { live: ctx.live() });
      return true;
    }
    if (path === '/v2/health/ready' && get) {
      sendJson(res, ctx.ready() ? 200 : 503, { ready: ctx.ready() });
      return true;
    }
    if (path === '/v2' && get) {
      sendJson(res, 200, { name: 'cleave', version: ctx.serverVersion, extensions: ['binary_tensor_data'] });
      return true;
    }
    const match = MODEL_PATH.exec(path);
    if (!match) return false;
    const name = decodeURIComponent(match[1]!);
    const version = match[2] ? decodeURIComponent(match[2]) : undefined;
    const action = match[3];
    if (action === '/infer') {
      if (req.method !== 'POST') throw new HttpError(405, 'use POST');
      await infer(req, res, name, version);
      return true;
    }
    if (!get) throw new HttpError(405, 'use GET');
    const { model, base, full } = modelAt(name, version);
    if (action === '/ready') {
      const ready = model !== undefined && ctx.ready();
      sendJson(res, ready ? 200 : model ? 503 : 404, { name, ready });
      return true;
    }
    if (!model) throw new HttpError(404, `model ${name}${version ? `@${version}` : ''} is not served here`);
    sendJson(res, 200, metadataOf(model, versionsOf(base, full), full));
    return true;
  };
}
