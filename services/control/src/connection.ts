// Connecting to NATS with the fleet's options: servers, user/password, token, nkey seed or a
// creds file (JWT + nkey), TLS (CA, client certificate), and reconnection that never gives up,
// so a device rides out any outage and resumes on its own.

import { readFileSync } from 'node:fs';
import { ClientTlsFilesSchema, resolveOptions } from '@cleave/options';
import { connect, credsAuthenticator, type NatsConnection, nkeyAuthenticator } from 'nats';
import { z } from 'zod';

export const NatsOptionsSchema = z
  .object({
    /** nats://host:port or tls://host:port, one or more (a cluster, or a leaf node on the site). */
    servers: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).default('nats://127.0.0.1:4222'),
    /** Client name shown by the server (`nats server report connections`). */
    name: z.string().min(1).optional(),
    user: z.string().min(1).optional(),
    pass: z.string().min(1).optional(),
    token: z.string().min(1).optional(),
    /** A creds file (user JWT + nkey seed), as `nsc generate creds` writes it. */
    credsFile: z.string().min(1).optional(),
    /** A file holding an nkey seed (SU…), for nkey authentication without JWTs. */
    nkeySeedFile: z.string().min(1).optional(),
    tls: ClientTlsFilesSchema.optional(),
    /** JetStream domain of the hub when the agent talks to it through a leaf node (docs/fleet.md). */
    domain: z.string().min(1).optional(),
    reconnectTimeWaitMs: z.number().int().min(10).default(1000),
    /** How long a JetStream request (publish, KV, object) may wait for its answer. */
    timeoutMs: z.number().int().min(100).default(5000),
  })
  .strict()
  .refine((o) => (o.user === undefined) === (o.pass === undefined), {
    message: 'user and pass go together',
  })
  .refine((o) => [o.user, o.token, o.credsFile, o.nkeySeedFile].filter((x) => x !== undefined).length <= 1, {
    message: 'choose one of user/pass, token, credsFile, nkeySeedFile',
  });

export type NatsOptions = z.input<typeof NatsOptionsSchema>;
export type ResolvedNatsOptions = z.output<typeof NatsOptionsSchema>;

export class ControlError extends Error {
  override name = 'ControlError';
}

export function resolveNatsOptions(options: NatsOptions): ResolvedNatsOptions {
  return resolveOptions(NatsOptionsSchema, options, 'NATS options');
}

/** Opens a connection that reconnects forever; the first connect fails fast if nothing answers. */
export async function connectNats(options: NatsOptions): Promise<NatsConnection> {
  const o = resolveNatsOptions(options);
  const tls = o.tls
    ? {
        ...(o.tls.caFile ? { caFile: o.tls.caFile } : {}),
        ...(o.tls.certFile ? { certFile: o.tls.certFile } : {}),
        ...(o.tls.keyFile ? { keyFile: o.tls.keyFile } : {}),
      }
    : undefined;
  const authenticator = o.credsFile
    ? credsAuthenticator(new Uint8Array(readFileSync(o.credsFile)))
    : o.nkeySeedFile
      ? nkeyAuthenticator(new TextEncoder().encode(readFileSync(o.nkeySeedFile, 'utf8').trim()))
      : undefined;
  return connect({
    servers: o.servers,
    ...(o.name ? { name: o.name } : {}),
    ...(o.user ? { user: o.user, pass: o.pass } : {}),
    ...(o.token ? { token: o.token } : {}),
    ...(authenticator ? { authenticator } : {}),
    ...(tls ? { tls } : {}),
    maxReconnectAttempts: -1,
    reconnectTimeWait: o.reconnectTimeWaitMs,
    timeout: Math.min(o.timeoutMs, 20_000),
  });
}
