import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { OptionsError, resolveOptions } from './resolve-options.js';

const Schema = z
  .object({
    port: z.number().int().min(0).default(50051),
    tls: z.object({ certFile: z.string() }).strict().optional(),
  })
  .strict();

describe('resolve options', () => {
  it('resolve options - fills the defaults', () => {
    assert.deepEqual(resolveOptions(Schema, {}, 'test options'), { port: 50051 });
  });

  it('resolve options - lists every bad field by path, the root as (root)', () => {
    assert.throws(
      () => resolveOptions(Schema, { port: -1, tls: { certFile: 3 } }, 'test options'),
      (e: unknown) => {
        assert.ok(e instanceof OptionsError);
        assert.equal(e.issues.length, 2);
        assert.match(e.message, /^invalid test options:\n {2}port: .+\n {2}tls\.certFile: .+$/);
        return true;
      },
    );
    assert.throws(() => resolveOptions(Schema, 'port=1', 'test options'), /\(root\): /);
  });

  it("resolve options - a caller's own error class", () => {
    class AgentError extends Error {}
    assert.throws(
      () => resolveOptions(Schema, { port: 'x' }, 'agent options', (issues) => new AgentError(issues.join())),
      AgentError,
    );
  });
});
