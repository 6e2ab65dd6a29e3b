// `cleave calibrate` on the validation split reproduces the thresholds the Python recipe chose
// (same split, same codec, same rule), and --write leaves a bundle that still loads.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadBundle } from '@cleave/models';
import { DEFAULT_BUNDLE, MODELS_DIR } from '../support/shipped-bundles.js';

const CLI = join(import.meta.dirname, '..', '..', 'cli', 'bin', 'cleave.js');

describe('calibrate - thresholds on the validation split', { timeout: 180_000 }, () => {
  it('calibrate - the TypeScript calibration matches the recipe, and --write stores a coverage target', {
    timeout: 150_000,
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cleave-cal-'));
    try {
      cpSync(join(MODELS_DIR, DEFAULT_BUNDLE), join(dir, DEFAULT_BUNDLE), { recursive: true });
      const before = (await loadBundle(join(dir, DEFAULT_BUNDLE))).manifest.gates;
      const r = spawnSync(process.execPath, [CLI, 'calibrate', '--models', dir, '--write'], {
        encoding: 'utf8',
        timeout: 120_000,
      });
      assert.equal(r.status, 0, r.stderr);
      const after = (await loadBundle(join(dir, DEFAULT_BUNDLE))).manifest.gates;
      for (const fn of ['max-softmax', 'margin', 'entropy'] as const) {
        assert.ok(Math.abs(after.exit.thresholds[fn]! - before.exit.thresholds[fn]!) < 1e-5, `exit ${fn}`);
        // The dual threshold is chosen among the few inputs the exit leaves, against the tail's
        // answers; the recipe ran the tail in torch and this in ONNX Runtime, and one near-tie
        // flipping there can move the cut to a neighbouring score.
        assert.ok(Math.abs(after.dual!.thresholds[fn]! - before.dual!.thresholds[fn]!) < 0.05, `dual ${fn}`);
      }
      const cov = spawnSync(
        process.execPath,
        [CLI, 'calibrate', '--models', dir, '--coverage', '0.8', '--write'],
        {
          encoding: 'utf8',
          timeout: 120_000,
        },
      );
      assert.equal(cov.status, 0, cov.stderr);
      const m = JSON.parse(readFileSync(join(dir, DEFAULT_BUNDLE, 'manifest.json'), 'utf8'));
      assert.ok(
        m.gates.exit.thresholds['max-softmax'] < before.exit.thresholds['max-softmax']!,
        'more coverage, lower threshold',
      );
      assert.match(m.calibration.method, /--coverage 0.8/);
      assert.match(cov.stdout, /max-softmax\s+[\d.]+\s+80\.0%/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
