import { join } from 'node:path';

/** The repository root (where models/ lives when running from a checkout). */
export const REPO_ROOT = join(import.meta.dirname, '..', '..');
export const DEFAULT_MODELS_DIR = process.env.CLEAVE_MODELS_DIR ?? join(REPO_ROOT, 'models');
/** The bundle `npm start` runs when no --bundle is given. */
export const DEFAULT_BUNDLE = 'fmnist-c6b2';
