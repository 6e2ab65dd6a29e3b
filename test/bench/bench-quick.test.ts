// cleave-test: light (it waits on warm-ups and idle measurement; the figures are the bench's, not asserted)
// `cleave bench --quick` (what CI runs as `npm run bench -- --quick`) end to end: every process
// it starts, a real link emulation (netem when the kernel has it, else the in-process shaper),
// and its results.json checked against the schema. Behaviour only: the figures are the bench's.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ResultsSchema } from '@cleave/bench';

const CLI = join(import.meta.dirname, '..', '..', 'cli', 'bin', 'cleave.js');
const LIMIT_MS = 420_000;

test('bench --quick writes results.json that matches the schema, report.md and plots', {
  timeout: LIMIT_MS + 30_000,
}, async () => {
  const out = mkdtempSync(join(tmpdir(), 'cleave-bench-quick-'));
  try {
    const child = spawn(process.execPath, [CLI, 'bench', '--quick', '--out', out], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LOG_LEVEL: 'warn' },
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-6000)));
    child.stdout.resume();
    const timer = setTimeout(() => child.kill('SIGKILL'), LIMIT_MS);
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    clearTimeout(timer);
    assert.equal(code, 0, stderr);

    const results = ResultsSchema.parse(JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')));
    assert.equal(results.settings.quick, true);
    assert.deepEqual(results.settings.links, ['lte', '3g']);
    // One regime per link × device × F, each with every strategy, the policy included.
    assert.equal(results.regimes.length, 2);
    const ids = results.strategies.map((s) => s.id);
    for (const g of results.regimes) {
      assert.deepEqual(
        g.strategies.map((s) => s.strategy).sort(),
        ids.filter((id) => !id.startsWith('policy-') || id === `policy-${g.device}`).sort(),
      );
      for (const s of g.strategies) {
        assert.equal(s.degraded, 0, `${g.link} ${s.strategy}: no answer may be degraded on a healthy link`);
        assert.ok(s.latencyMs.p95 >= s.latencyMs.p50);
        assert.ok(Math.abs(s.energyMj.total - s.energyMj.compute - s.energyMj.radio) < 1e-9);
      }
      const local = g.strategies.find((s) => s.strategy === 'local-only')!;
      assert.equal(local.bytesUpPerInference, 0);
      assert.equal(local.energyMj.radio, 0);
      const raw = g.strategies.find((s) => s.strategy === 'offload-raw')!;
      assert.equal(raw.offloadShare, 1);
      assert.ok(raw.bytesUpPerInference > results.rawInputBytes, 'raw offload sends the whole input');
      // Over the emulated link the round trip is at least two one-way delays.
      const link = results.links.find((l) => l.link.name === g.link)!.link;
      assert.ok(raw.latencyMs.p50 >= 2 * link.delayMs, `${g.link}: ${raw.latencyMs.p50} ms`);
    }
    // The report says which emulation was used and why.
    assert.ok(results.emulation.reason.length > 0);
    if (results.emulation.kind === 'shaper') {
      assert.ok(results.links.every((l) => l.shaper && l.shaper.up.payloadBytes > 0));
    }
    const teacher = results.accuracy.find((a) => a.strategy === 'local-only')!;
    assert.equal(teacher.requests, results.settings.accuracyImages);
    // Lossless offload answers as the teacher does.
    assert.equal(results.accuracy.find((a) => a.strategy === 'offload-webp')!.accuracy, teacher.accuracy);
    assert.ok(results.scale && results.scale.runs.length === 6);
    const report = readFileSync(join(out, 'report.md'), 'utf8');
    assert.match(report, new RegExp(`Link emulation: \\*\\*${results.emulation.kind}\\*\\*`));
    assert.match(report, /## Must show/);
    assert.match(report, new RegExp(results.commit));
    for (const f of ['rate-accuracy.svg', 'latency-cdf-lte.svg', 'energy-3g.svg']) {
      assert.ok(existsSync(join(out, f)), f);
      assert.match(readFileSync(join(out, f), 'utf8'), /^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
