// Must show: a rollout to 3 agents in one process. A good bundle (a new manifest version) is
// served by all three; a bundle with one flipped byte is refused by all three, and each keeps
// serving the old version without a failed request. Against a real nats-server -js.
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  awaitRollout,
  connectNats,
  type FleetAgent,
  type FleetResources,
  fashionMnistSelfTest,
  joinFleetAsAgent,
  listMembers,
  openFleetResources,
  pushBundle,
  startRollout,
} from '@cleave/control';
import { imageAt, loadFashionMnist } from '@cleave/dataset';
import { type Agent, createAgent } from '@cleave/edge-agent';
import { loadBundle } from '@cleave/models';
import type { NatsConnection } from 'nats';
import { type NatsServer, startNatsServer } from '../support/nats-server.js';
import { DEFAULT_BUNDLE, MODELS_DIR } from '../support/shipped-bundles.js';

const IDS = ['pi-1', 'pi-2', 'jetson-1'];

async function bundleCopy(root: string, version: string, flip?: string): Promise<string> {
  const dir = join(root, `bundle-${version}`);
  await cp(join(MODELS_DIR, DEFAULT_BUNDLE), dir, { recursive: true });
  const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
  manifest.version = version;
  await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
  if (flip) {
    const bytes = await readFile(join(dir, flip));
    bytes[bytes.length >> 1]! ^= 0x10;
    await writeFile(join(dir, flip), bytes);
  }
  return dir;
}

describe('fleet rollout to 3 agents', { timeout: 400_000 }, () => {
  let nats: NatsServer;
  let operator: NatsConnection;
  let res: FleetResources;
  let root: string;
  const agents: Agent[] = [];
  const members: FleetAgent[] = [];
  // A steady load on all three agents for the whole test: every request must be answered.
  let loading = true;
  let load: Promise<void> = Promise.resolve();
  const served: Array<{ agent: string; version: string }> = [];
  const failures: string[] = [];

  before(async () => {
    nats = await startNatsServer();
    operator = await connectNats({ servers: nats.url });
    res = await openFleetResources(operator);
    root = await mkdtemp(join(tmpdir(), 'cleave-rollout-'));
    for (const id of IDS) {
      const agent = await createAgent({
        bundleDir: join(MODELS_DIR, DEFAULT_BUNDLE),
        id,
        mode: 'edge-only',
        stages: { cache: false },
        energy: { enabled: false },
      });
      agents.push(agent);
      members.push(
        await joinFleetAsAgent({
          nats: { servers: nats.url },
          agent,
          group: 'field',
          stateDir: join(root, id),
          heartbeatMs: 250,
        }),
      );
    }
    const set = await loadFashionMnist({ split: 'test', limit: 30 });
    load = (async () => {
      for (let i = 0; loading; i++) {
        const agent = agents[i % agents.length]!;
        try {
          const a = await agent.infer({ kind: 'pixels', data: imageAt(set, i % set.count) });
          served.push({ agent: agent.options.id, version: a.model.version });
        } catch (error) {
          failures.push(`${agent.options.id}: ${(error as Error).message}`);
        }
      }
    })();
    for (let t = 0; (await listMembers(res.registry)).length < IDS.length; t++) {
      assert.ok(t < 100, 'the three agents announced themselves');
      await new Promise((r) => setTimeout(r, 50));
    }
  });
  after(async () => {
    loading = false;
    await load;
    for (const m of members) await m.close();
    for (const a of agents) await a.close();
    await operator?.close();
    await nats?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('a canary share moves first, then a good bundle is served by all three', {
    timeout: 200_000,
  }, async () => {
    const good = await bundleCopy(root, '1.1.0');
    const selfTest = await fashionMnistSelfTest((await loadBundle(good)).manifest);
    assert.ok(selfTest && selfTest.samples.length === 64 && selfTest.minAccuracy > 0.5);
    const pushed = await pushBundle(await res.models(), good, { selfTest });
    assert.ok(pushed.objects.every((o) => o.digest.startsWith('SHA-256=')));

    const canary = await startRollout(res, 'fmnist-c6b2@1.1.0', 'field', 33);
    assert.deepEqual(canary.agents, ['jetson-1'], 'ceil(33% of 3) = 1 agent, the first by id');
    const [first] = await awaitRollout(res.status, 'fmnist-c6b2@1.1.0', canary.agents, 90_000);
    assert.equal(first?.state, 'active', first?.reason ?? '');
    assert.deepEqual(
      agents.map((a) => a.bundle.manifest.version),
      ['1.0.0', '1.0.0', '1.1.0'],
    );

    const plan = await startRollout(res, 'fmnist-c6b2@1.1.0', 'field');
    assert.deepEqual([...plan.agents].sort(), [...IDS].sort());
    const statuses = await awaitRollout(res.status, 'fmnist-c6b2@1.1.0', IDS, 90_000);
    for (const s of statuses) {
      assert.equal(s.state, 'active', `${s.id}: ${s.reason}`);
      assert.equal(s.serving, 'fmnist-c6b2@1.1.0');
      assert.equal((s.selfTest as { samples: number }).samples, 64, 'self-test on the embedded samples');
    }
    const since = served.length;
    await new Promise((r) => setTimeout(r, 300));
    const after = served.slice(since);
    for (const id of IDS)
      assert.ok(
        after.some((s) => s.agent === id && s.version === '1.1.0'),
        `${id} serves 1.1.0`,
      );
    assert.ok(after.every((s) => s.version === '1.1.0'));
  });

  it('a bundle with one flipped byte is refused by all three; the old version serves on', {
    timeout: 150_000,
  }, async () => {
    const bad = await bundleCopy(root, '1.2.0', 'tail.onnx');
    await pushBundle(await res.models(), bad, { verify: false });
    const since = served.length;
    await startRollout(res, 'fmnist-c6b2@1.2.0', 'field');
    const statuses = await awaitRollout(res.status, 'fmnist-c6b2@1.2.0', IDS, 90_000);
    for (const s of statuses) {
      assert.equal(s.state, 'rolled-back', `${s.id}: ${s.state}`);
      assert.equal(s.step, 'sha256');
      assert.match(s.reason ?? '', /tail\.onnx: sha256 [0-9a-f]{64} does not match the manifest/);
      assert.equal(s.serving, 'fmnist-c6b2@1.1.0');
    }
    await new Promise((r) => setTimeout(r, 300));
    const during = served.slice(since);
    assert.ok(during.length > 0);
    assert.ok(
      during.every((s) => s.version === '1.1.0'),
      'every answer came from the old version',
    );
    assert.deepEqual(
      agents.map((a) => a.bundle.manifest.version),
      ['1.1.0', '1.1.0', '1.1.0'],
    );
    assert.deepEqual(failures, [], 'no request failed during either rollout');
  });
});
