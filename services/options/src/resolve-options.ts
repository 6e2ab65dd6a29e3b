// The one place an options object meets its schema. Every factory that takes options (the agent,
// the tail server, the NATS connection, a live configuration patch, a fleet layer) resolves them
// here, so a bad field reads the same everywhere: `invalid agent options:\n  cloud.timeoutMs: …`.
import type { z } from 'zod';

/** Options that break their schema; `issues` holds one "path: message" line per bad field. */
export class OptionsError extends Error {
  override name = 'OptionsError';
  readonly issues: string[];
  constructor(what: string, issues: string[], options?: ErrorOptions) {
    super(`invalid ${what}:\n  ${issues.join('\n  ')}`, options);
    this.issues = issues;
  }
}

/** One "path: message" line per issue; the root is "(root)". */
export function issuesOf(error: z.ZodError): string[] {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
}

/**
 * Validates `source` against `schema` and returns the resolved options, defaults filled in.
 * Throws an OptionsError naming `what` (e.g. "agent options"), or what `toError` makes of the
 * issues where a caller's own error class is part of its API.
 */
export function resolveOptions<S extends z.ZodType>(
  schema: S,
  source: unknown,
  what: string,
  toError: (issues: string[]) => Error = (issues) => new OptionsError(what, issues),
): z.output<S> {
  const parsed = schema.safeParse(source);
  if (!parsed.success) throw toError(issuesOf(parsed.error));
  return parsed.data;
}
