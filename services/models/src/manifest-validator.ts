import type { z } from 'zod';
import { BundleError, BundleErrorCode, type BundleIssue } from './bundle-error.js';
import { checkManifestRules, checkPlainFileName } from './manifest-rules.js';
import { type Manifest, ManifestSchema } from './manifest-schema.js';

/** `['bottleneck', 'entropy', 'tables', 3]` → `bottleneck.entropy.tables[3]`. */
export function formatFieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? '(root)' : out;
}

function toIssues(error: z.ZodError): BundleIssue[] {
  return error.issues.flatMap((issue) => {
    // An unknown key is reported on its parent; name the key itself, typos are the usual cause.
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        field: formatFieldPath([...issue.path, key]),
        message: 'unknown key',
      }));
    }
    const message = issue.message.replace(/^Invalid input: /, '');
    // A missing field reads better as "required" than as a type mismatch with undefined.
    const missing = issue.code === 'invalid_type' && issue.input === undefined;
    return [
      {
        field: formatFieldPath(issue.path),
        message: missing ? `required: ${message.replace(/, received undefined$/, '')}` : message,
      },
    ];
  });
}

function invalid(file: string, issues: BundleIssue[]): BundleError {
  const first = issues[0] ?? { field: '(root)', message: 'invalid manifest' };
  return new BundleError(BundleErrorCode.MANIFEST_INVALID, file, first.message, {
    field: first.field,
    issues,
  });
}

/**
 * Refuses any file path that could leave the bundle folder. It runs on the raw JSON, before the
 * schema, so an escape is reported as PATH_ESCAPE even when other fields are also wrong.
 */
function checkPathsRaw(json: unknown, file: string): void {
  if (typeof json !== 'object' || json === null) return;
  const files = (json as { files?: unknown }).files;
  if (!Array.isArray(files)) return;
  files.forEach((entry: unknown, i) => {
    const path = typeof entry === 'object' && entry !== null ? (entry as { path?: unknown }).path : undefined;
    if (typeof path !== 'string') return;
    const reason = checkPlainFileName(path);
    if (reason !== undefined) {
      throw new BundleError(BundleErrorCode.PATH_ESCAPE, file, `${reason}, got ${JSON.stringify(path)}`, {
        field: `files[${i}].path`,
      });
    }
  });
}

/**
 * Validates parsed manifest JSON against the schema and the cross-field rules.
 * `file` is the manifest's path, used in error messages.
 * @throws BundleError MANIFEST_INVALID or PATH_ESCAPE
 */
export function validateManifest(json: unknown, file: string): Manifest {
  checkPathsRaw(json, file);
  const parsed = ManifestSchema.safeParse(json, { reportInput: true });
  if (!parsed.success) throw invalid(file, toIssues(parsed.error));
  const issues = checkManifestRules(parsed.data);
  if (issues.length > 0) throw invalid(file, issues);
  return parsed.data as Manifest;
}

/**
 * Parses and validates manifest.json text.
 * @throws BundleError MANIFEST_INVALID or PATH_ESCAPE
 */
export function parseManifest(text: string, file: string): Manifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    throw new BundleError(BundleErrorCode.MANIFEST_INVALID, file, `not valid JSON: ${detail}`, { cause });
  }
  return validateManifest(json, file);
}
