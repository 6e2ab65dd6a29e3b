// Must show: `cleave fleet ls` shows the agents and servers of the test with their versions.
// `cleave serve --nats` and `cleave agent --nats` run as processes; the agent, started without a
// cloud endpoint, finds the server in the registry. The CLI's config set/status/rollout too.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startServeProcess } from '@cleave/cli/serve-process';
import {
  type ConfigStatus,
  connectNats,
  type FleetResources,
  listMembers,
  type MemberRecord,
  openFleetResources,
  statusKey,
} from '@cleave/control';
import type { NatsConnection } from 'nats';
import { type NatsServer, startNatsServer } from '../support/nats-server.js';

const CLI = join(import.meta.dirname, '..', '..', 'cli', 'bin', 'cleave.js');

function cleave(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, 'fleet', ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('cleave fleet ls with cleave serve and cleave agent processes', { timeout: 180_000 }, () => {
  let nats: NatsServer;
  let operator: NatsConnection;
  let res: FleetResources;
  let serve: Awaited<ReturnType<typeof startServeProcess>>;
  let agent: ChildProcess;
  let dir: string;

  before(async () => {
    nats = await startNatsServer();
    operator = await connectNats({ servers: nats.url });
    res = await openFleetResources(operator);
    dir = mkdtempSync(join(tmpdir(), 'cleave-fleet-ls-'));
    serve = await startServeProcess([
      '--model',
      'fmnist-c6b2',
      '--workers',
      '1',
      '--nats',
      nats.url,
      '--fleet-id',
      'tail-1',
    ]);
    agent = spawn(
      process.execPath,
      [
        CLI,
        'agent',
        '--http-port',
        '0',
        '--nats',
        nats.url,
        '--group',
        'lab',
        '--fleet-state',
        join(dir, 'state'),
      ],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
        env: { ...process.env, LOG_LEVEL: 'warn', CLEAVE_AGENT_ID: 'edge-a', CLEAVE_AGENT_WORKERS: '1' },
      },
    );
    let members: MemberRecord[] = [];
    for (let t = 0; ; t++) {
      members = await listMembers(res.registry);
      if (members.some((m) => m.id === 'edge-a') && members.some((m) => m.id === 'tail-1' && m.ready)) break;
      assert.ok(t < 600, `agent and server registered within 60 s: ${JSON.stringify(members)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  after(async () => {
    if (agent && agent.exitCode === null) {
      agent.kill('SIGTERM');
      await new Promise((r) => agent.once('exit', r));
    }
    await serve?.stop();
    await operator?.close();
    await nats?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('lists the agent and the server with their versions and endpoints', () => {
    const r = cleave('ls', '--nats', nats.url);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n');
    assert.match(lines[0]!, /^KIND\s+ID\s+GROUP\s+VERSIONS\s+ENDPOINT/);
    const server = lines.find((l) => /^server\s+tail-1\s/.test(l));
    const edge = lines.find((l) => /^agent\s+edge-a\s/.test(l));
    assert.ok(server, r.stdout);
    assert.ok(edge, r.stdout);
    assert.match(server, new RegExp(`fmnist-c6b2@1\\.0\\.0\\s+127\\.0\\.0\\.1:${serve.port}\\s.*ready$`));
    assert.match(edge, /^agent\s+edge-a\s+lab\s+fmnist-c6b2@1\.0\.0\s/);

    const json = JSON.parse(cleave('ls', '--nats', nats.url, '--json').stdout) as MemberRecord[];
    assert.deepEqual(json.map((m) => `${m.kind}:${m.id}:${m.versions.join()}`).sort(), [
      'agent:edge-a:fmnist-c6b2@1.0.0',
      'server:tail-1:fmnist-c6b2@1.0.0',
    ]);
  });

  it('the agent found the tail server in the registry', async () => {
    for (let t = 0; ; t++) {
      const e = await res.status.get(statusKey('config', 'edge-a'));
      const s = e?.json<ConfigStatus>();
      const target = (s?.applied as { cloud?: { target?: string } } | undefined)?.cloud?.target;
      if (target === `127.0.0.1:${serve.port}`) break;
      assert.ok(t < 100, `discovered cloud target: ${JSON.stringify(s)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  it('config set refuses what agents would refuse; status and rollout report per agent', async () => {
    const bad = cleave('config', 'set', '--nats', nats.url, '--group', 'lab', 'gate.threshold=high');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /gate\.threshold/);
    const good = cleave(
      'config',
      'set',
      '--nats',
      nats.url,
      '--group',
      'lab',
      'gate.threshold=0.95',
      'stages.dual=false',
    );
    assert.equal(good.code, 0, good.stderr);
    const got = JSON.parse(cleave('config', 'get', '--nats', nats.url, '--group', 'lab').stdout);
    assert.deepEqual(got, { gate: { threshold: 0.95 }, stages: { dual: false } });

    const push = cleave('push', '--nats', nats.url, 'fmnist-c6b2');
    assert.equal(push.code, 0, push.stderr);
    assert.match(push.stdout, /pushed fmnist-c6b2@1\.0\.0 with 64 self-test samples/);
    const rollout = cleave(
      'rollout',
      '--nats',
      nats.url,
      'fmnist-c6b2@1.0.0',
      '--group',
      'lab',
      '--wait-ms',
      '30000',
    );
    assert.equal(rollout.code, 0, rollout.stdout + rollout.stderr);
    assert.match(rollout.stdout, /edge-a\s+lab\s+fmnist-c6b2@1\.0\.0\s+active/);
    const status = cleave('status', '--nats', nats.url);
    assert.match(status.stdout, /edge-a\s+applied\s+group\.lab/);
    assert.ok(readFileSync(join(dir, 'state', 'spool', 'state.json'), 'utf8').includes('epoch'));
  });
});
