// The model versions this server holds, loaded from the model folder by a version policy and
// changed at run time (folder polling or the admin API) without a restart. Every change builds a
// new routing table and swaps it in at once: requests already routed finish on the version they
// started on, which then retires after its last request.
import { type FeatureFrame, FrameMismatchCode, FrameMismatchError } from '@cleave/codec';
import { type RepositoryEntry, scanRepository } from './repository-scan.js';
import { buildRoutes, type Routes } from './routing-table.js';
import {
  loadServedModel,
  retireServedModel,
  type ServedModel,
  type ServedModelOptions,
} from './served-model.js';
import { ServingError, ServingErrorCode } from './serving-errors.js';
import { type VersionPolicy, versionCandidates } from './version-policy.js';

export type { ServedModel } from './served-model.js';

export interface RegistryOptions extends ServedModelOptions {
  modelsDir: string;
  /** Serve only these bundle names; all when empty. */
  only: readonly string[];
  versionPolicy: VersionPolicy;
  /** Per model name, overriding versionPolicy. */
  versionPolicies: Readonly<Record<string, VersionPolicy>>;
  /** Told about every load, refusal and retirement (logs). */
  onEvent?: (event: RegistryEvent) => void;
}

export type RegistryEvent =
  | { type: 'loaded'; name: string; version: string; path: string }
  | { type: 'refused'; path: string; reason: string }
  | { type: 'retired'; name: string; version: string };

export interface IndexEntry {
  name: string;
  version: string;
  state: 'READY' | 'UNAVAILABLE';
  reason: string;
  path: string;
}

export interface ModelRegistry {
  /** The versions serving now (a snapshot). */
  readonly models: readonly ServedModel[];
  /**
   * The model that serves a frame. With `declared` (the stream's `cleave-model` metadata) the
   * newest version of that name whose head made the frame (NOT_FOUND if the name is not served,
   * FAILED_PRECONDITION if no version pairs with the head). Without it, the newest version whose
   * head made the frame (NOT_FOUND if none).
   */
  forFrame(frame: FeatureFrame, declared?: { name: string; version?: string }): ServedModel;
  /**
   * The bottleneck shape for a version 3 frame of this head (a FrameShapeOf for decodeFrame):
   * throws the error forFrame would (NOT_FOUND, or HEAD_MISMATCH when the call names a model).
   */
  shapeForHead(fingerprint: number, declared?: { name: string; version?: string }): readonly number[];
  find(name: string, version?: string): ServedModel | undefined;
  /**
   * Brings the served versions in line with the folder and the version policy, for the given
   * names (every name in the folder when omitted). Changes are serialised.
   */
  reconcile(names?: readonly string[]): Promise<void>;
  /** Stops serving a name (or one version); it retires after its in-flight requests. */
  unload(name: string, version?: string): Promise<void>;
  /** Folder contents and loaded versions, with states and refusal reasons. */
  index(): Promise<IndexEntry[]>;
  /** Called after every change of the served set. */
  onChange(listener: () => void): void;
  /** Resolves when every queued and running batch has finished. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

export function createModelRegistry(options: RegistryOptions): ModelRegistry {
  let routes: Routes = buildRoutes([]);
  /** Bundle path → why it was refused, and the signature it had then (retried when it changes). */
  const refused = new Map<string, { reason: string; signature: string }>();
  const retiring = new Set<Promise<void>>();
  const listeners: (() => void)[] = [];
  /** Unloaded by the admin API: a reconcile does not bring them back unless asked by name. */
  const unloaded = new Set<string>();
  let chain: Promise<void> = Promise.resolve();
  let closed = false;
  const wanted = new Set(options.only);
  const policyOf = (name: string) => options.versionPolicies[name] ?? options.versionPolicy;
  const emit = options.onEvent ?? (() => {});

  const serialise = <T>(job: () => Promise<T>): Promise<T> => {
    const run = chain.then(job);
    chain = run.then(
      () => {},
      () => {},
    );
    return run;
  };

  function publish(next: readonly ServedModel[]): void {
    const before = routes.all;
    routes = buildRoutes(next);
    for (const old of before) {
      if (routes.all.includes(old)) continue;
      const done = retireServedModel(old).then(() =>
        emit({ type: 'retired', name: old.name, version: old.version }),
      );
      retiring.add(done);
      void done.finally(() => retiring.delete(done));
    }
    for (const listener of listeners) listener();
  }

  async function reconcileName(name: string, entries: RepositoryEntry[], current: readonly ServedModel[]) {
    const mine = entries.filter((e) => e.name === name);
    const { candidates, want } = versionCandidates(
      mine.map((e) => e.version!),
      policyOf(name),
    );
    const keep: ServedModel[] = [];
    for (const version of candidates) {
      if (keep.length >= want) break;
      const entry = mine.find((e) => e.version === version)!;
      const loaded = current.find((m) => m.name === name && m.version === version);
      if (loaded && loaded.signature === entry.signature) {
        keep.push(loaded);
        continue;
      }
      if (refused.get(entry.path)?.signature === entry.signature) {
        if (loaded) keep.push(loaded); // a broken copy on disk: the loaded one keeps serving
        continue;
      }
      try {
        const model = await loadServedModel(entry.dir, entry.signature, options);
        const clash = [...keep, ...current].find(
          (m) =>
            m.codec.headFingerprint === model.codec.headFingerprint &&
            m !== loaded &&
            JSON.stringify(m.bundle.manifest.bottleneck) !== JSON.stringify(model.bundle.manifest.bottleneck),
        );
        if (clash) {
          await retireServedModel(model);
          throw new Error(
            `shares head ${model.codec.headFingerprint} with ${clash.name}@${clash.version} but differs in its bottleneck`,
          );
        }
        refused.delete(entry.path);
        keep.push(model);
        emit({ type: 'loaded', name, version, path: entry.path });
      } catch (error) {
        const reason = (error as Error).message;
        refused.set(entry.path, { reason, signature: entry.signature });
        emit({ type: 'refused', path: entry.path, reason });
        if (loaded) keep.push(loaded);
      }
    }
    return keep;
  }

  const registry: ModelRegistry = {
    get models() {
      return routes.all;
    },
    forFrame(frame, declared) {
      if (declared) {
        const versions = routes.byName.get(declared.name) ?? [];
        const named = declared.version ? versions.filter((m) => m.version === declared.version) : versions;
        if (named.length === 0) {
          const what = declared.version ? `${declared.name}@${declared.version}` : declared.name;
          throw new ServingError(ServingErrorCode.MODEL_NOT_FOUND, `model ${what} is not served here`);
        }
        const pairing = named.find((m) => m.codec.headFingerprint === frame.headFingerprint);
        if (pairing) {
          pairing.codec.assertPairs(frame); // same head: still checks bits, shape and codec
          return pairing;
        }
        named[0]!.codec.assertPairs(frame); // throws FrameMismatchError: no version has this head
        return named[0]!;
      }
      const model = routes.byFingerprint.get(frame.headFingerprint);
      if (!model) {
        throw new ServingError(
          ServingErrorCode.MODEL_NOT_FOUND,
          `no served model pairs with head fingerprint ${frame.headFingerprint}`,
        );
      }
      return model;
    },
    shapeForHead(fingerprint, declared) {
      const hex = fingerprint.toString(16).padStart(8, '0');
      if (!declared) {
        const model = routes.byFingerprint.get(hex);
        if (model) return model.codec.shape;
        throw new ServingError(
          ServingErrorCode.MODEL_NOT_FOUND,
          `no served model pairs with head fingerprint ${hex}`,
        );
      }
      const versions = routes.byName.get(declared.name) ?? [];
      const named = declared.version ? versions.filter((m) => m.version === declared.version) : versions;
      if (named.length === 0) {
        const what = declared.version ? `${declared.name}@${declared.version}` : declared.name;
        throw new ServingError(ServingErrorCode.MODEL_NOT_FOUND, `model ${what} is not served here`);
      }
      for (const m of named) {
        const shape = m.codec.shapeOf(fingerprint);
        if (shape) return shape;
      }
      throw new FrameMismatchError(FrameMismatchCode.HEAD_MISMATCH, named[0]!.codec.headFingerprint, hex);
    },
    find: (name, version) => {
      const versions = routes.byName.get(name) ?? [];
      return version ? versions.find((m) => m.version === version) : versions[0];
    },
    reconcile: (names) =>
      serialise(async () => {
        if (closed) return;
        const entries = await scanRepository(options.modelsDir);
        for (const e of entries) {
          // Told once per change of the folder, not at every poll.
          if (e.error && refused.get(e.path)?.signature !== e.signature) {
            refused.set(e.path, { reason: e.error, signature: e.signature });
            emit({ type: 'refused', path: e.path, reason: e.error });
          }
        }
        const usable = entries.filter((e) => !e.error && (wanted.size === 0 || wanted.has(e.name!)));
        for (const n of names ?? []) unloaded.delete(n);
        const present = new Set(usable.map((e) => e.name!));
        const scope = new Set(names ?? [...present, ...routes.byName.keys()]);
        const current = routes.all;
        let next = current.filter((m) => !scope.has(m.name));
        for (const name of scope) {
          if (unloaded.has(name)) continue;
          next = next.concat(await reconcileName(name, usable, current));
        }
        const changed = next.length !== current.length || next.some((m) => !current.includes(m));
        if (changed) publish(next);
      }),
    unload: (name, version) =>
      serialise(async () => {
        if (!version) unloaded.add(name);
        const next = routes.all.filter(
          (m) => m.name !== name || (version !== undefined && m.version !== version),
        );
        if (next.length !== routes.all.length) publish(next);
      }),
    async index() {
      const entries = await scanRepository(options.modelsDir);
      const out: IndexEntry[] = [];
      for (const e of entries) {
        const loaded = routes.all.find((m) => m.dir === e.dir);
        out.push({
          name: e.name ?? '',
          version: e.version ?? '',
          state: loaded ? 'READY' : 'UNAVAILABLE',
          reason: refused.get(e.path)?.reason ?? (loaded ? '' : 'not loaded'),
          path: e.path,
        });
      }
      // Loaded versions whose folder has gone keep serving until a reconcile retires them.
      for (const m of routes.all) {
        if (!entries.some((e) => e.dir === m.dir)) {
          out.push({ name: m.name, version: m.version, state: 'READY', reason: 'folder removed', path: '' });
        }
      }
      return out;
    },
    onChange: (listener) => {
      listeners.push(listener);
    },
    idle: async () => {
      await Promise.all(routes.all.flatMap((m) => [m.batcher.idle(), m.full?.batcher.idle()]));
    },
    close: () =>
      serialise(async () => {
        closed = true;
        const all = routes.all;
        routes = buildRoutes([]);
        await Promise.all([...all.map((m) => retireServedModel(m)), ...retiring]);
      }),
  };
  return registry;
}
