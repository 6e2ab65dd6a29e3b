/** What went wrong with a model bundle. Boundaries map these to gRPC/HTTP status codes. */
export const BundleErrorCode = {
  /** The folder has no manifest.json. */
  MANIFEST_MISSING: 'MANIFEST_MISSING',
  /** manifest.json is not JSON, or breaks the schema or a cross-field rule. */
  MANIFEST_INVALID: 'MANIFEST_INVALID',
  /** A file the manifest lists is not in the folder. */
  FILE_MISSING: 'FILE_MISSING',
  /** A file's size or sha256 differs from the manifest. */
  HASH_MISMATCH: 'HASH_MISMATCH',
  /** ONNX Runtime could not load a model file. */
  ONNX_INVALID: 'ONNX_INVALID',
  /** A file path could leave the bundle folder (separator, `..`, absolute, symlink out). */
  PATH_ESCAPE: 'PATH_ESCAPE',
} as const;
export type BundleErrorCode = (typeof BundleErrorCode)[keyof typeof BundleErrorCode];

/** One problem found in a manifest: a JSON path and what was expected there. */
export interface BundleIssue {
  readonly field: string;
  readonly message: string;
}

export interface BundleErrorOptions {
  /** The JSON path inside the manifest, e.g. `bottleneck.entropy.tables[3]`. */
  field?: string;
  /** Every problem found; the message names the first. */
  issues?: readonly BundleIssue[];
  cause?: unknown;
}

/**
 * A bundle was refused. The message always starts with the offending file, then the field when
 * there is one: `models/fmnist-bf8/manifest.json: bottleneck.bits: expected integer 1..8`.
 */
export class BundleError extends Error {
  override readonly name = 'BundleError';
  readonly code: BundleErrorCode;
  /** The path of the offending file, as the caller spelled the bundle folder. */
  readonly file: string;
  readonly field: string | undefined;
  readonly issues: readonly BundleIssue[];

  constructor(code: BundleErrorCode, file: string, detail: string, options: BundleErrorOptions = {}) {
    const { field, issues = [], cause } = options;
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
    super(field === undefined ? `${file}: ${detail}${more}` : `${file}: ${field}: ${detail}${more}`, {
      cause,
    });
    this.code = code;
    this.file = file;
    this.field = field;
    this.issues = issues;
  }
}
