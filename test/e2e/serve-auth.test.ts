// Nobody without credentials gets in: the tail server with mutual TLS (certificates from
// deploy/tls/make-dev-ca.sh) and bearer tokens. A good agent gets cloud answers; a wrong token
// gets UNAUTHENTICATED (the agent answers locally, degraded); no client certificate gets no
// connection; HTTP infer wants the token too; health stays open for probes.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTailServer, type TailServer } from '@cleave/cloud-server';
import { imageAt, loadFashionMnist } from '@cleave/dataset';
import { type Agent, createAgent } from '@cleave/edge-agent';
import { DEFAULT_BUNDLE, MODELS_DIR } from '../support/shipped-bundles.js';

const SCRIPT = join(import.meta.dirname, '..', '..', 'deploy', 'tls', 'make-dev-ca.sh');
const TOKEN = 'agent-one-token-0123456789abcdef';

describe('serve - authentication and transport security', { timeout: 120_000 }, () => {
  let dir: string;
  let server: TailServer;
  let data: Awaited<ReturnType<typeof loadFashionMnist>>;
  const agents: Agent[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cleave-tls-'));
    execFileSync('bash', [SCRIPT, dir, '--client', 'agent-1'], { timeout: 30_000 });
    server = await createTailServer({
      modelsDir: MODELS_DIR,
      models: [DEFAULT_BUNDLE],
      port: 0,
      http: { port: 0 },
      workers: 1,
      tls: {
        certFile: join(dir, 'server.pem'),
        keyFile: join(dir, 'server-key.pem'),
        caFile: join(dir, 'ca.pem'),
        requireClientCert: true,
      },
      auth: { tokens: [{ id: 'agent-1', token: TOKEN }] },
    });
    data = await loadFashionMnist({ split: 'test', limit: 10 });
  });
  after(async () => {
    for (const a of agents) await a.close();
    await server?.drain();
    rmSync(dir, { recursive: true, force: true });
  });

  const agentWith = async (cloud: Record<string, unknown>) => {
    const agent = await createAgent({
      bundleDir: join(MODELS_DIR, DEFAULT_BUNDLE),
      mode: 'cloud-only',
      energy: { enabled: false },
      cloud: { target: `localhost:${server.port}`, timeoutMs: 5000, ...cloud },
    });
    agents.push(agent);
    return agent;
  };
  const mtls = () => ({
    caFile: join(dir, 'ca.pem'),
    certFile: join(dir, 'agent-1.pem'),
    keyFile: join(dir, 'agent-1-key.pem'),
  });

  it('auth - certificate and token: the cloud answers', { timeout: 30_000 }, async () => {
    const agent = await agentWith({ tls: mtls(), token: TOKEN });
    const a = await agent.infer({ kind: 'pixels', data: imageAt(data, 0) });
    assert.equal(a.source, 'cloud', a.reason);
  });

  it('auth - a wrong or missing token gets UNAUTHENTICATED', { timeout: 30_000 }, async () => {
    for (const cloud of [{ tls: mtls(), token: 'not-the-token-0123456789' }, { tls: mtls() }]) {
      const agent = await agentWith(cloud);
      const a = await agent.infer({ kind: 'pixels', data: imageAt(data, 1) });
      assert.equal(a.source, 'fallback');
      assert.ok(a.degraded);
      assert.match(a.reason ?? '', /UNAUTHENTICATED/);
    }
  });

  it('auth - without a client certificate there is no connection', { timeout: 30_000 }, async () => {
    const agent = await agentWith({ tls: { caFile: join(dir, 'ca.pem') }, token: TOKEN });
    const a = await agent.infer({ kind: 'pixels', data: imageAt(data, 2) });
    assert.equal(a.source, 'fallback');
    assert.match(a.reason ?? '', /UNAVAILABLE/);
    const plain = await agentWith({ token: TOKEN });
    const b = await plain.infer({ kind: 'pixels', data: imageAt(data, 3) });
    assert.equal(b.source, 'fallback', 'plaintext to a TLS port fails');
  });

  it('auth - HTTP infer wants the token; health stays open', { timeout: 10_000 }, async () => {
    const base = `http://127.0.0.1:${server.httpPort}`;
    assert.equal((await fetch(`${base}/v2/health/ready`)).status, 200);
    const body = JSON.stringify({
      inputs: [{ name: 'frame', datatype: 'BYTES', shape: [1], data: ['AAAA'] }],
    });
    const infer = `${base}/v2/models/${DEFAULT_BUNDLE}/infer`;
    assert.equal((await fetch(infer, { method: 'POST', body })).status, 401);
    const withToken = await fetch(infer, {
      method: 'POST',
      body,
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    assert.equal(withToken.status, 400, 'past auth, the garbage frame is refused');
  });
});
