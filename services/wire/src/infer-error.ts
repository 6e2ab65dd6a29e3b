import type { InferError } from '@cleave/proto/generated/cleave/v1/InferError.js';
import { status } from '@grpc/grpc-js';

/** A gRPC status code name, e.g. 'INVALID_ARGUMENT'. */
export type GrpcStatusName = keyof typeof status;

const namesByCode = new Map<number, GrpcStatusName>(
  (Object.keys(status) as string[])
    .filter((key): key is GrpcStatusName => Number.isNaN(Number(key)))
    .map((name) => [status[name], name]),
);

/**
 * Builds the in-band error of one request on InferStream, with `code` (the status name) and
 * `grpc_code` (its number) kept consistent.
 */
export function createInferError(code: status, message: string): Required<InferError> {
  const name = namesByCode.get(code);
  if (name === undefined) throw new RangeError(`not a gRPC status code: ${code}`);
  return { code: name, grpc_code: code, message };
}
