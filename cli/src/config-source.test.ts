import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, fromEnv, mergeOptions, readConfigFile } from './config-source.js';
import { AGENT_ENV, SERVE_ENV } from './env-bindings.js';

describe('config - sources', () => {
  it('config - flags beat environment beat file beat defaults; nested objects merge', {
    timeout: 2000,
  }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'cleave-cfg-'));
    const file = join(dir, 'serve.yaml');
    writeFileSync(file, 'port: 7000\nworkers: 3\nbatching:\n  maxBatchSize: 16\n  enabled: true\n');
    const env = fromEnv(SERVE_ENV, {
      CLEAVE_SERVE_PORT: '7001',
      CLEAVE_SERVE_BATCHING: 'false',
      CLEAVE_SERVE_MODELS: 'a, b',
    });
    const merged = mergeOptions({ port: 50051, host: '127.0.0.1' }, readConfigFile(file), env, {
      port: 7002,
    });
    assert.deepEqual(merged, {
      port: 7002,
      host: '127.0.0.1',
      workers: 3,
      batching: { maxBatchSize: 16, enabled: false },
      models: ['a', 'b'],
    });
  });
  it('config - bad environment values and files are named in the error', { timeout: 2000 }, () => {
    assert.throws(
      () => fromEnv(SERVE_ENV, { CLEAVE_SERVE_PORT: 'eighty' }),
      /CLEAVE_SERVE_PORT=eighty: expected an integer/,
    );
    const dir = mkdtempSync(join(tmpdir(), 'cleave-cfg-'));
    const file = join(dir, 'bad.json');
    writeFileSync(file, '[1,2]');
    assert.throws(
      () => readConfigFile(file),
      (e: unknown) => e instanceof ConfigError && e.message.includes('bad.json'),
    );
    assert.throws(() => readConfigFile(join(dir, 'missing.yaml')), /missing.yaml: cannot read/);
  });
  it('config - newer options have their environment variables', { timeout: 2000 }, () => {
    assert.deepEqual(
      fromEnv(AGENT_ENV, { CLEAVE_AGENT_CLOUD_STREAMS: '8', CLEAVE_AGENT_CLOUD_BALANCING: 'pick_first' }),
      { agent: { cloud: { streams: 8, balancing: 'pick_first' } } },
    );
    // Budgets are numbers, not only integers.
    assert.deepEqual(fromEnv(AGENT_ENV, { CLEAVE_AGENT_ENERGY_BUDGET_MJ: '2.5' }), {
      agent: { policy: { energyBudgetMj: 2.5 } },
    });
    assert.throws(() => fromEnv(AGENT_ENV, { CLEAVE_AGENT_LATENCY_BUDGET_MS: 'soon' }), /expected a number/);
    assert.deepEqual(
      fromEnv(SERVE_ENV, { CLEAVE_SERVE_FULL: 'true', CLEAVE_SERVE_BATCHES_PER_WORKER: '3' }),
      {
        serveFull: true,
        batchesPerWorker: 3,
      },
    );
  });
});
