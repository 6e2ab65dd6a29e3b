// Where `cleave serve` and `cleave agent` read their options: defaults < config file (JSON or
// YAML) < environment (CLEAVE_*) < command-line flags. The merged object is then validated by
// the library's own schema, which names every bad field.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Obj = Record<string, unknown>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function readConfigFile(path: string): Obj {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new ConfigError(`${path}: cannot read the config file`, { cause });
  }
  try {
    const value: unknown = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new Error('the top level must be a mapping');
    }
    return value as Obj;
  } catch (cause) {
    throw new ConfigError(`${path}: ${(cause as Error).message}`, { cause });
  }
}

/** One environment variable bound to a dotted option path, with its type. */
export interface EnvBinding {
  name: string;
  path: string;
  type: 'string' | 'int' | 'number' | 'bool' | 'list';
}

function coerce(binding: EnvBinding, raw: string): unknown {
  switch (binding.type) {
    case 'string':
      return raw;
    case 'int': {
      const n = Number(raw);
      if (!Number.isInteger(n)) throw new ConfigError(`${binding.name}=${raw}: expected an integer`);
      return n;
    }
    case 'number': {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n))
        throw new ConfigError(`${binding.name}=${raw}: expected a number`);
      return n;
    }
    case 'bool':
      if (!['true', 'false', '1', '0'].includes(raw))
        throw new ConfigError(`${binding.name}=${raw}: expected true or false`);
      return raw === 'true' || raw === '1';
    case 'list':
      return raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
  }
}

export function setPath(target: Obj, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
    node = node[key] as Obj;
  }
  node[keys.at(-1)!] = value;
}

export function fromEnv(bindings: readonly EnvBinding[], env: NodeJS.ProcessEnv = process.env): Obj {
  const out: Obj = {};
  for (const b of bindings) {
    const raw = env[b.name];
    if (raw !== undefined && raw !== '') setPath(out, b.path, coerce(b, raw));
  }
  return out;
}

/** Deep merge of plain objects; later sources win, arrays are replaced. */
export function mergeOptions(...sources: Obj[]): Obj {
  const out: Obj = {};
  for (const src of sources) {
    for (const [k, v] of Object.entries(src)) {
      if (v === undefined) continue;
      const prev = out[k];
      out[k] =
        v &&
        typeof v === 'object' &&
        !Array.isArray(v) &&
        prev &&
        typeof prev === 'object' &&
        !Array.isArray(prev)
          ? mergeOptions(prev as Obj, v as Obj)
          : v;
    }
  }
  return out;
}
