// Rendering and validating the Kubernetes manifests in deploy/kubernetes.
// - render: `kubectl kustomize` (kustomize v5 built into kubectl) when kubectl is installed;
//   the resource files listed by each kustomization are also read as plain YAML.
// - schema: the Kubernetes 1.33.0 OpenAPI schemas compiled into validators by the npm package
//   kubernetes-models@4.5.1 (pinned in package.json).
// - unknown fields: OpenAPI v2 allows extra properties, so every object is also type-checked
//   as a TypeScript object literal against kubernetes-types@1.30.0 (excess-property checks),
//   which is what `kubectl apply --validate=strict` would refuse.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import ts from 'typescript';
import { parseAllDocuments } from 'yaml';

export const ROOT = join(import.meta.dirname, '..', '..');
export const K8S = join(ROOT, 'deploy', 'kubernetes');

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  // biome-ignore lint/suspicious/noExplicitAny: manifests are checked field by field in the tests
  spec?: any;
  data?: Record<string, string>;
  [key: string]: unknown;
}

export function parseYamlDocs(text: string, source: string): K8sObject[] {
  return parseAllDocuments(text).flatMap((doc) => {
    if (doc.errors.length > 0) throw new Error(`${source}: ${doc.errors.map((e) => e.message).join('; ')}`);
    const value = doc.toJS() as K8sObject | null;
    return value ? [value] : [];
  });
}

export const kubectl = (): string | null =>
  spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0 ? 'kubectl' : null;

/** `kubectl kustomize DIR` → objects. */
export function kustomize(dir: string): K8sObject[] {
  const r = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`kubectl kustomize ${dir}: ${r.stderr}`);
  return parseYamlDocs(r.stdout, dir);
}

/** The plain YAML files a kustomization lists under `resources` (folders are other kustomizations). */
export function plainResources(dir: string): { file: string; objects: K8sObject[] }[] {
  const k = parseYamlDocs(readFileSync(join(dir, 'kustomization.yaml'), 'utf8'), dir)[0] as unknown as {
    resources?: string[];
  };
  return (k.resources ?? [])
    .filter((r) => r.endsWith('.yaml'))
    .map((r) => ({ file: join(dir, r), objects: parseYamlDocs(readFileSync(join(dir, r), 'utf8'), r) }));
}

/** apiVersion → [kubernetes-models folder, kubernetes-types module]; only GA versions served by 1.33. */
const GROUPS: Record<string, [string, string]> = {
  v1: ['v1', 'core/v1'],
  'apps/v1': ['apps/v1', 'apps/v1'],
  'autoscaling/v2': ['autoscaling/v2', 'autoscaling/v2'],
  'policy/v1': ['policy/v1', 'policy/v1'],
  'networking.k8s.io/v1': ['networking.k8s.io/v1', 'networking/v1'],
  'rbac.authorization.k8s.io/v1': ['rbac.authorization.k8s.io/v1', 'rbac/v1'],
};

const require = createRequire(import.meta.url);

/** Schema errors of one object (empty when valid), from kubernetes-models' OpenAPI validators. */
export function schemaErrors(o: K8sObject): string[] {
  const group = GROUPS[o.apiVersion];
  if (!group)
    return [`${o.kind} ${o.metadata?.name}: apiVersion ${o.apiVersion} is not a GA API of Kubernetes 1.33`];
  const mod = require(`kubernetes-models/${group[0]}/${o.kind}`) as Record<
    string,
    new (
      d: unknown,
    ) => { validate(): void }
  >;
  const Model = mod[o.kind];
  if (!Model) return [`${o.kind}: no model in kubernetes-models/${group[0]}`];
  try {
    new Model(o).validate();
    return [];
  } catch (error) {
    return [`${o.kind} ${o.metadata.name}: ${(error as Error).message}`];
  }
}

/**
 * Type-checks every object as an object literal of its kubernetes-types interface: unknown
 * fields (excess properties) and wrong types anywhere in the tree are reported.
 */
export function typeErrors(objects: readonly K8sObject[]): string[] {
  const typesDir = dirname(require.resolve('kubernetes-types/package.json'));
  // One virtual file per object, so a diagnostic names its object by file.
  const files = new Map<string, { text: string; name: string }>();
  objects.forEach((o, i) => {
    const group = GROUPS[o.apiVersion];
    if (!group) return;
    const text = `import type { ${o.kind} } from '${join(typesDir, group[1])}';\nexport const o: ${o.kind} = ${JSON.stringify(o)};\n`;
    files.set(join(ROOT, 'test', 'deploy', `__manifest_${i}__.ts`), {
      text,
      name: `${o.kind}/${o.metadata.name}`,
    });
  });
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    skipLibCheck: true,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => files.has(name) || fileExists(name);
  host.getSourceFile = (name, lang) => {
    const f = files.get(name);
    return f ? ts.createSourceFile(name, f.text, lang) : getSourceFile(name, lang);
  };
  const program = ts.createProgram([...files.keys()], options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const owner = d.file ? files.get(d.file.fileName)?.name : undefined;
    return `${owner ?? d.file?.fileName ?? '?'}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  });
}

/** Whether every label of `selector` is on `labels`. */
export const selects = (selector: Record<string, string> = {}, labels: Record<string, string> = {}) =>
  Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);
