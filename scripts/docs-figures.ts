// The figures that docs mark, and how each is checked against its artifact (`npm run docs:check`).
//
// A marked figure is a number followed at once by an HTML comment that names where it comes from:
//
//   **93.52%**<!-- fig bench accuracy[strategy=cascade-fmnist-late-c8b3].accuracy ×100 -->
//
// - `bench` is an artifact: a JSON file by its path from the repository root, or a name that the
//   same markdown file gives one with `<!-- figures bench = docs/bench/…/results.json -->`.
// - The path walks the JSON: `a.b`, `a[3]` (an index), `a[key=value]` (the element of an array
//   whose `key` is `value`, `a[k=v,k2=v2]` where each pair matches; `"quoted values"` may hold
//   spaces, dots or commas); `a[?k=v].length` counts the elements that match, `a.length` all.
// - `×N` (or `xN`, `*N`) scales the artifact's value before the comparison, e.g. ×100 for a
//   fraction shown as a percentage, ×-100 for a drop shown as a positive figure. `/ PATH` divides
//   it by a second value of the same artifact first (a ratio the artifact does not store), `- PATH`
//   subtracts one (a difference), and either takes a number too (`seconds / 60`, `bytes - 14`).
// - The figure is the last number before the comment, after the previous marker of the line, with
//   at most a unit between them (12 characters: ` ms`, `%**`, ` minutes`). It is compared at its
//   own shown precision: 93.52 matches any value in [93.515, 93.525]. Thousands separators
//   (5,860) and the minus sign (−0.30) are read.
// Comments render as nothing, so the marks are invisible on GitHub and readable in the raw text.

/** One marked figure, as found in a markdown file. */
export interface Mark {
  line: number;
  shown: string;
  value: number;
  decimals: number;
  artifact: string;
  path: string;
  /** A second value the first is divided by or reduced by, before the scale. */
  operand?: { op: '/' | '-'; path: string };
  scale: number;
}

export interface Problem {
  line: number;
  message: string;
}

const MARK = /<!--\s*fig\s+(.*?)\s*-->/g;
// Between a figure and its mark there may be a unit (`%`, ` ms`, ` minutes`, `**`), not more.
const MAX_UNIT = 12;
const ALIAS = /<!--\s*figures\s+([\w.-]+)\s*=\s*(\S+)\s*-->/g;
// A number as the docs write it: 5,860 / 93.52 / −0.30. A hyphen is a minus sign only where it
// does not follow a word, so that `F=30-40` or `c4b2-3` do not read as negative.
const NUMBER = /(?:−|(?<![\w.)\]])-)?\d+(?:,\d{3})*(?:\.\d+)?/g;

/** Parses a figure as shown: '5,860' → 5860 with 0 decimals, '−0.30' → -0.3 with 2. */
export function readFigure(shown: string): { value: number; decimals: number } {
  const plain = shown.replace(/,/g, '').replace('−', '-');
  const dot = plain.indexOf('.');
  return { value: Number(plain), decimals: dot < 0 ? 0 : plain.length - dot - 1 };
}

/** Every marked figure and alias of one markdown text; a comment with no number before it is a problem. */
export function parseMarks(text: string): {
  marks: Mark[];
  aliases: Map<string, string>;
  problems: Problem[];
} {
  const marks: Mark[] = [];
  const problems: Problem[] = [];
  const aliases = new Map<string, string>();
  text.split('\n').forEach((lineText, i) => {
    const line = i + 1;
    for (const m of lineText.matchAll(ALIAS)) aliases.set(m[1]!, m[2]!);
    let from = 0;
    for (const m of lineText.matchAll(MARK)) {
      const before = lineText.slice(from, m.index);
      from = m.index + m[0].length;
      const numbers = [...before.matchAll(NUMBER)];
      const last = numbers.at(-1);
      const spec = parseSpec(m[1]!);
      const gap = last ? before.length - (last.index + last[0].length) : 0;
      if (!last) problems.push({ line, message: `no figure before <!-- fig ${m[1]} -->` });
      else if (gap > MAX_UNIT)
        problems.push({
          line,
          message: `${last[0]} is ${gap} characters before <!-- fig ${m[1]} -->: a mark follows its figure, with at most a unit between`,
        });
      else if (typeof spec === 'string') problems.push({ line, message: spec });
      else marks.push({ line, shown: last[0], ...readFigure(last[0]), ...spec });
    }
  });
  return { marks, aliases, problems };
}

type Spec = Pick<Mark, 'artifact' | 'path' | 'operand' | 'scale'>;

/** `ARTIFACT PATH [/ PATH | - PATH] [×N]` → its parts, or a message saying what is wrong. */
export function parseSpec(spec: string): Spec | string {
  const words = spec.split(/\s+/);
  const [artifact, path] = words;
  if (!artifact || !path) return `a mark needs an artifact and a path: <!-- fig ${spec} -->`;
  let scale = 1;
  let operand: Mark['operand'];
  for (let i = 2; i < words.length; i++) {
    const w = words[i]!;
    const scaled = /^[×x*](-?\d+(?:\.\d+)?)$/.exec(w);
    if (scaled) scale = Number(scaled[1]);
    else if ((w === '/' || w === '-') && words[i + 1]) operand = { op: w, path: words[++i]! };
    else return `cannot read "${w}" in <!-- fig ${spec} -->`;
  }
  return { artifact, path, operand, scale };
}

/** The value at a path such as `runs[2].p99` or `accuracy[strategy=local-only].accuracy`. */
export function lookup(
  root: unknown,
  path: string,
): { found: true; value: unknown } | { found: false; at: string } {
  const steps = path.match(/[^.[\]]+|\[(?:"[^"]*"|[^\]])*\]/g) ?? [];
  let node: unknown = root;
  let walked = '';
  for (const step of steps) {
    walked += step.startsWith('[') || walked === '' ? step : `.${step}`;
    node = stepInto(node, step);
    if (node === undefined) return { found: false, at: walked };
  }
  return { found: true, value: node };
}

function stepInto(node: unknown, step: string): unknown {
  if (!step.startsWith('['))
    return node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[step] : undefined;
  if (!Array.isArray(node)) return undefined;
  const all = step.startsWith('[?');
  const inner = step.slice(all ? 2 : 1, -1);
  if (!all && /^\d+$/.test(inner)) return node[Number(inner)];
  // [key=value,key2=value2]: the first element that matches every pair; [?…] all of them, so
  // that `.length` counts them. A key may be a path itself (`policy.strictlyBetter`).
  const pairs = (inner.match(/(?:"[^"]*"|[^,])+/g) ?? []).map((pair) => {
    const eq = pair.indexOf('=');
    return { key: pair.slice(0, eq), want: pair.slice(eq + 1).replace(/^"(.*)"$/, '$1'), ok: eq > 0 };
  });
  if (pairs.length === 0 || pairs.some((p) => !p.ok)) return undefined;
  const matches = (e: unknown) =>
    pairs.every(({ key, want }) => {
      const at = lookup(e, key);
      return at.found && String(at.value) === want;
    });
  return all ? node.filter(matches) : node.find(matches);
}

/** Whether `value` agrees with a figure shown with `decimals` decimals. */
export function agrees(shown: number, decimals: number, value: number): boolean {
  const half = 0.5 * 10 ** -decimals;
  return Math.abs(value - shown) <= half * (1 + 1e-9);
}

/** Checks one file's marks; `load` reads an artifact by its repository path (throws if it cannot). */
export function checkMarks(
  text: string,
  load: (artifact: string) => unknown,
): { checked: number; problems: Problem[] } {
  const { marks, aliases, problems } = parseMarks(text);
  for (const mark of marks) {
    const file = aliases.get(mark.artifact) ?? mark.artifact;
    const where = `${file} ${mark.path}${mark.operand ? ` ${mark.operand.op} ${mark.operand.path}` : ''}${mark.scale !== 1 ? ` ×${mark.scale}` : ''}`;
    let json: unknown;
    try {
      json = load(file);
    } catch (err) {
      problems.push({
        line: mark.line,
        message: `${mark.shown}: cannot read ${file}: ${(err as Error).message}`,
      });
      continue;
    }
    const expected = markedValue(json, mark);
    if (typeof expected === 'string')
      problems.push({ line: mark.line, message: `${mark.shown}: ${where}: ${expected}` });
    else if (!agrees(mark.value, mark.decimals, expected))
      problems.push({
        line: mark.line,
        message: `shows ${mark.shown}, expected ${expected.toFixed(mark.decimals)} (${where} = ${+expected.toPrecision(12)})`,
      });
  }
  problems.sort((a, b) => a.line - b.line);
  return { checked: marks.length, problems };
}

/** The number a mark names, or a message saying why there is none. */
function markedValue(json: unknown, mark: Mark): number | string {
  const top = lookup(json, mark.path);
  if (!top.found) return `no ${top.at} in the artifact`;
  if (typeof top.value !== 'number') return `found ${JSON.stringify(top.value)?.slice(0, 60)}, not a number`;
  let value = top.value;
  if (mark.operand) {
    const { op, path } = mark.operand;
    // A number stands for itself (`seconds / 60`, `bytes - 14`); anything else is a second path.
    const second = /^\d+(?:\.\d+)?$/.test(path)
      ? { found: true as const, value: Number(path) }
      : lookup(json, path);
    if (!second.found) return `no ${second.at} in the artifact`;
    if (typeof second.value !== 'number' || (op === '/' && second.value === 0))
      return `${path} is ${JSON.stringify(second.value)}`;
    value = op === '/' ? value / second.value : value - second.value;
  }
  return value * mark.scale;
}
