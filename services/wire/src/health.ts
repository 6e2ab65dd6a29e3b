// The standard grpc.health.v1.Health service, from the official grpc-node package.
// grpc-health-check 2.x types its server parameter structurally, so it works with grpc-js 1.14.

import { join } from 'node:path';
import * as protoLoader from '@grpc/proto-loader';
import type { ServingStatus, ServingStatusMap } from 'grpc-health-check';
import {
  HealthImplementation,
  protoPath as healthProtoPath,
  service as healthService,
} from 'grpc-health-check';

export type { ServingStatus, ServingStatusMap };
export { HealthImplementation, healthProtoPath, healthService };

/** Fully qualified name of the health service. */
export const HEALTH_SERVICE_NAME = 'grpc.health.v1.Health';

let cachedDefinition: protoLoader.PackageDefinition | undefined;

/**
 * Package definition of grpc.health.v1, for @grpc/reflection. Merge it with the Cleave one:
 * `new ReflectionService({ ...loadCleavePackageDefinition(), ...loadHealthPackageDefinition() })`.
 */
export function loadHealthPackageDefinition(): protoLoader.PackageDefinition {
  // grpc-health-check's protoPath is <pkg>/proto/health/v1/health.proto; load it relative to
  // <pkg>/proto so the descriptor's file name is the canonical "health/v1/health.proto".
  const includeDir = join(healthProtoPath, '..', '..', '..');
  cachedDefinition ??= protoLoader.loadSync('health/v1/health.proto', {
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
    includeDirs: [includeDir],
  });
  return cachedDefinition;
}
