// Small, never-throwing readers for sysfs-style files. A missing file means "not present"; a permission
// error is reported separately so detection can say what to fix (a udev rule will grant access later).
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MeterDiagnostic } from './types.js';

export type ReadFailure = 'absent' | 'denied' | 'error';

export type TextResult =
  | { readonly ok: true; readonly text: string }
  | { readonly ok: false; readonly reason: ReadFailure; readonly path: string; readonly code: string };

function classify(err: unknown): { reason: ReadFailure; code: string } {
  const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : 'UNKNOWN';
  if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ENODEV' || code === 'ENXIO') {
    return { reason: 'absent', code };
  }
  if (code === 'EACCES' || code === 'EPERM') return { reason: 'denied', code };
  return { reason: 'error', code };
}

/** Reads a file as trimmed text (sysfs values end in a newline; device-tree strings in a NUL). */
export async function readText(path: string): Promise<TextResult> {
  try {
    const text = await readFile(path, 'utf8');
    return { ok: true, text: text.replace(/\0+$/, '').trim() };
  } catch (err) {
    return { ok: false, path, ...classify(err) };
  }
}

export type NumberResult =
  | { readonly ok: true; readonly value: number }
  | {
      readonly ok: false;
      readonly reason: ReadFailure | 'unparsable';
      readonly path: string;
      readonly code: string;
    };

/** Reads a file holding one number. Some drivers append a unit ("32760 ma"): only the first token counts. */
export async function readNumber(path: string): Promise<NumberResult> {
  const r = await readText(path);
  if (!r.ok) return r;
  const token = r.text.split(/\s+/)[0] ?? '';
  const value = Number(token);
  if (token === '' || !Number.isFinite(value)) {
    return { ok: false, reason: 'unparsable', path, code: 'EINVAL' };
  }
  return { ok: true, value };
}

/** Lists a directory; an unreadable or missing directory lists as empty. */
export async function listDir(path: string): Promise<string[]> {
  try {
    return (await readdir(path)).sort();
  } catch {
    return [];
  }
}

/** Lists `parent` and keeps the entries whose name matches. */
export async function globDir(parent: string, pattern: RegExp): Promise<string[]> {
  return (await listDir(parent)).filter((name) => pattern.test(name)).map((name) => join(parent, name));
}

/** Turns a failed read into a diagnostic, or nothing when the file is simply absent. */
export function diagnoseFailure(
  meter: string,
  failure: { reason: ReadFailure | 'unparsable'; path: string; code: string },
): MeterDiagnostic | undefined {
  if (failure.reason === 'absent') return undefined;
  if (failure.reason === 'denied') {
    return {
      level: 'warn',
      meter,
      path: failure.path,
      message:
        `permission denied (${failure.code}) reading ${failure.path}: the ${meter} meter is present but ` +
        'unreadable by this user; grant read access (e.g. a udev rule or group) to use it',
    };
  }
  return {
    level: 'warn',
    meter,
    path: failure.path,
    message: `could not read ${failure.path} (${failure.code}); treating the ${meter} meter as absent`,
  };
}

/** Joins a root with an absolute-looking path: sysPath('/tmp/x', '/sys/class') → '/tmp/x/sys/class'. */
export function sysPath(root: string, absolute: string): string {
  return join(root, absolute);
}
