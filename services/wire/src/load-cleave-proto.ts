import type { ProtoGrpcType } from '@cleave/proto/generated/split_inference.js';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { PROTO_ROOT, SPLIT_INFERENCE_PROTO_FILE } from './proto-paths.js';

/**
 * The proto-loader options the committed types in proto/generated were generated with
 * (`npm run gen:proto`). Loading with other options would make those types lie.
 */
export const PROTO_LOADER_OPTIONS = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_ROOT],
} as const satisfies protoLoader.Options;

let cachedDefinition: protoLoader.PackageDefinition | undefined;
let cachedProto: ProtoGrpcType | undefined;

/**
 * The proto-loader package definition of cleave.v1. It carries the file descriptors,
 * so it can be passed to `new ReflectionService(def)` from @grpc/reflection.
 * Parsed once per process; the object is shared, do not mutate it.
 */
export function loadCleavePackageDefinition(): protoLoader.PackageDefinition {
  cachedDefinition ??= protoLoader.loadSync(SPLIT_INFERENCE_PROTO_FILE, { ...PROTO_LOADER_OPTIONS });
  return cachedDefinition;
}

/**
 * The typed gRPC object tree for cleave.v1: `loadCleaveProto().cleave.v1.SplitInference`
 * is both the client constructor and, via `.service`, the server definition.
 */
export function loadCleaveProto(): ProtoGrpcType {
  // loadPackageDefinition returns an untyped tree; the generated ProtoGrpcType describes it.
  cachedProto ??= grpc.loadPackageDefinition(loadCleavePackageDefinition()) as unknown as ProtoGrpcType;
  return cachedProto;
}
