import assert from 'node:assert/strict';
import { test } from 'node:test';
import { agrees, checkMarks, lookup, parseMarks, parseSpec, readFigure } from './docs-figures.js';

const artifact = {
  accuracy: [
    { strategy: 'local-only', accuracy: 0.9382, bytes: 0 },
    { strategy: 'cascade', accuracy: 0.9352, bytes: 12.3456 },
  ],
  mustShows: { ci: { met: null } },
  raw: { b32: 7150.4, b1: 5429.2 },
  runs: [{ p99: 5.668 }, { p99: 206.2 }],
  drop: -0.003,
};
const load = (name: string) => {
  if (name === 'a.json') return artifact;
  throw new Error('ENOENT');
};

test('docs-figures - reads figures as shown, with separators, minus signs and precision', () => {
  assert.deepEqual(readFigure('5,860'), { value: 5860, decimals: 0 });
  assert.deepEqual(readFigure('−0.30'), { value: -0.3, decimals: 2 });
  assert.deepEqual(readFigure('93.52'), { value: 93.52, decimals: 2 });
});

test('docs-figures - compares at the shown precision', () => {
  assert.ok(agrees(93.52, 2, 93.524));
  assert.ok(agrees(93.52, 2, 93.515));
  assert.ok(!agrees(93.52, 2, 93.53));
  assert.ok(agrees(12.3, 1, 12.3456));
  assert.ok(agrees(12.35, 2, 12.3456));
  assert.ok(!agrees(12.34, 2, 12.3456));
  assert.ok(agrees(206, 0, 206.2));
  assert.ok(!agrees(207, 0, 206.2));
});

test('docs-figures - walks keys, indexes and key=value selectors', () => {
  assert.deepEqual(lookup(artifact, 'accuracy[strategy=cascade].bytes'), { found: true, value: 12.3456 });
  assert.deepEqual(lookup(artifact, 'runs[1].p99'), { found: true, value: 206.2 });
  assert.deepEqual(lookup({ 'a b': [{ k: 'x.y', v: 1 }] }, 'a b[k="x.y"].v'), { found: true, value: 1 });
  assert.deepEqual(lookup(artifact, 'accuracy[strategy=nope].bytes'), {
    found: false,
    at: 'accuracy[strategy=nope]',
  });
});

test('docs-figures - reads the spec: artifact, path, operand, scale', () => {
  assert.deepEqual(parseSpec('a.json raw.b32 / raw.b1'), {
    artifact: 'a.json',
    path: 'raw.b32',
    operand: { op: '/', path: 'raw.b1' },
    scale: 1,
  });
  assert.equal((parseSpec('a.json x ×-100') as { scale: number }).scale, -100);
  assert.match(parseSpec('a.json') as string, /needs an artifact and a path/);
  assert.match(parseSpec('a.json x +3') as string, /cannot read "\+3"/);
});

test('docs-figures - takes the last number before each mark, several marks on a line', () => {
  const { marks } = parseMarks(
    'p99 5.7<!-- fig a runs[0].p99 --> / 23.9 / **206**<!-- fig a runs[1].p99 --> ms, F = 30-40',
  );
  assert.deepEqual(
    marks.map((m) => [m.shown, m.path]),
    [
      ['5.7', 'runs[0].p99'],
      ['206', 'runs[1].p99'],
    ],
  );
  const neg = parseMarks('| x | −0.30<!-- fig a drop ×100 --> | c4b2-3<!-- fig a drop --> |').marks;
  assert.deepEqual(
    neg.map((m) => m.value),
    [-0.3, 3],
  );
});

test('docs-figures - a file whose figures agree has no problems; aliases name artifacts', () => {
  const text = [
    '<!-- figures bench = a.json -->',
    '| local-only | 93.82%<!-- fig bench accuracy[strategy=local-only].accuracy ×100 --> |',
    'batch 32 gains 1.32×<!-- fig bench raw.b32 / raw.b1 --> over batch 1; 0.30 pt<!-- fig a.json drop ×-100 --> below',
    'p99 0.2 s<!-- fig bench runs[1].p99 / 1000 -->, −0.30 pt<!-- fig bench accuracy[1].accuracy - accuracy[0].accuracy ×100 -->',
    '12.3 B<!-- fig bench accuracy[1].bytes - 0.0456 -->',
  ].join('\n');
  assert.deepEqual(checkMarks(text, load), { checked: 6, problems: [] });
});

test('docs-figures - each disagreement names its line, the figure and the value', () => {
  const text = [
    'intro',
    'met: 108 s<!-- fig a.json mustShows.ci.met -->',
    'cascade **93.53%**<!-- fig a.json accuracy[strategy=cascade].accuracy ×100 -->',
    'missing 1<!-- fig a.json accuracy[strategy=gone].accuracy -->',
    'unread 2<!-- fig b.json x -->',
    'nothing here<!-- fig a.json drop -->',
    'cascade 93.52% over the whole test set<!-- fig a.json accuracy[strategy=cascade].accuracy ×100 -->',
  ].join('\n');
  const { checked, problems } = checkMarks(text, load);
  assert.equal(checked, 4);
  assert.deepEqual(
    problems.map((p) => p.line),
    [2, 3, 4, 5, 6, 7],
  );
  assert.match(problems[5]!.message, /93\.52 is 25 characters before .*at most a unit between/);
  assert.match(problems[0]!.message, /108: a\.json mustShows\.ci\.met: found null, not a number/);
  assert.match(
    problems[1]!.message,
    /shows 93\.53, expected 93\.52 \(a\.json accuracy\[strategy=cascade\]\.accuracy ×100 = 93\.52\)/,
  );
  assert.match(problems[2]!.message, /no accuracy\[strategy=gone\] in the artifact/);
  assert.match(problems[3]!.message, /cannot read b\.json: ENOENT/);
  assert.match(problems[4]!.message, /no figure before/);
});

test('docs-figures - a selector with several pairs needs every pair to match', () => {
  const regimes = [
    { link: 'wifi', fps: 10, ratio: 0.956 },
    { link: 'wifi', fps: 30, ratio: 1.011 },
    { link: 'lte', fps: 30, ratio: 0.968 },
  ];
  assert.deepEqual(lookup({ regimes }, 'regimes[link=wifi,fps=30].ratio'), { found: true, value: 1.011 });
  assert.deepEqual(lookup({ regimes }, 'regimes[link="lte",fps=30].ratio'), { found: true, value: 0.968 });
  assert.equal(lookup({ regimes }, 'regimes[link=3g,fps=30].ratio').found, false);
});

test('docs-figures - [?…] keeps every match, so .length counts them; keys may be paths', () => {
  const regimes = [
    { link: 'wifi', policy: { better: true } },
    { link: 'lte', policy: { better: false } },
    { link: '3g', policy: { better: true } },
  ];
  assert.deepEqual(lookup({ regimes }, 'regimes[?policy.better=true].length'), { found: true, value: 2 });
  assert.deepEqual(lookup({ regimes }, 'regimes[?link=5g].length'), { found: true, value: 0 });
  assert.deepEqual(lookup({ regimes }, 'regimes.length'), { found: true, value: 3 });
  assert.deepEqual(lookup({ regimes }, 'regimes[policy.better=false].link'), { found: true, value: 'lte' });
});
