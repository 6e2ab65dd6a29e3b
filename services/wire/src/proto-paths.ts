import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The `@cleave/proto` package's folder: the include root for every Cleave .proto file. */
export const PROTO_ROOT: string = dirname(
  createRequire(import.meta.url).resolve('@cleave/proto/package.json'),
);

/** `cleave/v1/split_inference.proto`, relative to {@link PROTO_ROOT}. */
export const SPLIT_INFERENCE_PROTO_FILE = 'cleave/v1/split_inference.proto';

/** Absolute path of the SplitInference service definition. */
export const SPLIT_INFERENCE_PROTO_PATH: string = join(PROTO_ROOT, SPLIT_INFERENCE_PROTO_FILE);

/** Fully qualified gRPC service name, as used by health checks and reflection. */
export const SPLIT_INFERENCE_SERVICE_NAME = 'cleave.v1.SplitInference';

/** `cleave/v1/model_repository.proto`: the tail server's admin API. */
export const MODEL_REPOSITORY_PROTO_FILE = 'cleave/v1/model_repository.proto';

export const MODEL_REPOSITORY_SERVICE_NAME = 'cleave.v1.ModelRepository';
