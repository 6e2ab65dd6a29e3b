import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DatasetError, scanClassFile } from './class-file.js';
import { loadFashionMnist } from './fashion-mnist.js';

const enc = (s: string) => new TextEncoder().encode(s);
const img = (v: number) => `[${new Array(784).fill(v).join(',')}]`;

describe('dataset - class file scanner', () => {
  it('dataset - drops empty separator entries and keeps pixel values', { timeout: 5000 }, () => {
    const out = scanClassFile('x.json', enc(`{"data":[${img(1)},[],${img(255)},[]]}`));
    assert.equal(out.length, 2 * 784);
    assert.equal(out[0], 1);
    assert.equal(out[784], 255);
  });
  it('dataset - stops after maxEntries', { timeout: 5000 }, () => {
    const out = scanClassFile('x.json', enc(`{"data":[${img(1)},${img(2)},${img(3)}]}`), 2);
    assert.equal(out.length, 2 * 784);
  });
  it('dataset - refuses a short entry and names the file', { timeout: 5000 }, () => {
    assert.throws(
      () => scanClassFile('bad.json', enc('{"data":[[1,2,3]]}')),
      (e: unknown) => e instanceof DatasetError && e.message.startsWith('bad.json:'),
    );
  });
});

describe('dataset - splits', () => {
  it('dataset - test, train and validation have the recipe sizes and class balance', {
    timeout: 60_000,
  }, async () => {
    const test = await loadFashionMnist({ split: 'test' });
    assert.equal(test.count, 10_000);
    const counts = new Array(10).fill(0);
    for (const l of test.labels) counts[l]++;
    assert.deepEqual(counts, new Array(10).fill(1000));
    const val = await loadFashionMnist({ split: 'validation' });
    assert.equal(val.count, 5000);
    const train = await loadFashionMnist({ split: 'train', limit: 20 });
    assert.equal(train.count, 20);
    assert.deepEqual([...train.labels.subarray(0, 10)], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // A limit reads only the start of each class file: the same images as a prefix of more.
    const someVal = await loadFashionMnist({ split: 'validation', limit: 33 });
    assert.deepEqual(someVal.images, val.images.subarray(0, 33 * 784));
    assert.deepEqual(someVal.labels, val.labels.subarray(0, 33));
    const moreTrain = await loadFashionMnist({ split: 'train' });
    assert.deepEqual(train.images, moreTrain.images.subarray(0, 20 * 784));
    assert.deepEqual(train.labels, moreTrain.labels.subarray(0, 20));
    const someTest = await loadFashionMnist({ split: 'test', limit: 7 });
    assert.deepEqual(someTest.images, test.images.subarray(0, 7 * 784));
  });
  it('dataset - a missing data folder is a DatasetError naming the file', { timeout: 5000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cleave-ds-'));
    await writeFile(join(dir, '0.json'), `{"data":[${img(0)}]}`);
    await assert.rejects(loadFashionMnist({ split: 'test', dataDir: dir }), (e: unknown) => {
      return e instanceof DatasetError && e.message.includes('1.json');
    });
    await rm(dir, { recursive: true });
  });
});
