// The SplitInference RPCs that describe what is served and whether it is ready:
// GetModelMetadata, ListModels, ServerReady and ModelReady (KServe v2 style).
import type { ModelMetadataResponse, SplitInferenceHandlers } from '@cleave/wire';
import { status } from '@grpc/grpc-js';
import type { ModelRegistry, ServedModel } from './model-registry.js';

function metadataOf(model: ServedModel, versions: string[]): ModelMetadataResponse {
  const tail = model.bundle.files.tail.spec;
  const spec = (t: { name: string; dtype: string; shape: number[] }) => ({
    name: t.name,
    datatype: t.dtype,
    shape: t.shape.map(String),
  });
  return {
    name: model.name,
    versions,
    labels: [...model.labels],
    bottleneck: { shape: [...model.codec.shape], bits: model.codec.bits },
    head_sha256: model.codec.headSha256,
    platform: 'onnxruntime',
    inputs: tail.inputs.map(spec),
    outputs: tail.outputs.map(spec),
  };
}

type DiscoveryHandlers = Pick<
  SplitInferenceHandlers,
  'GetModelMetadata' | 'ListModels' | 'ServerReady' | 'ModelReady'
>;

export function createDiscoveryHandlers(registry: ModelRegistry, draining: () => boolean): DiscoveryHandlers {
  const versionsOf = (name: string) => registry.models.filter((m) => m.name === name).map((m) => m.version);
  return {
    GetModelMetadata(call, callback) {
      const { name, version } = call.request;
      const model = registry.find(name, version || undefined);
      if (!model) {
        callback({
          code: status.NOT_FOUND,
          details: `model ${name}${version ? `@${version}` : ''} is not served here`,
        });
        return;
      }
      callback(null, metadataOf(model, versionsOf(name)));
    },

    ListModels(_call, callback) {
      const names = [...new Set(registry.models.map((m) => m.name))];
      callback(null, {
        models: names.map((name) => ({ name, versions: versionsOf(name), ready: !draining() })),
      });
    },

    ServerReady(_call, callback) {
      callback(null, { ready: !draining() && registry.models.length > 0 });
    },

    ModelReady(call, callback) {
      const { name, version } = call.request;
      callback(null, { ready: !draining() && registry.find(name, version || undefined) !== undefined });
    },
  };
}
