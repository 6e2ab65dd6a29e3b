// `cleave bench wire` as a user runs it: the legacy form, the compact form one request per
// message (--no-bundle), then the compact form with bundles against the legacy one with
// --previous. The JSON holds every direction's counts from the proxy, the bytes add up, and the
// comparison is made and said.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { WireResults } from '@cleave/bench';

const CLI = join(import.meta.dirname, '..', '..', 'cli', 'bin', 'cleave.js');

function benchWire(args: string[]): { json: WireResults; stdout: string } {
  const r = spawnSync(
    process.execPath,
    [CLI, 'bench', 'wire', '--bundles', 'fmnist-c4b2', '--requests', '200', ...args],
    {
      encoding: 'utf8',
      timeout: 120_000,
    },
  );
  assert.equal(r.status, 0, r.stderr);
  const file = args[args.indexOf('--json') + 1]!;
  return { json: JSON.parse(readFileSync(file, 'utf8')) as WireResults, stdout: r.stdout };
}

describe('bench - wire', () => {
  it('bench - wire: per offload counts from the proxy, legacy against compact, the radio energy fall said', {
    timeout: 240_000,
  }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'cleave-bench-wire-'));
    try {
      const legacy = benchWire(['--form', 'legacy', '--json', join(dir, 'legacy.json')]).json;
      const single = benchWire(['--no-bundle', '--json', join(dir, 'single.json')]).json;
      const { json: compact, stdout } = benchWire([
        '--json',
        join(dir, 'compact.json'),
        '--previous',
        join(dir, 'legacy.json'),
      ]);
      assert.deepEqual(
        [legacy, single, compact].map((r) => r.settings.bundled),
        [false, false, true],
      );
      for (const r of [legacy, single, compact]) {
        const row = r.bundles[0]!;
        assert.equal(row.bundle, 'fmnist-c4b2');
        for (const d of [row.up, row.down]) {
          // Every byte is a message's or HTTP/2's.
          assert.ok(Math.abs(d.bytes - d.messageBytes - d.http2Bytes) < 1e-9);
          assert.ok(d.http2Bytes > 0 && d.dataFrames > 0);
          if (d.segments !== null) assert.ok(Math.abs(d.ipBytes! - d.bytes - 40 * d.segments) < 1e-6);
        }
        // The server writes the answers of one event-loop turn together (stream-writer.ts), so
        // with 64 in flight they share DATA frames: fewer than one frame header per answer.
        assert.ok(row.down.dataFrames < 1, `answers share DATA frames (${row.down.dataFrames} per answer)`);
        assert.ok(row.up.messageBytes > row.frameBytes);
        assert.ok(row.radioMjPerInference > 0);
      }
      // Without bundles, one message each way per offload, each request in a DATA frame of its own.
      for (const r of [legacy, single]) {
        const row = r.bundles[0]!;
        assert.equal(row.up.messages, 1);
        assert.equal(row.down.messages, 1);
        assert.ok(row.up.dataFrames >= 1 && row.up.http2Bytes >= 9, 'a DATA frame header per request');
      }
      // With bundles (docs/wire-format.md), the requests of a turn share a message, and so do the
      // answers: fewer than one message, and one DATA frame, per offload each way, and fewer bytes.
      const [bundled, alone] = [compact.bundles[0]!, single.bundles[0]!];
      assert.ok(bundled.up.messages < 0.5 && bundled.down.messages < 0.5, JSON.stringify(bundled));
      assert.ok(bundled.up.dataFrames < 0.5, `${bundled.up.dataFrames} DATA frames per request`);
      assert.ok(bundled.up.bytes < alone.up.bytes && bundled.down.bytes < alone.down.bytes);
      assert.equal(legacy.bundles[0]!.frameVersion, 2);
      assert.equal(compact.bundles[0]!.frameVersion, 3);
      assert.equal(compact.bundles[0]!.headerBytes, 11);
      // The legacy request carries a request id string, the timeout and a traceparent.
      assert.ok(legacy.bundles[0]!.up.messageBytes - legacy.bundles[0]!.frameBytes > 80);
      assert.ok(compact.bundles[0]!.up.messageBytes - compact.bundles[0]!.frameBytes <= 12);
      assert.ok(compact.bundles[0]!.up.bytes - compact.bundles[0]!.frameBytes <= 30);
      const prev = compact.previous!;
      assert.equal(prev.form, 'legacy');
      assert.equal(prev.rows.length, 1);
      assert.ok(prev.rows[0]!.fallPercent > 0, JSON.stringify(prev));
      assert.match(stdout, /fmnist-c4b2: [\d.]+ → [\d.]+ mJ, fell [\d.]+%/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
