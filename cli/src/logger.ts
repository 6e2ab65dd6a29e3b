import pino from 'pino';

/** Structured logs to stderr, so stdout stays for reports. LOG_LEVEL sets the level. */
export function createLogger(name: string) {
  return pino({ name, level: process.env.LOG_LEVEL ?? 'info' }, pino.destination(2));
}
