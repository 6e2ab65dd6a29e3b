// Rules that tie manifest fields together, checked after the schema has passed.
import type { BundleIssue } from './bundle-error.js';
import {
  type AccuracyKey,
  EXIT_LOGITS_OUTPUT,
  type FileRole,
  type FileSpec,
  FLOAT32_BITS,
  LOGITS_OUTPUT,
  type Manifest,
  type TensorSpec,
} from './manifest-schema.js';

/**
 * Why `path` is not a plain file name inside the bundle folder, or undefined when it is.
 * Plain means: no separators, no `..`, not absolute, no drive letter, not hidden.
 */
export function checkPlainFileName(path: string): string | undefined {
  if (path.length === 0 || path.length > 255) return 'expected a file name of 1..255 characters';
  if (path.includes('/') || path.includes('\\')) return 'expected a plain file name, without / or \\';
  if (path.includes('..')) return 'expected a plain file name, without ..';
  if (path.includes(':') || path.includes('\0')) return 'expected a plain file name, without : or NUL';
  if (path.startsWith('.') || path.startsWith('~'))
    return 'expected a plain file name, not starting with . or ~';
  return undefined;
}

const shapeText = (dims: readonly number[]) => `[${dims.join(', ')}]`;
const sameDims = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * Whether the head has an exit branch (an `exit_logits` output). A head without one (e.g. a
 * model cut by `cleave split`) has no exit stage: the agent goes from the head to dual or cloud.
 */
export function hasExitBranch(m: Manifest): boolean {
  const head = m.files.find((f) => f.role === 'head');
  return head?.outputs.some((t) => t.name === EXIT_LOGITS_OUTPUT) ?? false;
}

/** The accuracy keys a manifest must report, given the roles it ships (and whether the head has an exit). */
export function requiredAccuracyKeys(roles: ReadonlySet<FileRole>, exit = true): AccuracyKey[] {
  const keys: AccuracyKey[] = exit ? ['split', 'exit', 'cascade'] : ['split', 'cascade'];
  if (roles.has('full')) keys.push('full');
  if (roles.has('dual-a')) keys.push('dual-a');
  if (roles.has('dual-b')) keys.push('dual-b', 'dual-ab');
  return keys;
}

/** Every cross-field problem in a schema-valid manifest; empty when there is none. */
export function checkManifestRules(m: Manifest): BundleIssue[] {
  const issues: BundleIssue[] = [];
  const add = (field: string, message: string) => issues.push({ field, message });

  const seenLabels = new Set<string>();
  m.labels.forEach((label, i) => {
    if (seenLabels.has(label)) add(`labels[${i}]`, `duplicate label "${label}"`);
    seenLabels.add(label);
  });

  checkInput(m, add);
  const roles = checkRoles(m, add);
  for (const [i, file] of m.files.entries()) checkFileTensors(m, file, `files[${i}]`, add);
  checkQuantization(m, add);
  checkGates(m, roles, add);

  for (const key of requiredAccuracyKeys(roles, hasExitBranch(m))) {
    if (m.metrics.accuracy[key] === undefined)
      add(`metrics.accuracy.${key}`, 'required for the roles present');
  }
  return issues;
}

type AddIssue = (field: string, message: string) => void;

function checkInput(m: Manifest, add: AddIssue): void {
  const { shape, layout, source, normalization } = m.input;
  const expected =
    layout === 'NCHW'
      ? [source.channels, source.height, source.width]
      : [source.height, source.width, source.channels];
  if (!sameDims(shape, expected)) {
    add(
      'input.shape',
      `expected ${shapeText(expected)} (${layout} from input.source), got ${shapeText(shape)}`,
    );
  }
  for (const key of ['mean', 'std'] as const) {
    const n = normalization[key].length;
    if (n !== 1 && n !== source.channels) {
      add(
        `input.normalization.${key}`,
        `expected 1 or ${source.channels} values (one per channel), got ${n}`,
      );
    }
  }
}

function checkRoles(m: Manifest, add: AddIssue): Set<FileRole> {
  const roles = new Set<FileRole>();
  m.files.forEach((file, i) => {
    if (roles.has(file.role)) add(`files[${i}].role`, `role "${file.role}" appears more than once`);
    roles.add(file.role);
  });
  for (const role of ['head', 'tail'] as const) {
    if (!roles.has(role)) add('files', `expected a file with role "${role}"`);
  }
  if (roles.has('dual-b') && !roles.has('dual-a')) add('files', 'role "dual-b" requires role "dual-a"');
  return roles;
}

/** Checks that `file` has a tensor `name` whose dims after the batch dimension are `dims`. */
function expectTensor(
  tensors: readonly TensorSpec[],
  field: string,
  name: string,
  dims: readonly number[],
  why: string,
  add: AddIssue,
): void {
  const index = tensors.findIndex((t) => t.name === name);
  const tensor = tensors[index];
  if (tensor === undefined) {
    add(field, `expected a tensor named "${name}" (${why})`);
    return;
  }
  if (!sameDims(tensor.shape.slice(1), dims)) {
    add(
      `${field}[${index}].shape`,
      `expected [batch, ${dims.join(', ')}] to match ${why}, got ${shapeText(tensor.shape)}`,
    );
  }
}

function checkFileTensors(m: Manifest, file: FileSpec, at: string, add: AddIssue): void {
  const labels = [m.labels.length];
  const takesImage = () =>
    expectTensor(file.inputs, `${at}.inputs`, m.input.name, m.input.shape, 'input.shape', add);
  switch (file.role) {
    case 'head':
      takesImage();
      // A head without exit_logits has no exit stage (hasExitBranch); its gate then has no thresholds.
      if (file.outputs.some((t) => t.name === EXIT_LOGITS_OUTPUT))
        expectTensor(file.outputs, `${at}.outputs`, EXIT_LOGITS_OUTPUT, labels, 'labels.length', add);
      else if (exitThresholds(m))
        add(
          `${at}.outputs`,
          `expected a tensor named "${EXIT_LOGITS_OUTPUT}" for the exit gate's thresholds (a head without an exit branch has "gates.exit.thresholds": {})`,
        );
      expectTensor(
        file.outputs,
        `${at}.outputs`,
        m.bottleneck.tensor,
        m.bottleneck.shape,
        'bottleneck.shape',
        add,
      );
      break;
    case 'tail':
      expectTensor(
        file.inputs,
        `${at}.inputs`,
        m.bottleneck.tensor,
        m.bottleneck.shape,
        'bottleneck.shape',
        add,
      );
      expectTensor(file.outputs, `${at}.outputs`, LOGITS_OUTPUT, labels, 'labels.length', add);
      break;
    case 'full':
    case 'dual-a':
    case 'dual-b':
      takesImage();
      expectTensor(file.outputs, `${at}.outputs`, LOGITS_OUTPUT, labels, 'labels.length', add);
      break;
  }
}

function checkQuantization(m: Manifest, add: AddIssue): void {
  const { shape, bits, quantization: q, entropy } = m.bottleneck;
  const channels = shape[0] ?? 1;
  const ranges = q.granularity === 'per-channel' ? channels : 1;
  for (const key of ['min', 'max'] as const) {
    if (q[key].length !== ranges) {
      add(
        `bottleneck.quantization.${key}`,
        `expected ${ranges} value(s) for ${q.granularity} (bottleneck.shape[0] = ${channels}), got ${q[key].length}`,
      );
    }
  }
  q.min.forEach((lo, i) => {
    const hi = q.max[i];
    if (hi !== undefined && !(lo < hi))
      add(`bottleneck.quantization.max[${i}]`, `expected > min[${i}] (${lo}), got ${hi}`);
  });

  if (entropy === undefined) return;
  if (bits === FLOAT32_BITS) {
    add('bottleneck.entropy', 'float32 features (bits 32) are not entropy-coded; expected no entropy model');
    return;
  }
  if (entropy.tables.length !== channels) {
    add(
      'bottleneck.entropy.tables',
      `expected ${channels} tables (one per channel), got ${entropy.tables.length}`,
    );
  }
  const symbols = 2 ** bits;
  const total = 2 ** entropy.precisionBits;
  entropy.tables.forEach((table, i) => {
    const field = `bottleneck.entropy.tables[${i}]`;
    if (table.length !== symbols) add(field, `expected ${symbols} entries (2^bits), got ${table.length}`);
    const sum = table.reduce((a, b) => a + b, 0);
    if (sum !== total) add(field, `expected entries summing to ${total} (2^precisionBits), got ${sum}`);
  });
}

/** Whether the exit gate holds any threshold: then the head must have exit_logits to score. */
const exitThresholds = (m: Manifest) => Object.values(m.gates.exit.thresholds).some((t) => t !== undefined);

function checkGates(m: Manifest, roles: ReadonlySet<FileRole>, add: AddIssue): void {
  const exit = hasExitBranch(m);
  for (const name of ['exit', 'dual'] as const) {
    const gate = m.gates[name];
    if (gate === undefined || (name === 'exit' && !exit)) continue;
    if (gate.thresholds[gate.default] === undefined) {
      add(
        `gates.${name}.thresholds.${gate.default}`,
        `expected a threshold for the default score "${gate.default}"`,
      );
    }
  }
  if (m.gates.dual !== undefined && !(roles.has('dual-a') && roles.has('dual-b'))) {
    add('gates.dual', 'a dual gate requires the "dual-a" and "dual-b" files');
  }
}
