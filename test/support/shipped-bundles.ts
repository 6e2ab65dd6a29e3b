import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_BUNDLE } from '@cleave/cli/paths';

export const MODELS_DIR = join(import.meta.dirname, '..', '..', 'models');
export { DEFAULT_BUNDLE };

/** Names of the bundles shipped in models/. */
export function shippedBundleNames(): string[] {
  return readdirSync(MODELS_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
}
