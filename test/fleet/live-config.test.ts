// Must show: changing a threshold in KV changes the agent's decisions within 1 s, with no
// restart; the narrowest key wins; an invalid value is refused on the status subject and the
// last good configuration stays. Against a real nats-server -js on loopback.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  type ConfigStatus,
  connectNats,
  type FleetAgent,
  type FleetResources,
  joinFleetAsAgent,
  openFleetResources,
  statusKey,
  statusSubject,
  updateLayer,
} from '@cleave/control';
import { imageAt, loadFashionMnist } from '@cleave/dataset';
import { type Agent, type Answer, createAgent } from '@cleave/edge-agent';
import type { NatsConnection } from 'nats';
import { type NatsServer, startNatsServer } from '../support/nats-server.js';
import { DEFAULT_BUNDLE, MODELS_DIR } from '../support/shipped-bundles.js';

describe('fleet live configuration', { timeout: 120_000 }, () => {
  let nats: NatsServer;
  let operator: NatsConnection;
  let res: FleetResources;
  let agent: Agent;
  let member: FleetAgent;
  let stateDir: string;
  let pixels: Uint8Array[];

  before(async () => {
    nats = await startNatsServer();
    operator = await connectNats({ servers: nats.url });
    res = await openFleetResources(operator);
    stateDir = mkdtempSync(join(tmpdir(), 'cleave-fleet-live-'));
    const set = await loadFashionMnist({ split: 'validation', limit: 40 });
    pixels = Array.from({ length: set.count }, (_, i) => imageAt(set, i));
    agent = await createAgent({
      bundleDir: join(MODELS_DIR, DEFAULT_BUNDLE),
      id: 'edge-1',
      mode: 'edge-only',
      stages: { cache: false },
      energy: { enabled: false },
    });
    member = await joinFleetAsAgent({
      nats: { servers: nats.url, reconnectTimeWaitMs: 100 },
      agent,
      group: 'lab',
      stateDir,
      heartbeatMs: 200,
    });
  });
  after(async () => {
    await member?.close();
    await agent?.close();
    await operator?.close();
    await nats?.close();
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  });

  const decide = async (): Promise<Answer[]> =>
    Promise.all(pixels.map((data) => agent.infer({ kind: 'pixels', data })));
  /** Polls decisions until `ok` holds; returns the ms it took. */
  async function until(ok: (answers: Answer[]) => boolean, limitMs: number): Promise<number> {
    const t0 = performance.now();
    for (;;) {
      if (ok(await decide())) return performance.now() - t0;
      if (performance.now() - t0 > limitMs) assert.fail(`decisions did not change within ${limitMs} ms`);
    }
  }
  async function configStatus(): Promise<ConfigStatus> {
    const e = await res.status.get(statusKey('config', 'edge-1'));
    assert.ok(e, 'a config status was stored');
    return e.json<ConfigStatus>();
  }

  it('a threshold put in KV changes the decisions within 1 s', async () => {
    const before = await decide();
    const exits = before.filter((a) => a.source === 'exit').length;
    assert.ok(exits > 0 && exits < before.length, `a mix of exits and dual answers at first (${exits})`);

    await updateLayer(res.config, { group: 'lab' }, { 'gate.threshold': 2 });
    // No answer leaves at the exit gate any more: the ones that did now go to the dual CNNs.
    const ms = await until((as) => as.every((a) => a.gate.stage !== 'exit' || a.gate.threshold === 2), 1000);
    assert.ok(ms < 1000, `applied in ${ms.toFixed(0)} ms`);
    assert.equal(agent.liveConfig().effective.exitThreshold, 2);

    await updateLayer(res.config, { group: 'lab' }, { 'gate.threshold': 0 });
    const back = await until((as) => as.every((a) => a.source === 'exit'), 1000);
    assert.ok(back < 1000, `applied in ${back.toFixed(0)} ms`);
  });

  it('the narrowest key wins: agent over group over fleet', async () => {
    await updateLayer(res.config, { fleet: true }, { 'gate.threshold': 2, 'stages.dual': false });
    await updateLayer(res.config, { agent: 'edge-1' }, { 'gate.threshold': 0.5 });
    await until(() => agent.liveConfig().effective.exitThreshold === 0.5, 1000);
    const live = agent.liveConfig();
    assert.equal(live.stages.dual, false, 'the fleet key applies where nothing narrower sets it');
    assert.equal(live.effective.dualThreshold, null);
    await updateLayer(res.config, { agent: 'edge-1' }, { 'gate.threshold': undefined });
    await until(() => agent.liveConfig().effective.exitThreshold === 0, 1000); // the group's
    await updateLayer(res.config, { group: 'lab' }, { 'gate.threshold': undefined });
    await until(() => agent.liveConfig().effective.exitThreshold === 2, 1000); // the fleet's
  });

  it('an invalid value is refused on the status subject and the last good one stays', async () => {
    const sub = operator.subscribe(statusSubject('config', 'edge-1'));
    const seen: ConfigStatus[] = [];
    void (async () => {
      for await (const m of sub) seen.push(m.json<ConfigStatus>());
    })();
    await updateLayer(res.config, { agent: 'edge-1' }, { 'gate.threshold': 'high', 'stages.exit': false });
    await until(() => seen.some((s) => !s.ok), 1000);
    const refused = seen.find((s) => !s.ok)!;
    assert.equal(refused.key, 'agent.edge-1');
    assert.match(refused.error ?? '', /gate\.threshold/);
    assert.equal(agent.liveConfig().effective.exitThreshold, 2, 'last good threshold kept');
    assert.equal(agent.liveConfig().stages.exit, true, 'nothing of the refused key applied');
    assert.equal((await configStatus()).ok, false);

    await res.config.put('agent.edge-1', new TextEncoder().encode('{not json'));
    await until(() => seen.some((s) => !s.ok && /not JSON/.test(s.error ?? '')), 1000);
    assert.equal(agent.liveConfig().effective.exitThreshold, 2);

    // A good value on another key still applies on top of the last good ones.
    await updateLayer(res.config, { fleet: true }, { 'gate.threshold': 1.5 });
    await until(() => agent.liveConfig().effective.exitThreshold === 1.5, 1000);
    sub.unsubscribe();
  });
});
