// A small parser for the Prometheus text exposition format 0.0.4 (what `/metrics` serves), and the
// few aggregations the dashboard needs: sums of counters, merged histograms and quantiles
// estimated from buckets the way PromQL's histogram_quantile() does.
// @opentelemetry/exporter-prometheus only serializes; it has no parser.

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface Sample {
  /** The sample's own name, e.g. `x_bucket` in the `x` histogram family. */
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface MetricFamily {
  name: string;
  type: MetricType;
  help: string;
  samples: Sample[];
}

export class ExpositionError extends Error {
  override name = 'ExpositionError';
}

const TYPES = new Set<MetricType>(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;

function parseValue(text: string, line: number): number {
  if (text === '+Inf' || text === 'Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  if (text === 'NaN') return Number.NaN;
  const value = Number(text);
  if (text === '' || Number.isNaN(value))
    throw new ExpositionError(`line ${line}: bad value ${JSON.stringify(text)}`);
  return value;
}

function unescapeHelp(text: string): string {
  return text.replace(/\\(\\|n)/g, (_, c: string) => (c === 'n' ? '\n' : '\\'));
}

/** Parses `{a="x",b="y"}` starting at `text[at] === '{'`; returns the labels and the index after `}`. */
function parseLabels(text: string, at: number, line: number): [Record<string, string>, number] {
  const labels: Record<string, string> = {};
  let i = at + 1;
  const fail = (why: string): never => {
    throw new ExpositionError(`line ${line}: ${why}`);
  };
  for (;;) {
    while (text[i] === ' ') i++;
    if (text[i] === '}') return [labels, i + 1];
    const name = LABEL_NAME.exec(text.slice(i))?.[0] ?? fail('bad label name');
    i += name.length;
    while (text[i] === ' ') i++;
    if (text[i] !== '=') fail(`expected = after label ${name}`);
    i++;
    while (text[i] === ' ') i++;
    if (text[i] !== '"') fail(`expected " to open the value of ${name}`);
    i++;
    let value = '';
    for (;;) {
      const c = text[i];
      if (c === undefined) fail(`unterminated value of ${name}`);
      if (c === '"') break;
      if (c === '\\') {
        const next = text[i + 1];
        value += next === 'n' ? '\n' : next === '"' ? '"' : next === '\\' ? '\\' : fail('bad escape');
        i += 2;
      } else {
        value += c;
        i++;
      }
    }
    i++;
    labels[name] = value;
    while (text[i] === ' ') i++;
    if (text[i] === ',') i++;
    else if (text[i] !== '}') fail('expected , or } after a label');
  }
}

function familyOf(sampleName: string, families: Map<string, MetricFamily>): MetricFamily | undefined {
  const exact = families.get(sampleName);
  if (exact) return exact;
  const m = /^(.*)_(bucket|sum|count|created)$/.exec(sampleName);
  if (m) {
    const family = families.get(m[1]!);
    if (family && (family.type === 'histogram' || family.type === 'summary')) return family;
  }
  return undefined;
}

/**
 * Parses the text format into families by name. Samples with no TYPE line get an `untyped`
 * family of their own name. Throws ExpositionError (with the line number) on a malformed line.
 */
export function parseExposition(text: string): Map<string, MetricFamily> {
  const families = new Map<string, MetricFamily>();
  const family = (name: string): MetricFamily => {
    let f = families.get(name);
    if (!f) {
      f = { name, type: 'untyped', help: '', samples: [] };
      families.set(name, f);
    }
    return f;
  };
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!.trim();
    if (line === '') continue;
    if (line.startsWith('#')) {
      const m = /^#\s+(HELP|TYPE)\s+(\S+)(?:\s+(.*))?$/.exec(line);
      if (!m) continue; // a plain comment
      const f = family(m[2]!);
      if (m[1] === 'HELP') f.help = unescapeHelp(m[3] ?? '');
      else {
        const type = (m[3] ?? '').trim() as MetricType;
        if (!TYPES.has(type))
          throw new ExpositionError(`line ${n + 1}: unknown type ${JSON.stringify(m[3])}`);
        f.type = type;
      }
      continue;
    }
    const name = NAME.exec(line)?.[0];
    if (!name) throw new ExpositionError(`line ${n + 1}: expected a metric name`);
    let i = name.length;
    let labels: Record<string, string> = {};
    if (line[i] === '{') [labels, i] = parseLabels(line, i, n + 1);
    const rest = line.slice(i).trim().split(/\s+/);
    if (rest.length < 1 || rest.length > 2) throw new ExpositionError(`line ${n + 1}: expected a value`);
    const value = parseValue(rest[0]!, n + 1);
    (familyOf(name, families) ?? family(name)).samples.push({ name, labels, value });
  }
  return families;
}

export type LabelFilter = (labels: Record<string, string>) => boolean;
const all: LabelFilter = () => true;

/** Sum of a counter's (or gauge's) samples that pass the filter; undefined when the family is absent. */
export function sumOf(
  families: Map<string, MetricFamily>,
  name: string,
  filter: LabelFilter = all,
): number | undefined {
  const f = families.get(name);
  if (!f) return undefined;
  let total = 0;
  for (const s of f.samples) if (s.name === name && filter(s.labels)) total += s.value;
  return total;
}

/** A counter's sums grouped by one label (samples without it are grouped under ''). */
export function sumBy(
  families: Map<string, MetricFamily>,
  name: string,
  label: string,
  filter: LabelFilter = all,
): Record<string, number> | undefined {
  const f = families.get(name);
  if (!f) return undefined;
  const out: Record<string, number> = {};
  for (const s of f.samples) {
    if (s.name !== name || !filter(s.labels)) continue;
    const key = s.labels[label] ?? '';
    out[key] = (out[key] ?? 0) + s.value;
  }
  return out;
}

export interface Histogram {
  /** Cumulative counts by upper bound, ascending, ending with +Inf. */
  buckets: Array<{ le: number; count: number }>;
  count: number;
  sum: number;
}

/**
 * Merges a histogram family's series into one histogram per group key (series for which `group`
 * returns undefined are skipped). Series with the same bounds add bucket by bucket.
 */
export function histograms(
  families: Map<string, MetricFamily>,
  name: string,
  group: (labels: Record<string, string>) => string | undefined,
): Map<string, Histogram> | undefined {
  const f = families.get(name);
  if (f?.type !== 'histogram') return undefined;
  const acc = new Map<string, { buckets: Map<number, number>; count: number; sum: number }>();
  for (const s of f.samples) {
    const key = group(s.labels);
    if (key === undefined) continue;
    let h = acc.get(key);
    if (!h) {
      h = { buckets: new Map(), count: 0, sum: 0 };
      acc.set(key, h);
    }
    if (s.name === `${name}_bucket`) {
      const le = parseValue(s.labels.le ?? '', 0);
      h.buckets.set(le, (h.buckets.get(le) ?? 0) + s.value);
    } else if (s.name === `${name}_count`) h.count += s.value;
    else if (s.name === `${name}_sum`) h.sum += s.value;
  }
  const out = new Map<string, Histogram>();
  for (const [key, h] of acc) {
    const buckets = [...h.buckets.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([le, count]) => ({ le, count }));
    out.set(key, { buckets, count: h.count, sum: h.sum });
  }
  return out;
}

/**
 * The q-quantile (0..1) estimated from cumulative buckets as PromQL's histogram_quantile() does:
 * linear interpolation inside the bucket that holds the rank, the first bucket starting at 0
 * (when its bound is positive), and the highest finite bound when the rank falls in +Inf.
 * Undefined when there are no observations.
 */
export function histogramQuantile(q: number, h: Histogram): number | undefined {
  const buckets = h.buckets;
  const last = buckets.at(-1);
  if (!last || last.count <= 0 || Number.isNaN(q)) return undefined;
  if (q < 0) return Number.NEGATIVE_INFINITY;
  if (q > 1) return Number.POSITIVE_INFINITY;
  const rank = q * last.count;
  let i = buckets.findIndex((b) => b.count >= rank);
  if (i < 0) i = buckets.length - 1;
  const b = buckets[i]!;
  if (b.le === Number.POSITIVE_INFINITY) return highestFinite(h);
  const prev = i > 0 ? buckets[i - 1]! : { le: b.le > 0 ? 0 : b.le, count: 0 };
  if (i === 0 && b.le <= 0) return b.le;
  const inBucket = b.count - prev.count;
  if (inBucket <= 0) return b.le;
  return prev.le + (b.le - prev.le) * ((rank - prev.count) / inBucket);
}

function highestFinite(h: Histogram): number | undefined {
  for (let i = h.buckets.length - 1; i >= 0; i--) {
    const le = h.buckets[i]!.le;
    if (Number.isFinite(le)) return le;
  }
  return undefined;
}
