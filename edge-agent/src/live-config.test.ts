// Live settings and bundle swaps on a real agent (the shipped fmnist-c6b2 bundle, no cloud).
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AgentInput } from '@cleave/models';
import { type Agent, createAgent } from './agent.js';
import { resolveAgentOptions } from './agent-options.js';
import { SELF_TEST_FILE } from './bundle-runtime.js';
import { applyLivePatch, BundleSwapError, LiveConfigError } from './live-config.js';

const BUNDLE = join(import.meta.dirname, '..', '..', 'models', 'fmnist-c6b2');

/** Deterministic noise images: different enough that the gates disagree about them. */
function images(n: number): AgentInput[] {
  let seed = 12345;
  const next = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed;
  };
  return Array.from({ length: n }, () => ({
    kind: 'pixels' as const,
    data: Uint8Array.from({ length: 784 }, () => next() % 256),
  }));
}

async function copyBundle(root: string, name: string, version: string): Promise<string> {
  const dir = join(root, name);
  await cp(BUNDLE, dir, { recursive: true });
  const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
  manifest.version = version;
  await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
  return dir;
}

describe('applyLivePatch', () => {
  const base = resolveAgentOptions({ bundleDir: BUNDLE, gate: { threshold: 0.5 } });
  it('applies a patch and validates it against the agent options', () => {
    const next = applyLivePatch(base, {
      gate: { threshold: null, dualThreshold: 0.7 },
      stages: { dual: false },
      policy: { latencyBudgetMs: 40 },
      cloud: { target: '127.0.0.1:1', timeoutMs: 500 },
    });
    assert.equal(next.gate.threshold, undefined, 'null returns to the bundle threshold');
    assert.equal(next.gate.dualThreshold, 0.7);
    assert.equal(next.stages.dual, false);
    assert.equal(next.stages.exit, true);
    assert.equal(next.policy.latencyBudgetMs, 40);
    assert.equal(next.cloud.timeoutMs, 500);
    assert.equal(base.gate.threshold, 0.5, 'the input is not changed');
  });
  it('refuses unknown keys and out-of-range values, naming the field', () => {
    assert.throws(
      () => applyLivePatch(base, { gate: { treshold: 0.3 } }),
      (e: unknown) => e instanceof LiveConfigError && /gate/.test(e.message) && /treshold/.test(e.message),
    );
    assert.throws(
      () => applyLivePatch(base, { policy: { probeIntervalMs: 5 } }),
      (e: unknown) =>
        e instanceof LiveConfigError && e.issues.some((i) => i.startsWith('policy.probeIntervalMs')),
    );
    assert.throws(() => applyLivePatch(base, { mode: 'sometimes' }), LiveConfigError);
    assert.throws(() => applyLivePatch(base, 'threshold=0.3'), LiveConfigError);
  });
});

describe('agent live settings and bundle swap', { timeout: 120_000 }, () => {
  let agent: Agent;
  let root: string;
  const inputs = images(24);
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'cleave-live-'));
    agent = await createAgent({ bundleDir: BUNDLE, mode: 'edge-only', energy: { enabled: false } });
  });
  after(async () => {
    await agent?.close();
    await rm(root, { recursive: true, force: true });
  });

  it('reconfigure changes the decisions at once, and a refused patch changes nothing', async () => {
    agent.reconfigure({ stages: { cache: false, dual: false } });
    const sources = async () => Promise.all(inputs.map(async (i) => (await agent.infer(i)).source));
    const applied = agent.reconfigure({ gate: { threshold: 0 } });
    assert.equal(applied.effective.exitThreshold, 0);
    assert.ok((await sources()).every((s) => s === 'exit'));
    agent.reconfigure({ gate: { threshold: 2 } });
    const answers = await Promise.all(inputs.map((i) => agent.infer(i)));
    assert.ok(answers.every((a) => a.gate.stage === 'exit' && a.gate.threshold === 2 && !a.degraded));

    assert.throws(() => agent.reconfigure({ gate: { scoreFunction: 'no-such-score' } }), LiveConfigError);
    assert.throws(() => agent.reconfigure({ cloud: { timeoutMs: -1 } }), LiveConfigError);
    assert.equal(agent.liveConfig().gate.threshold, 2, 'the last good settings stay');
    const back = agent.reconfigure({ gate: { threshold: null }, stages: { dual: true } });
    const calibrated = agent.bundle.manifest.gates.exit.thresholds['max-softmax'];
    assert.equal(back.effective.exitThreshold, calibrated);
    assert.ok(back.effective.dualThreshold !== null, 'dual switched back on');
  });

  it('swaps in a new version under load, and refuses a corrupt one while the old serves', async () => {
    const good = await copyBundle(root, 'good', '1.1.0');
    const load = Promise.all(inputs.concat(inputs).map((i) => agent.infer(i)));
    const result = await agent.swapBundle(good);
    assert.deepEqual(result.to, { name: 'fmnist-c6b2', version: '1.1.0' });
    assert.equal(result.selfTest.source, 'smoke');
    const during = await load;
    assert.equal(during.length, 48, 'every request in flight during the swap was answered');
    assert.equal((await agent.infer(inputs[0]!)).model.version, '1.1.0');

    const bad = await copyBundle(root, 'bad', '1.2.0');
    const head = await readFile(join(bad, 'head.onnx'));
    head[head.length >> 1]! ^= 0x01;
    await writeFile(join(bad, 'head.onnx'), head);
    await assert.rejects(
      agent.swapBundle(bad),
      (e: unknown) => e instanceof BundleSwapError && e.stage === 'load' && /head\.onnx/.test(e.message),
    );
    assert.equal((await agent.infer(inputs[1]!)).model.version, '1.1.0');
    assert.equal(agent.liveConfig().bundle.version, '1.1.0');
  });

  it('refuses a bundle whose embedded self-test it fails', async () => {
    const dir = await copyBundle(root, 'wrong', '1.3.0');
    // Labels the bundle will not give: the answer of the current bundle, shifted by one class.
    const samples = [];
    for (const input of inputs.slice(0, 8)) {
      const label = ((await agent.infer(input)).label + 1) % 10;
      samples.push({ label, pixels: Buffer.from((input as { data: Uint8Array }).data).toString('base64') });
    }
    await writeFile(
      join(dir, SELF_TEST_FILE),
      JSON.stringify({ version: 1, source: 'noise', minAccuracy: 0.5, samples }),
    );
    await assert.rejects(
      agent.swapBundle(dir),
      (e: unknown) =>
        e instanceof BundleSwapError && e.stage === 'self-test' && /below 50\.0%/.test(e.message),
    );
    assert.equal(agent.bundle.manifest.version, '1.1.0');
  });
});
