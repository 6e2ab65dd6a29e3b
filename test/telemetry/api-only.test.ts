// DESIGN.md: library code depends only on @opentelemetry/api; only entry points load the SDK.
// So importing '@cleave/telemetry' (what edge-agent, cloud-server and services/* use) must load no
// OpenTelemetry package but the API, while '@cleave/telemetry-sdk' brings the SDK.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, it } from 'node:test';

const root = path.join(import.meta.dirname, '..', '..');

function openTelemetryPackagesLoadedBy(specifier: string): string[] {
  const script = `
    import { createRequire } from 'node:module';
    await import(${JSON.stringify(specifier)});
    const loaded = Object.keys(createRequire(import.meta.url).cache)
      .map((file) => /node_modules\\/(@opentelemetry\\/[^/]+)\\//.exec(file)?.[1])
      .filter((name) => name !== undefined);
    console.log(JSON.stringify([...new Set(loaded)].sort()));
  `;
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: root,
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '[]') as string[];
}

describe('telemetry - API-only main entry', { timeout: 60_000 }, () => {
  it('telemetry - importing @cleave/telemetry loads @opentelemetry/api and nothing else of OpenTelemetry', {
    timeout: 30_000,
  }, () => {
    assert.deepEqual(openTelemetryPackagesLoadedBy('@cleave/telemetry'), ['@opentelemetry/api']);
  });

  it('telemetry - importing @cleave/telemetry/otel loads the SDK', { timeout: 30_000 }, () => {
    const loaded = openTelemetryPackagesLoadedBy('@cleave/telemetry-sdk');
    for (const name of [
      '@opentelemetry/sdk-metrics',
      '@opentelemetry/sdk-trace-base',
      '@opentelemetry/exporter-prometheus',
    ]) {
      assert.ok(loaded.includes(name), `${name} in ${loaded.join(', ')}`);
    }
  });

  // The SDK 2.x line (the one that runs on Node 20) takes @opentelemetry/api <1.10. A package
  // that asks for ^1.10 gets its own nested 1.10 copy, and API 1.10 refuses globals registered
  // by 1.9: its instruments and tracers stay no-ops even with the SDK running. Every workspace
  // must resolve the one copy the SDK uses.
  it('telemetry - every workspace resolves the same @opentelemetry/api as the SDK', {
    timeout: 10_000,
  }, () => {
    const resolveFrom = (dir: string) =>
      createRequire(path.join(root, dir, 'package.json')).resolve('@opentelemetry/api');
    const sdk = createRequire(
      createRequire(path.join(root, 'package.json')).resolve('@opentelemetry/sdk-metrics'),
    ).resolve('@opentelemetry/api');
    for (const dir of [
      'edge-agent',
      'cloud-server',
      'cli',
      'services/telemetry',
      'services/telemetry-sdk',
      'test',
    ]) {
      assert.equal(resolveFrom(dir), sdk, `${dir} resolves its own @opentelemetry/api copy`);
    }
  });
});
