// Who may call the tail server. Transport: TLS, and mutual TLS when client certificates are
// required (ServerCredentials.createSsl). Callers: optional bearer tokens, each naming the
// identity it stands for, checked in a server interceptor before any handler runs; a call
// without a valid token gets UNAUTHENTICATED. Health and reflection stay open for probes; the
// admin API has its own credential (admin-service.ts).
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  type Metadata,
  ServerCredentials,
  ServerInterceptingCall,
  type ServerInterceptingCallInterface,
  type ServerInterceptor,
  ServerListenerBuilder,
  status,
} from '@grpc/grpc-js';

/** Set by the interceptor on authenticated calls; a client-sent value is always removed first. */
export const IDENTITY_METADATA_KEY = 'x-cleave-identity';

export interface TlsOptions {
  certFile: string;
  keyFile: string;
  /** CA that signs client certificates; required with requireClientCert. */
  caFile?: string | undefined;
  requireClientCert: boolean;
}

export function serverCredentials(tls: TlsOptions | undefined): ServerCredentials {
  if (!tls) return ServerCredentials.createInsecure();
  return ServerCredentials.createSsl(
    tls.caFile ? readFileSync(tls.caFile) : null,
    [{ private_key: readFileSync(tls.keyFile), cert_chain: readFileSync(tls.certFile) }],
    tls.requireClientCert,
  );
}

const digest = (s: string) => createHash('sha256').update(s).digest();

export interface TokenChecker {
  /** The identity a bearer header stands for, or undefined. Constant time per known token. */
  identify(authorization: unknown): string | undefined;
}

export function createTokenChecker(tokens: readonly { id: string; token: string }[]): TokenChecker {
  const known = tokens.map((t) => ({ id: t.id, digest: digest(t.token) }));
  return {
    identify(authorization) {
      if (typeof authorization !== 'string' || !authorization.startsWith('Bearer ')) return undefined;
      const given = digest(authorization.slice(7));
      let found: string | undefined;
      for (const k of known) if (timingSafeEqual(given, k.digest)) found = k.id;
      return found;
    },
  };
}

const OPEN_SERVICES = ['/grpc.health.v1.Health/', '/grpc.reflection.', '/cleave.v1.ModelRepository/'];

/** Refuses calls to the inference service without a valid bearer token. */
export function createAuthInterceptor(checker: TokenChecker): ServerInterceptor {
  return (method, call: ServerInterceptingCallInterface) => {
    if (OPEN_SERVICES.some((p) => method.path.startsWith(p))) return new ServerInterceptingCall(call);
    const listener = new ServerListenerBuilder()
      .withOnReceiveMetadata((metadata: Metadata, next: (m: Metadata) => void) => {
        metadata.remove(IDENTITY_METADATA_KEY);
        const id = checker.identify(metadata.get('authorization')[0]);
        if (id === undefined) {
          call.sendStatus({
            code: status.UNAUTHENTICATED,
            details: 'a valid "authorization: Bearer <token>" is required',
          });
          return;
        }
        metadata.set(IDENTITY_METADATA_KEY, id);
        next(metadata);
      })
      .build();
    return new ServerInterceptingCall(call, { start: (next) => next(listener) });
  };
}
