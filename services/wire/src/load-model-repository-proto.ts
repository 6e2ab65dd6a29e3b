import type { ProtoGrpcType } from '@cleave/proto/generated/model_repository.js';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { PROTO_LOADER_OPTIONS } from './load-cleave-proto.js';
import { MODEL_REPOSITORY_PROTO_FILE } from './proto-paths.js';

let cachedDefinition: protoLoader.PackageDefinition | undefined;
let cachedProto: ProtoGrpcType | undefined;

/** Package definition of the admin API (for reflection). Parsed once per process. */
export function loadModelRepositoryPackageDefinition(): protoLoader.PackageDefinition {
  cachedDefinition ??= protoLoader.loadSync(MODEL_REPOSITORY_PROTO_FILE, { ...PROTO_LOADER_OPTIONS });
  return cachedDefinition;
}

/** `loadModelRepositoryProto().cleave.v1.ModelRepository`: client constructor and `.service`. */
export function loadModelRepositoryProto(): ProtoGrpcType {
  cachedProto ??= grpc.loadPackageDefinition(
    loadModelRepositoryPackageDefinition(),
  ) as unknown as ProtoGrpcType;
  return cachedProto;
}
