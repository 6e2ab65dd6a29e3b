import { join } from 'node:path';

/** The repository root (where models/, training/ and bench-results/ live in a checkout). */
export const REPO_ROOT = join(import.meta.dirname, '..', '..');
export const DEFAULT_MODELS_DIR = process.env.CLEAVE_MODELS_DIR ?? join(REPO_ROOT, 'models');
/** The shipped bundle the FC-tail bundle borrows its input normalisation from. */
export const DEFAULT_BUNDLE = 'fmnist-c6b2';
