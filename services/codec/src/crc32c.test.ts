import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { crc32c } from './crc32c.js';
import { createRandom, randomBytes } from './testing/seeded-random.js';

const opts = { timeout: 10_000 };

describe('crc32c', () => {
  it('crc32c - matches the standard check value and RFC 3720 vectors', opts, () => {
    assert.equal(crc32c(new TextEncoder().encode('123456789')), 0xe3069283);
    assert.equal(crc32c(new Uint8Array(0)), 0);
    assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
    assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
    assert.equal(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i)), 0x46dd794e);
    assert.equal(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i)), 0x113fdb5c);
  });

  it('crc32c - chaining over chunks equals one pass, at every split and length', opts, () => {
    const random = createRandom(7);
    for (let length = 0; length < 40; length++) {
      const data = randomBytes(random, length);
      const whole = crc32c(data);
      for (let split = 0; split <= length; split++) {
        assert.equal(crc32c(data.subarray(split), crc32c(data.subarray(0, split))), whole);
      }
    }
  });

  it('crc32c - respects the byteOffset of views', opts, () => {
    const random = createRandom(8);
    const data = randomBytes(random, 100);
    const copy = data.slice(13, 77);
    assert.equal(crc32c(data.subarray(13, 77)), crc32c(copy));
  });
});
