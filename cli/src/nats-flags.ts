// The NATS flags and CLEAVE_NATS_* variables shared by `cleave fleet`, `cleave agent --nats` and
// `cleave serve --nats`, turned into @cleave/control's connection options.
import type { NatsOptions } from '@cleave/control';

/** NATS flags shared by `cleave fleet`, `cleave agent --nats` and `cleave serve --nats`. */
export const NATS_FLAGS = {
  nats: { type: 'string' },
  'nats-user': { type: 'string' },
  'nats-password': { type: 'string' },
  'nats-token': { type: 'string' },
  'nats-creds': { type: 'string' },
  'nats-nkey': { type: 'string' },
  'nats-ca': { type: 'string' },
  'nats-cert': { type: 'string' },
  'nats-key': { type: 'string' },
  'js-domain': { type: 'string' },
} as const;

export const NATS_HELP = `  --nats URL           NATS server(s), comma-separated (env CLEAVE_NATS_URL)
  --nats-user U --nats-password P | --nats-token T | --nats-creds FILE | --nats-nkey SEEDFILE
  --nats-ca FILE --nats-cert FILE --nats-key FILE   TLS (CA; client certificate for mutual TLS)
  --js-domain D        JetStream domain of the hub when connected through a leaf node
`;

type Flags = Partial<Record<keyof typeof NATS_FLAGS, string>>;

/** NATS options from the flags and CLEAVE_NATS_* variables; undefined when no server is named. */
export function natsOptionsFrom(values: Flags): (NatsOptions & { domain?: string }) | undefined {
  const env = process.env;
  const url = values.nats ?? env.CLEAVE_NATS_URL;
  if (!url) return undefined;
  const pick = (flag: keyof Flags, name: string) => values[flag] ?? env[name];
  const user = pick('nats-user', 'CLEAVE_NATS_USER');
  const pass = pick('nats-password', 'CLEAVE_NATS_PASSWORD');
  const token = pick('nats-token', 'CLEAVE_NATS_TOKEN');
  const creds = pick('nats-creds', 'CLEAVE_NATS_CREDS');
  const nkey = pick('nats-nkey', 'CLEAVE_NATS_NKEY');
  const [ca, cert, key] = [pick('nats-ca', 'CLEAVE_NATS_CA'), values['nats-cert'], values['nats-key']];
  const domain = pick('js-domain', 'CLEAVE_JS_DOMAIN');
  return {
    servers: url.split(',').map((s) => s.trim()),
    ...(user ? { user } : {}),
    ...(pass ? { pass } : {}),
    ...(token ? { token } : {}),
    ...(creds ? { credsFile: creds } : {}),
    ...(nkey ? { nkeySeedFile: nkey } : {}),
    ...(ca || cert
      ? {
          tls: {
            ...(ca ? { caFile: ca } : {}),
            ...(cert ? { certFile: cert } : {}),
            ...(key ? { keyFile: key } : {}),
          },
        }
      : {}),
    ...(domain ? { domain } : {}),
  };
}
