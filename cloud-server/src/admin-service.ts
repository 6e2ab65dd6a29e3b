// gRPC handlers of cleave.v1.ModelRepository, the admin API: repository index, load, unload.
// Every call needs `authorization: Bearer <admin.token>`; the token is compared in constant time
// and is separate from any client credential. Without a configured token every call is refused.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { ModelRepositoryHandlers, RepositoryIndexResponse } from '@cleave/wire';
import { type Metadata, type ServiceError, status } from '@grpc/grpc-js';
import type { ModelRegistry } from './model-registry.js';

export interface AdminOptions {
  registry: ModelRegistry;
  token: string | undefined;
  /** Load and Unload are allowed in the explicit mode only; a poll would undo them. */
  modelControl: 'none' | 'poll' | 'explicit';
}

const fail = (code: status, details: string): Partial<ServiceError> => ({ code, details });

function checkToken(metadata: Metadata, token: string | undefined): Partial<ServiceError> | undefined {
  if (token === undefined) {
    return fail(status.PERMISSION_DENIED, 'the admin API is disabled: set admin.token (CLEAVE_ADMIN_TOKEN)');
  }
  const header = metadata.get('authorization')[0];
  const given = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7) : '';
  // Compared as digests: equal lengths, so neither the content nor the length leaks by timing.
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(token).digest();
  if (!timingSafeEqual(a, b)) {
    return fail(status.UNAUTHENTICATED, 'admin calls need "authorization: Bearer <admin token>"');
  }
  return undefined;
}

export function createAdminHandlers(options: AdminOptions): ModelRepositoryHandlers {
  const { registry } = options;
  const index = async (readyOnly = false): Promise<RepositoryIndexResponse> => {
    const models = await registry.index();
    return { models: readyOnly ? models.filter((m) => m.state === 'READY') : models };
  };
  const mutable = () =>
    options.modelControl === 'explicit'
      ? undefined
      : fail(
          status.FAILED_PRECONDITION,
          `model control mode is "${options.modelControl}": Load and Unload need modelControl.mode "explicit"`,
        );

  return {
    Index(call, callback) {
      const denied = checkToken(call.metadata, options.token);
      if (denied) return callback(denied);
      index(call.request.ready_only).then(
        (res) => callback(null, res),
        (error: Error) => callback(fail(status.INTERNAL, error.message)),
      );
    },
    Load(call, callback) {
      const denied = checkToken(call.metadata, options.token) ?? mutable();
      if (denied) return callback(denied);
      const { name } = call.request;
      if (!name) return callback(fail(status.INVALID_ARGUMENT, 'name is required'));
      registry
        .reconcile([name])
        .then(async () => {
          const res = await index();
          const mine = (res.models ?? []).filter((m) => m.name === name);
          if (!mine.some((m) => m.state === 'READY')) {
            const why = mine.map((m) => `${m.path}: ${m.reason}`).join('; ') || 'no bundle of that name';
            callback(fail(status.FAILED_PRECONDITION, `${name} did not load: ${why}`));
          } else callback(null, { models: mine });
        })
        .catch((error: Error) => callback(fail(status.INTERNAL, error.message)));
    },
    Unload(call, callback) {
      const denied = checkToken(call.metadata, options.token) ?? mutable();
      if (denied) return callback(denied);
      const { name, version } = call.request;
      if (!name) return callback(fail(status.INVALID_ARGUMENT, 'name is required'));
      if (!registry.find(name, version || undefined)) {
        return callback(fail(status.NOT_FOUND, `${name}${version ? `@${version}` : ''} is not loaded`));
      }
      registry
        .unload(name, version || undefined)
        .then(() => index())
        .then((res) => callback(null, { models: (res.models ?? []).filter((m) => m.name === name) }))
        .catch((error: Error) => callback(fail(status.INTERNAL, error.message)));
    },
  };
}
