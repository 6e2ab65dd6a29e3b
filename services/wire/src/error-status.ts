// The one table from a typed error's code to a gRPC status, and from a gRPC status to an HTTP
// status. Every boundary uses it: the server's InferStream, Infer and KServe HTTP paths and the
// agent's local HTTP API, so the same error gives the same status wherever it surfaces.
//
// The codes belong to the packages that throw them (FrameErrorCode in @cleave/codec,
// PoolErrorCode and InputError in @cleave/models, ServingErrorCode in @cleave/cloud-server); each
// error carries its code as `error.code`. They are listed here as strings because this package is
// below all of them; test/contracts/error-status.test.ts checks that every owner's code is here.
import { status } from '@grpc/grpc-js';
import { HttpError } from './http-endpoint.js';

export const ERROR_CODE_STATUS = {
  // A malformed feature frame (FrameError): the bytes cannot be trusted.
  TRUNCATED: status.INVALID_ARGUMENT,
  BAD_MAGIC: status.INVALID_ARGUMENT,
  UNSUPPORTED_VERSION: status.INVALID_ARGUMENT,
  UNKNOWN_CODEC: status.INVALID_ARGUMENT,
  BAD_FIELD: status.INVALID_ARGUMENT,
  TOO_LARGE: status.INVALID_ARGUMENT,
  CRC_MISMATCH: status.INVALID_ARGUMENT,
  // A valid frame for a head this tail does not pair with (FrameMismatchError).
  HEAD_MISMATCH: status.FAILED_PRECONDITION,
  CODEC_MISMATCH: status.FAILED_PRECONDITION,
  BITS_MISMATCH: status.FAILED_PRECONDITION,
  SHAPE_MISMATCH: status.FAILED_PRECONDITION,
  // An input of the wrong size or kind: a tensor, pixels or an image (InputError, ServingError).
  BAD_INPUT: status.INVALID_ARGUMENT,
  // The session pool's own bound: shed at once, so the agent falls back and the client retries.
  POOL_OVERLOADED: status.RESOURCE_EXHAUSTED,
  // The pool is shutting down: retry elsewhere.
  POOL_CLOSED: status.UNAVAILABLE,
  // The worker died mid-run, ONNX Runtime refused the feed, or no model under that key: ours.
  WORKER_CRASHED: status.INTERNAL,
  INFERENCE_FAILED: status.INTERNAL,
  UNKNOWN_MODEL: status.INTERNAL,
  // The request names a model this server does not hold.
  MODEL_NOT_FOUND: status.NOT_FOUND,
  // Shed rather than queue past a bound.
  QUEUE_FULL: status.RESOURCE_EXHAUSTED,
  STREAM_LIMIT: status.RESOURCE_EXHAUSTED,
  DEADLINE_EXCEEDED: status.DEADLINE_EXCEEDED,
  // A draining server takes no new work; the client retries elsewhere.
  DRAINING: status.UNAVAILABLE,
  // An empty or reused request_id: the stream could not match the answer to its request.
  DUPLICATE_REQUEST_ID: status.INVALID_ARGUMENT,
} as const satisfies Record<string, status>;
export type ErrorCode = keyof typeof ERROR_CODE_STATUS;

/** The HTTP status for a gRPC status, as grpc-gateway maps them; anything else is 500. */
const HTTP_OF_GRPC: Partial<Record<status, number>> = {
  [status.INVALID_ARGUMENT]: 400,
  [status.FAILED_PRECONDITION]: 400,
  [status.NOT_FOUND]: 404,
  [status.UNAUTHENTICATED]: 401,
  [status.PERMISSION_DENIED]: 403,
  [status.RESOURCE_EXHAUSTED]: 429,
  [status.UNAVAILABLE]: 503,
  [status.DEADLINE_EXCEEDED]: 504,
};

export function httpStatusOfGrpc(code: status): number {
  return HTTP_OF_GRPC[code] ?? 500;
}

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERROR_CODE_STATUS, code);
}

export function grpcStatusOfCode(code: ErrorCode): status {
  return ERROR_CODE_STATUS[code];
}

export interface ErrorStatus {
  grpc: status;
  http: number;
  /** Safe to return to the caller: an unexpected error's text is marked internal. */
  message: string;
}

/** Maps anything a request can fail with to its gRPC and HTTP status and a message to return. */
export function statusOfError(error: unknown): ErrorStatus {
  // The HTTP layer's own refusals (413, 415, 405…) have no gRPC counterpart of their own.
  if (error instanceof HttpError) return { grpc: status.UNKNOWN, http: error.status, message: error.message };
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    if (isErrorCode(code)) {
      const grpc = ERROR_CODE_STATUS[code];
      const message = grpc === status.INTERNAL ? `internal error: ${error.message}` : error.message;
      return { grpc, http: httpStatusOfGrpc(grpc), message };
    }
    return { grpc: status.INTERNAL, http: 500, message: `internal error: ${error.message}` };
  }
  return { grpc: status.INTERNAL, http: 500, message: 'internal error' };
}
