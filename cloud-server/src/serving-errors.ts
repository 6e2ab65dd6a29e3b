// Typed failures of one request, and the one place they become gRPC status codes.
import { status } from '@grpc/grpc-js';

export const ServingErrorCode = {
  MODEL_NOT_FOUND: 'MODEL_NOT_FOUND',
  QUEUE_FULL: 'QUEUE_FULL',
  DEADLINE_EXCEEDED: 'DEADLINE_EXCEEDED',
  DRAINING: 'DRAINING',
  STREAM_LIMIT: 'STREAM_LIMIT',
  DUPLICATE_REQUEST_ID: 'DUPLICATE_REQUEST_ID',
  BAD_INPUT: 'BAD_INPUT',
} as const;
export type ServingErrorCode = (typeof ServingErrorCode)[keyof typeof ServingErrorCode];

export class ServingError extends Error {
  override name = 'ServingError';
  readonly code: ServingErrorCode;
  constructor(code: ServingErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

const servingStatus: Record<ServingErrorCode, status> = {
  // The frame names a model this server does not hold.
  MODEL_NOT_FOUND: status.NOT_FOUND,
  // Shed at once rather than queue past the bound: the agent falls back locally.
  QUEUE_FULL: status.RESOURCE_EXHAUSTED,
  STREAM_LIMIT: status.RESOURCE_EXHAUSTED,
  DEADLINE_EXCEEDED: status.DEADLINE_EXCEEDED,
  // A draining server takes no new work; the client retries elsewhere.
  DRAINING: status.UNAVAILABLE,
  // An empty or reused request_id: the stream could not match the answer to its request.
  DUPLICATE_REQUEST_ID: status.INVALID_ARGUMENT,
  // An input tensor of the wrong size for a full model.
  BAD_INPUT: status.INVALID_ARGUMENT,
};

export function statusOfServingCode(code: ServingErrorCode): status {
  return servingStatus[code];
}

/** Maps anything a request can fail with to a gRPC status code and a message safe to return. */
export function toGrpcStatus(error: unknown): { code: status; message: string } {
  if (error instanceof ServingError) return { code: servingStatus[error.code], message: error.message };
  if (error instanceof Error) {
    switch (error.name) {
      // Malformed frames: the client sent bytes that are not a valid frame.
      case 'FrameError':
        return { code: status.INVALID_ARGUMENT, message: error.message };
      // A valid frame for a head this tail does not pair with.
      case 'FrameMismatchError':
        return { code: status.FAILED_PRECONDITION, message: error.message };
      // The worker pool's own bound.
      case 'PoolOverloadedError':
        return { code: status.RESOURCE_EXHAUSTED, message: error.message };
      case 'PoolClosedError':
        return { code: status.UNAVAILABLE, message: error.message };
      default:
        return { code: status.INTERNAL, message: `internal error: ${error.message}` };
    }
  }
  return { code: status.INTERNAL, message: 'internal error' };
}

export function statusName(code: status): string {
  return status[code] ?? 'UNKNOWN';
}

const httpStatus: Partial<Record<status, number>> = {
  [status.INVALID_ARGUMENT]: 400,
  [status.FAILED_PRECONDITION]: 400,
  [status.NOT_FOUND]: 404,
  [status.UNAUTHENTICATED]: 401,
  [status.PERMISSION_DENIED]: 403,
  [status.RESOURCE_EXHAUSTED]: 429,
  [status.UNAVAILABLE]: 503,
  [status.DEADLINE_EXCEEDED]: 504,
};

/** The HTTP status of the KServe endpoints for a gRPC status (as grpc-gateway maps them). */
export function httpStatusOf(code: status): number {
  return httpStatus[code] ?? 500;
}
