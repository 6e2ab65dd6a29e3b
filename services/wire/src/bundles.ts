/**
 * Bundles (docs/wire-format.md, "Bundles"): "1" under this key in an agent's InferStream metadata
 * says it sends and reads bundles; the same in the server's initial metadata says the server
 * takes them, after which the agent may send them.
 */
export const BUNDLE_METADATA_KEY = 'cleave-bundle';
