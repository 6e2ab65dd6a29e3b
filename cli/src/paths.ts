import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The repository root (where models/ lives when running from a checkout). */
export const REPO_ROOT = join(import.meta.dirname, '..', '..');
/** The `cleave` binary, for the processes the CLI starts itself (servers, the bench's edge). */
export const CLI_BIN = join(import.meta.dirname, '..', 'bin', 'cleave.js');
export const DEFAULT_MODELS_DIR = process.env.CLEAVE_MODELS_DIR ?? join(REPO_ROOT, 'models');
/** The bundle `npm start` runs when no --bundle is given. */
export const DEFAULT_BUNDLE = 'fmnist-c6b2';

/** The version of this checkout (the root package.json), reported as service.version. */
export const CLEAVE_VERSION: string = (
  JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }
).version;
