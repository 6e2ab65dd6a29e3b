// Entry of every session worker. Plain JavaScript so Node can start it with no loader at all.
// Workers do not inherit the TypeScript loader of `tsx` or `node --import tsx` on Node 20
// (privatenumber/tsx#354, nodejs/node#47747), so when the worker module is TypeScript this
// registers tsx itself, in its own namespace so it cannot clash with a loader that did carry over.
import { workerData } from 'node:worker_threads';

const module = workerData.module;
if (new URL(module).pathname.endsWith('.ts')) {
  const { register } = await import('tsx/esm/api');
  const api = register({ namespace: 'cleave-session-worker' });
  await api.import(module, import.meta.url);
} else {
  await import(module);
}
