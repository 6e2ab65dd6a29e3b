// Typed failures of one request at the server. Their codes, like every other error's, map to gRPC
// and HTTP statuses through @cleave/wire's one table (ERROR_CODE_STATUS).
import type { ErrorCode } from '@cleave/wire';

export const ServingErrorCode = {
  MODEL_NOT_FOUND: 'MODEL_NOT_FOUND',
  QUEUE_FULL: 'QUEUE_FULL',
  DEADLINE_EXCEEDED: 'DEADLINE_EXCEEDED',
  DRAINING: 'DRAINING',
  STREAM_LIMIT: 'STREAM_LIMIT',
  DUPLICATE_REQUEST_ID: 'DUPLICATE_REQUEST_ID',
  BAD_INPUT: 'BAD_INPUT',
} as const satisfies Record<string, ErrorCode>;
export type ServingErrorCode = (typeof ServingErrorCode)[keyof typeof ServingErrorCode];

export class ServingError extends Error {
  override name = 'ServingError';
  readonly code: ServingErrorCode;
  constructor(code: ServingErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}
