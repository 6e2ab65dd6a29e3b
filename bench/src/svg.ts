// The report's plots, written as small SVG by hand (no plotting dependency): the rate–accuracy
// curve, a latency CDF per strategy, and energy per inference split into compute and radio.

const PALETTE = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
  '#393b79',
  '#637939',
  '#8c6d31',
  '#843c39',
];
export const colour = (i: number) => PALETTE[i % PALETTE.length]!;

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const f = (x: number) => +x.toFixed(1);

function svg(width: number, height: number, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}

const text = (x: number, y: number, s: string, extra = '') =>
  `<text x="${f(x)}" y="${f(y)}" ${extra}>${esc(s)}</text>`;

/** Powers of ten (and 2×, 5×) between lo and hi, for a log axis. */
function logTicks(lo: number, hi: number): number[] {
  const ticks: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++)
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (v >= lo && v <= hi) ticks.push(v);
    }
  return ticks;
}

function linearTicks(lo: number, hi: number, n = 5): number[] {
  const step0 = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= step0) ?? step0;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(+v.toFixed(10));
  return out;
}

const fmt = (v: number) => (v >= 1000 ? `${v / 1000}k` : String(+v.toPrecision(3)));

interface Frame {
  x: (v: number) => number;
  y: (v: number) => number;
  body: string[];
}

function axes(o: {
  width: number;
  height: number;
  title: string;
  xLabel: string;
  yLabel: string;
  x: [number, number];
  y: [number, number];
  xLog?: boolean;
  yLog?: boolean;
  right?: number;
}): Frame {
  const left = 60;
  const right = o.right ?? 20;
  const top = 30;
  const bottom = 45;
  const w = o.width - left - right;
  const h = o.height - top - bottom;
  const [x0, x1] = o.xLog ? [Math.log10(o.x[0]), Math.log10(o.x[1])] : o.x;
  const [y0, y1] = o.yLog ? [Math.log10(o.y[0]), Math.log10(o.y[1])] : o.y;
  const x = (v: number) => left + (((o.xLog ? Math.log10(v) : v) - x0) / (x1 - x0)) * w;
  const y = (v: number) => top + h - (((o.yLog ? Math.log10(v) : v) - y0) / (y1 - y0)) * h;
  const body = [
    text(o.width / 2, 18, o.title, 'text-anchor="middle" font-size="13" font-weight="bold"'),
    `<rect x="${left}" y="${top}" width="${f(w)}" height="${f(h)}" fill="none" stroke="#999"/>`,
  ];
  for (const t of o.xLog ? logTicks(o.x[0], o.x[1]) : linearTicks(o.x[0], o.x[1])) {
    body.push(`<line x1="${f(x(t))}" y1="${top}" x2="${f(x(t))}" y2="${top + h}" stroke="#eee"/>`);
    body.push(text(x(t), top + h + 14, fmt(t), 'text-anchor="middle"'));
  }
  for (const t of o.yLog ? logTicks(o.y[0], o.y[1]) : linearTicks(o.y[0], o.y[1])) {
    body.push(`<line x1="${left}" y1="${f(y(t))}" x2="${left + w}" y2="${f(y(t))}" stroke="#eee"/>`);
    body.push(text(left - 6, y(t) + 4, fmt(t), 'text-anchor="end"'));
  }
  body.push(text(left + w / 2, o.height - 8, o.xLabel, 'text-anchor="middle"'));
  body.push(
    text(14, top + h / 2, o.yLabel, `text-anchor="middle" transform="rotate(-90 14 ${f(top + h / 2)})"`),
  );
  return { x, y, body };
}

/** Accuracy against mean wire bytes per inference (log scale), one labelled point per strategy. */
export function rateAccuracySvg(
  points: readonly { label: string; bytes: number; accuracy: number }[],
): string {
  const xs = points.map((p) => Math.max(1, p.bytes));
  const ys = points.map((p) => p.accuracy * 100);
  const lo = Math.min(...ys);
  const hi = Math.max(...ys);
  const fr = axes({
    width: 760,
    height: 440,
    title: 'Rate–accuracy (10,000-image pass): mean gRPC bytes sent per inference',
    xLabel: 'bytes sent per inference (local answers count 0), log scale',
    yLabel: 'accuracy %',
    x: [10 ** Math.floor(Math.log10(Math.min(...xs))), 10 ** Math.ceil(Math.log10(Math.max(...xs)))],
    y: [Math.floor(lo - 0.5), Math.ceil(hi + 0.5)],
    xLog: true,
  });
  points.forEach((p, i) => {
    const cx = fr.x(Math.max(1, p.bytes));
    const cy = fr.y(p.accuracy * 100);
    fr.body.push(`<circle cx="${f(cx)}" cy="${f(cy)}" r="4" fill="${colour(i)}"/>`);
    fr.body.push(text(cx + 6, cy - 4 - (i % 3) * 9, p.label, `fill="${colour(i)}"`));
  });
  return svg(760, 440, fr.body);
}

/** Latency CDF per strategy (log-scale latency). */
export function latencyCdfSvg(
  title: string,
  percents: readonly number[],
  series: readonly { label: string; ms: readonly number[] }[],
): string {
  const all = series.flatMap((s) => s.ms).filter((v) => v > 0);
  const lo = Math.max(0.1, Math.min(...all));
  const hi = Math.max(...all);
  const fr = axes({
    width: 820,
    height: 440,
    title,
    xLabel: 'latency, ms (log scale)',
    yLabel: 'share of requests %',
    x: [10 ** Math.floor(Math.log10(lo)), 10 ** Math.ceil(Math.log10(hi))],
    y: [0, 100],
    xLog: true,
    right: 230,
  });
  series.forEach((s, i) => {
    const pts = s.ms.map((v, k) => `${f(fr.x(Math.max(lo, v)))},${f(fr.y(percents[k]!))}`).join(' ');
    fr.body.push(`<polyline points="${pts}" fill="none" stroke="${colour(i)}" stroke-width="1.6"/>`);
    fr.body.push(`<rect x="600" y="${34 + i * 15}" width="10" height="10" fill="${colour(i)}"/>`);
    fr.body.push(text(614, 43 + i * 15, s.label));
  });
  return svg(820, 440, fr.body);
}

/** Energy per inference, one stacked bar (compute, radio) per strategy. */
export function energyBarsSvg(
  title: string,
  bars: readonly { label: string; compute: number; radio: number }[],
): string {
  const rowH = 22;
  const left = 250;
  const width = 820;
  const height = 60 + bars.length * rowH + 30;
  const max = Math.max(...bars.map((b) => b.compute + b.radio), 1e-9);
  const w = width - left - 120;
  const x = (v: number) => left + (v / max) * w;
  const body = [text(width / 2, 18, title, 'text-anchor="middle" font-size="13" font-weight="bold"')];
  body.push(
    `<rect x="${left}" y="28" width="10" height="10" fill="#4c78a8"/>`,
    text(left + 14, 37, 'compute (estimated)'),
  );
  body.push(
    `<rect x="${left + 150}" y="28" width="10" height="10" fill="#f58518"/>`,
    text(left + 164, 37, 'radio (modeled)'),
  );
  bars.forEach((b, i) => {
    const y = 50 + i * rowH;
    body.push(text(left - 6, y + 14, b.label, 'text-anchor="end"'));
    body.push(
      `<rect x="${left}" y="${y + 3}" width="${f(x(b.compute) - left)}" height="14" fill="#4c78a8"/>`,
    );
    body.push(
      `<rect x="${f(x(b.compute))}" y="${y + 3}" width="${f(x(b.compute + b.radio) - x(b.compute))}" height="14" fill="#f58518"/>`,
    );
    body.push(text(x(b.compute + b.radio) + 5, y + 14, `${(b.compute + b.radio).toPrecision(3)} mJ`));
  });
  body.push(
    text(left, height - 10, `mJ per inference (linear; the longest bar is ${max.toPrecision(3)} mJ)`),
  );
  return svg(width, height, body);
}

/** One line per series over a shared x (log–log): the split-point sweep. */
export function linesSvg(
  title: string,
  labels: { x: string; y: string },
  xs: readonly number[],
  series: readonly { label: string; ys: readonly number[] }[],
): string {
  const all = series.flatMap((s) => s.ys).filter((v) => v > 0);
  const decade = (v: number, up: boolean) =>
    10 ** (up ? Math.ceil(Math.log10(v)) : Math.floor(Math.log10(v)));
  const fr = axes({
    width: 900,
    height: 480,
    title,
    xLabel: labels.x,
    yLabel: labels.y,
    x: [decade(Math.min(...xs), false), decade(Math.max(...xs), true)],
    y: [decade(Math.min(...all), false), decade(Math.max(...all), true)],
    xLog: true,
    yLog: true,
    right: 300,
  });
  series.forEach((s, i) => {
    const pts = s.ys.map((v, k) => `${f(fr.x(xs[k]!))},${f(fr.y(Math.max(v, 1e-9)))}`).join(' ');
    const dash = i >= PALETTE.length ? ' stroke-dasharray="4 3"' : '';
    fr.body.push(`<polyline points="${pts}" fill="none" stroke="${colour(i)}" stroke-width="1.4"${dash}/>`);
    fr.body.push(`<rect x="610" y="${34 + i * 13}" width="10" height="3" fill="${colour(i)}"/>`);
    fr.body.push(text(624, 39 + i * 13, s.label, 'font-size="9"'));
  });
  return svg(900, Math.max(480, 60 + series.length * 13), fr.body);
}
