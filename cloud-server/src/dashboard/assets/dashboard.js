// The dashboard page's script (inlined into GET /dashboard). It polls data.json and redraws;
// every figure is computed on the server. Text goes in through textContent only.
(() => {
  'use strict';
  const DATA_URL = document.body.dataset.url;
  const POLL_MS = 1500;
  const SVG_NS = 'http://www.w3.org/2000/svg';
  // Concrete colours (SVG presentation attributes), the same as the stylesheet's variables.
  const C = {
    edge: '#0f766e',
    cloud: '#4f46e5',
    bad: '#dc2626',
    line: '#e4e7ec',
    muted: '#667085',
    compute: '#d97706',
    radio: '#7c3aed',
    selected: '#eef2ff',
  };
  const SOURCE_COLORS = {
    exit: '#16a34a',
    dual: '#65a30d',
    cache: '#0891b2',
    cloud: C.cloud,
    fallback: C.bad,
  };
  const DASH = '\u2013';
  let pinned = null;
  let selectedSpan = null;
  let last = null;

  const $ = (id) => document.getElementById(id);

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null) continue;
      if (k === 'text') node.textContent = v;
      else if (k === 'onclick') node.addEventListener('click', v);
      else if (k === 'style')
        Object.assign(node.style, v); // CSSOM: allowed by the page's CSP
      else node.setAttribute(k, v);
    }
    for (const c of children || []) if (c) node.appendChild(c);
    return node;
  }

  function svg(tag, attrs, children) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null) continue;
      if (k === 'text') node.textContent = v;
      else if (k === 'onclick') node.addEventListener('click', v);
      else node.setAttribute(k, String(v));
    }
    for (const c of children || []) if (c) node.appendChild(c);
    return node;
  }

  function replace(id, ...nodes) {
    const target = $(id);
    target.replaceChildren(...nodes.filter(Boolean));
  }

  const isNum = (v) => typeof v === 'number' && Number.isFinite(v);
  function fmtInt(v) {
    return isNum(v) ? Math.round(v).toLocaleString('en-US') : DASH;
  }
  function fmtNum(v, digits) {
    if (!isNum(v)) return DASH;
    if (Math.abs(v) >= 100) return Math.round(v).toLocaleString('en-US');
    return v.toFixed(digits === undefined ? (Math.abs(v) >= 10 ? 1 : 2) : digits);
  }
  function fmtMs(v) {
    if (!isNum(v)) return DASH;
    if (v >= 1000) return `${(v / 1000).toFixed(2)} s`;
    if (v >= 100) return `${Math.round(v)} ms`;
    if (v >= 10) return `${v.toFixed(1)} ms`;
    if (v >= 0.01) return `${v.toFixed(2)} ms`;
    return `${Math.round(v * 1000)} \u00b5s`;
  }
  function fmtBytes(v) {
    if (!isNum(v)) return DASH;
    if (v >= 1048576) return `${(v / 1048576).toFixed(2)} MiB`;
    if (v >= 10240) return `${(v / 1024).toFixed(1)} KiB`;
    return `${fmtNum(v, v >= 10 ? 0 : 1)} B`;
  }
  function fmtMj(v) {
    if (!isNum(v)) return DASH;
    if (v === 0) return '0 mJ';
    if (v >= 1000) return `${(v / 1000).toFixed(2)} J`;
    if (v >= 0.1) return `${fmtNum(v)} mJ`;
    return `${(v * 1000).toFixed(1)} \u00b5J`;
  }
  function fmtPct(part, whole) {
    return isNum(part) && isNum(whole) && whole > 0 ? `${((100 * part) / whole).toFixed(1)}%` : DASH;
  }
  function fmtAgo(s) {
    if (!isNum(s)) return DASH;
    if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s ago`;
    if (s < 3600) return `${Math.floor(s / 60)} min ago`;
    return `${(s / 3600).toFixed(1)} h ago`;
  }
  const none = (text) => el('div', { class: 'none', text: text || 'not reported' });

  function setKpi(id, value, sub) {
    $(id).querySelector('.value').textContent = value;
    $(id).querySelector('.sub').textContent = sub || '';
  }

  function latencyRow(rows, side, stage) {
    return rows.find((r) => r.side === side && r.stage === stage);
  }

  function renderKpis(d) {
    const a = d.answers;
    setKpi(
      'kpi-answers',
      a ? fmtInt(a.total) : DASH,
      a ? `${fmtInt(a.degraded)} degraded` : 'no agent metrics',
    );
    setKpi('kpi-rate', a && isNum(a.ratePerS) ? `${fmtNum(a.ratePerS)}/s` : DASH, 'answers per second');
    const cloud = a ? a.bySource.cloud || 0 : null;
    const device = a ? (a.bySource.exit || 0) + (a.bySource.dual || 0) + (a.bySource.cache || 0) : null;
    setKpi(
      'kpi-device',
      a ? fmtPct(device, a.total) : DASH,
      a ? `on the device; ${fmtPct(cloud, a.total)} by the cloud` : '',
    );
    const total = latencyRow(d.latency, 'edge', 'total');
    const srv = latencyRow(d.latency, 'cloud', 'server');
    if (total) setKpi('kpi-p95', fmtMs(total.p95Ms), `p95 end to end; p50 ${fmtMs(total.p50Ms)}`);
    else if (srv) setKpi('kpi-p95', fmtMs(srv.p95Ms), `p95 on the server; p50 ${fmtMs(srv.p50Ms)}`);
    else setKpi('kpi-p95', DASH, 'no latency yet');
    const p = d.payload;
    setKpi(
      'kpi-bytes',
      p ? fmtBytes(p.meanBytes) : DASH,
      p ? `per offload; ${fmtInt(p.count)} offloads` : '',
    );
    const e = d.energy.metrics || d.energy.traces;
    setKpi(
      'kpi-energy',
      e ? fmtMj(e.totalMj) : 'not reported',
      e ? `compute ${fmtMj(e.computeMj)} + radio ${fmtMj(e.radioMj)}` : 'per inference',
    );
    setKpi('kpi-agents', fmtInt(d.agents.length), d.agents[0] ? `latest ${d.agents[0].id}` : 'from traces');
    const req = d.server.requests;
    const ok = req ? req.success || 0 : null;
    const all = req ? Object.values(req).reduce((x, y) => x + y, 0) : null;
    setKpi(
      'kpi-server',
      req ? fmtInt(ok) : DASH,
      req ? `served; ${fmtInt(all - ok)} not` : 'no server metrics',
    );
  }

  function stackedBar(parts, height) {
    const total = parts.reduce((s, p) => s + p.value, 0);
    const bar = svg('svg', {
      viewBox: `0 0 1000 ${height}`,
      width: '100%',
      height,
      preserveAspectRatio: 'none',
      role: 'img',
    });
    let x = 0;
    for (const p of parts) {
      if (p.value <= 0 || total <= 0) continue;
      const w = (1000 * p.value) / total;
      bar.appendChild(
        svg('rect', { x, y: 0, width: w, height, fill: p.color }, [
          svg('title', { text: `${p.label}: ${p.text}` }),
        ]),
      );
      x += w;
    }
    if (total <= 0) bar.appendChild(svg('rect', { x: 0, y: 0, width: 1000, height, fill: C.line }));
    return bar;
  }

  function legend(parts) {
    return el(
      'div',
      { class: 'legend' },
      parts.map((p) =>
        el('span', {}, [
          el('i', { style: { background: p.color } }),
          el('span', { text: `${p.label} ` }),
          el('b', { text: p.text }),
        ]),
      ),
    );
  }

  function renderSources(d) {
    const a = d.answers;
    if (!a) return replace('sources', none('no answers reported (cleave_agent_answers_total is absent)'));
    const parts = Object.entries(a.bySource).map(([source, n]) => ({
      label: source,
      value: n,
      color: SOURCE_COLORS[source] || '#9ca3af',
      text: `${fmtInt(n)} (${fmtPct(n, a.total)})`,
    }));
    const extra = [];
    if (d.cache) {
      extra.push(
        el('div', {
          class: 'muted',
          text: `cache lookups: ${Object.entries(d.cache)
            .map(([k, v]) => `${k} ${fmtInt(v)}`)
            .join(', ')}`,
        }),
      );
    }
    if (d.policy) {
      extra.push(
        el('div', {
          class: 'muted',
          text: `policy decisions: ${Object.entries(d.policy)
            .map(([k, v]) => `${k} ${fmtInt(v)}`)
            .join(', ')}`,
        }),
      );
    }
    replace('sources', stackedBar(parts, 26), legend(parts), ...extra);
  }

  function renderLatency(d) {
    if (!d.latency.length) return replace('latency', none('no cleave_inference_duration_seconds series yet'));
    const max = Math.max(...d.latency.map((r) => (isNum(r.p99Ms) ? r.p99Ms : 0)), 0.1);
    const lo = 0.01;
    const scale = (v) =>
      (Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(max * 1.2) - Math.log10(lo));
    const rows = d.latency.map((r) => {
      const bar = svg('svg', { viewBox: '0 0 200 12', width: 200, height: 12, preserveAspectRatio: 'none' });
      const color = r.side === 'cloud' ? C.cloud : C.edge;
      if (isNum(r.p50Ms))
        bar.appendChild(svg('rect', { x: 0, y: 2, width: 200 * scale(r.p50Ms), height: 8, fill: color }));
      if (isNum(r.p95Ms)) {
        bar.appendChild(
          svg('rect', { x: 200 * scale(r.p95Ms) - 1, y: 0, width: 2, height: 12, fill: color, opacity: 0.7 }),
        );
      }
      if (isNum(r.p99Ms)) {
        bar.appendChild(
          svg('rect', {
            x: 200 * scale(r.p99Ms) - 1,
            y: 0,
            width: 2,
            height: 12,
            fill: color,
            opacity: 0.35,
          }),
        );
      }
      return el('tr', { 'data-side': r.side, 'data-stage': r.stage }, [
        el('td', { class: `l side-${r.side}`, text: r.side }),
        el('td', { class: 'l', text: r.stage }),
        el('td', { text: fmtInt(r.count) }),
        el('td', { class: 'p50', text: fmtMs(r.p50Ms) }),
        el('td', { class: 'p95', text: fmtMs(r.p95Ms) }),
        el('td', { class: 'p99', text: fmtMs(r.p99Ms) }),
        el('td', { text: fmtMs(r.meanMs) }),
        el('td', { class: 'l' }, [bar]),
      ]);
    });
    const head = el(
      'tr',
      {},
      ['side', 'stage', 'count', 'p50', 'p95', 'p99', 'mean', 'p50 bar, p95/p99 ticks (log)'].map((h, i) =>
        el('th', { class: i < 2 || i === 7 ? 'l' : undefined, text: h }),
      ),
    );
    replace('latency', el('table', {}, [el('thead', {}, [head]), el('tbody', {}, rows)]));
  }

  function renderThroughput(d) {
    const pts = d.history.filter((p) => isNum(p.answersPerS) || isNum(p.serverPerS));
    if (pts.length < 2) return replace('throughput', none('collecting (one point per poll)'));
    const w = 600;
    const h = 90;
    const t0 = pts[0].t;
    const t1 = pts[pts.length - 1].t;
    const maxV = Math.max(1, ...pts.map((p) => Math.max(p.answersPerS || 0, p.serverPerS || 0)));
    const x = (t) => (t1 > t0 ? ((t - t0) / (t1 - t0)) * w : 0);
    const y = (v) => h - 4 - (v / maxV) * (h - 12);
    const line = (key, color) => {
      const coords = pts
        .filter((p) => isNum(p[key]))
        .map((p) => `${x(p.t).toFixed(1)},${y(p[key]).toFixed(1)}`);
      return coords.length > 1
        ? svg('polyline', { points: coords.join(' '), fill: 'none', stroke: color, 'stroke-width': 2 })
        : null;
    };
    const chart = svg(
      'svg',
      { viewBox: `0 0 ${w} ${h}`, width: '100%', height: h, preserveAspectRatio: 'none' },
      [
        svg('line', { x1: 0, x2: w, y1: h - 4, y2: h - 4, stroke: C.line }),
        line('serverPerS', C.cloud),
        line('answersPerS', C.edge),
      ],
    );
    const lastPt = pts[pts.length - 1];
    replace(
      'throughput',
      chart,
      legend([
        { label: 'agent answers/s', color: C.edge, text: fmtNum(lastPt.answersPerS) },
        { label: 'server requests/s', color: C.cloud, text: fmtNum(lastPt.serverPerS) },
        { label: 'peak', color: 'transparent', text: fmtNum(maxV) },
      ]),
    );
  }

  function renderPayload(d) {
    const p = d.payload;
    if (!p) return replace('payload', none('no offloads reported (cleave_payload_size_bytes is absent)'));
    const t = el('table', {}, [
      el('tbody', {}, [
        el('tr', {}, [el('td', { text: 'offloads' }), el('td', { text: fmtInt(p.count) })]),
        el('tr', {}, [
          el('td', { text: 'mean bytes per offload' }),
          el('td', { id: 'payload-mean', text: fmtBytes(p.meanBytes) }),
        ]),
        el('tr', {}, [
          el('td', { text: 'p50 / p95 (bucket estimate)' }),
          el('td', { text: `${fmtBytes(p.p50Bytes)} / ${fmtBytes(p.p95Bytes)}` }),
        ]),
        el('tr', {}, [
          el('td', { text: 'frame bytes sent in all' }),
          el('td', { text: fmtBytes(p.totalBytes) }),
        ]),
      ]),
    ]);
    replace('payload', t);
  }

  function bySourceTable(e, caption) {
    const rows = Object.entries(e.bySource).map(([s, v]) =>
      el('tr', {}, [
        el('td', { text: s }),
        el('td', { text: fmtMj(v.computeMj) }),
        el('td', { text: fmtMj(v.radioMj) }),
        el('td', { text: fmtMj(v.totalMj) }),
      ]),
    );
    if (!rows.length) return null;
    return el('table', { class: 'attrs' }, [
      el('thead', {}, [
        el(
          'tr',
          {},
          [caption, 'compute', 'radio', 'total'].map((h) => el('th', { text: h })),
        ),
      ]),
      el('tbody', {}, rows),
    ]);
  }

  function energyBlock(e, label) {
    const parts = [
      { label: 'compute', value: e.computeMj || 0, color: C.compute, text: fmtMj(e.computeMj) },
      { label: 'radio', value: e.radioMj || 0, color: C.radio, text: fmtMj(e.radioMj) },
    ];
    const how = [
      `${label} over ${fmtInt(e.inferences)} inferences`,
      `method ${e.methods.length ? e.methods.join(', ') : DASH}`,
      e.meters.length ? `from ${e.meters.join(', ')}` : null,
    ].filter(Boolean);
    return el('div', {}, [
      el('div', { class: 'row' }, [
        el('b', { id: 'energy-total', text: `${fmtMj(e.totalMj)} per inference` }),
      ]),
      stackedBar(parts, 18),
      legend(parts),
      el('div', { class: 'muted', text: how.join('; ') }),
    ]);
  }

  function renderEnergy(d) {
    const m = d.energy.metrics;
    const t = d.energy.traces;
    const power = isNum(d.energy.boardPowerW)
      ? el('div', {
          class: 'muted',
          text: `board power now: ${fmtNum(d.energy.boardPowerW)} W (hw_power_watts)`,
        })
      : null;
    if (!m && !t) {
      return replace(
        'energy',
        none(
          'not reported: no cleave_inference_energy_* series and no cleave.energy.* attributes on recent traces',
        ),
        power,
      );
    }
    const main = m ? energyBlock(m, m.from) : energyBlock(t, `the last ${fmtInt(t.inferences)} traces`);
    const split =
      (m && bySourceTable(m, 'by answer source')) ||
      (t && bySourceTable(t, `by answer source, last ${fmtInt(t.inferences)} traces`));
    replace('energy', main, split, power);
  }

  function renderServer(d) {
    const s = d.server;
    const rows = [];
    if (s.requests) {
      for (const [k, v] of Object.entries(s.requests)) {
        rows.push(el('tr', {}, [el('td', { text: `requests: ${k}` }), el('td', { text: fmtInt(v) })]));
      }
    }
    if (s.batch) {
      rows.push(
        el('tr', {}, [
          el('td', { text: 'batch size mean / p50 / p95' }),
          el('td', { text: `${fmtNum(s.batch.mean)} / ${fmtNum(s.batch.p50)} / ${fmtNum(s.batch.p95)}` }),
        ]),
      );
      rows.push(el('tr', {}, [el('td', { text: 'batches run' }), el('td', { text: fmtInt(s.batch.count) })]));
    }
    rows.push(
      el('tr', {}, [el('td', { text: 'queue depth now' }), el('td', { text: fmtInt(s.queueDepth) })]),
    );
    if (!s.requests && !s.batch && s.queueDepth === null)
      return replace('server', none('no tail-server metrics in this process'));
    replace('server', el('table', {}, [el('tbody', {}, rows)]));
  }

  function renderStreams(d) {
    if (!d.streams || !d.streams.length)
      return replace('streams', none('no stream sources in this process (cleave_stream_frames_total is absent)'));
    const pct = (v) => (isNum(v) ? `${(v * 100).toFixed(1)}%` : DASH);
    const head = el(
      'tr',
      {},
      [
        'source',
        'state',
        'in/s',
        'answered/s',
        'skipped/s',
        'dropped/s',
        'in',
        'answered',
        'skipped',
        'dropped',
        'age p50',
        'age p99',
        'on device',
      ].map((h, i) => el('th', { class: i < 2 ? 'l' : undefined, text: h })),
    );
    const rows = d.streams.map((r) => {
      const ps = r.perSecond || {};
      return el('tr', { 'data-source': r.source }, [
        el('td', { class: 'l mono', text: r.source }),
        el('td', { class: 'l', text: r.state || DASH }),
        el('td', { text: fmtNum(ps.in) }),
        el('td', { text: fmtNum(ps.answered) }),
        el('td', { text: fmtNum(ps.skipped) }),
        el('td', { text: fmtNum(ps.dropped) }),
        el('td', { text: fmtInt(r.frames.in) }),
        el('td', { text: fmtInt(r.frames.answered) }),
        el('td', { text: fmtInt(r.frames.skipped) }),
        el('td', { text: fmtInt(r.frames.dropped) }),
        el('td', { class: 'age-p50', text: fmtMs(r.ageP50Ms) }),
        el('td', { class: 'age-p99', text: fmtMs(r.ageP99Ms) }),
        el('td', { class: 'device', text: pct(r.deviceShare) }),
      ]);
    });
    replace('streams', el('table', {}, [el('thead', {}, [head]), el('tbody', {}, rows)]));
  }

  function renderAgents(d) {
    if (!d.agents.length) {
      return replace(
        'agents',
        none(
          'none yet: agents appear from their cleave.infer spans (or server spans naming cleave.agent.id)',
        ),
      );
    }
    const head = el(
      'tr',
      {},
      ['agent', 'service', 'inferences', 'offloaded', 'served here', 'last seen'].map((h, i) =>
        el('th', { class: i < 2 ? 'l' : undefined, text: h }),
      ),
    );
    const rows = d.agents.map((a) =>
      el('tr', {}, [
        el('td', { class: 'l mono', text: a.id }),
        el('td', { class: 'l', text: a.serviceName }),
        el('td', { text: fmtInt(a.inferences) }),
        el('td', { text: fmtInt(a.offloads) }),
        el('td', { text: fmtInt(a.served) }),
        el('td', { text: fmtAgo(a.agoS) }),
      ]),
    );
    replace('agents', el('table', {}, [el('thead', {}, [head]), el('tbody', {}, rows)]));
  }

  function renderRecent(d) {
    const t = d.traces;
    const stats = t.stats
      ? `${fmtInt(t.stats.traces)} traces, ${fmtInt(t.stats.spans)} spans held; dropped ${fmtInt(t.stats.droppedTraces)} traces, ${fmtInt(t.stats.droppedSpans)} spans`
      : '';
    if (!t.recent.length)
      return replace('recent', none('no traces yet'), el('div', { class: 'muted', text: stats }));
    const head = el(
      'tr',
      {},
      ['trace', 'root', 'answer', 'cloud', 'spans', 'duration', 'ended'].map((h, i) =>
        el('th', { class: i < 3 ? 'l' : undefined, text: h }),
      ),
    );
    const shown = d.traces.waterfall ? d.traces.waterfall.traceId : null;
    const rows = t.recent.map((r) =>
      el(
        'tr',
        {
          class: `click${r.traceId === shown ? ' sel' : ''}`,
          title: 'show this trace in the waterfall',
          onclick: () => {
            pinned = r.traceId;
            selectedSpan = null;
            poll(true);
          },
        },
        [
          el('td', { class: 'l mono', text: r.traceId.slice(0, 12) }),
          el('td', { class: 'l', text: r.rootName }),
          el('td', { class: 'l', text: r.source ? `${r.source}${r.degraded ? ' (degraded)' : ''}` : DASH }),
          el('td', { text: r.crossesCloud ? 'yes' : 'no' }),
          el('td', { text: fmtInt(r.spanCount) }),
          el('td', { text: fmtMs(r.durationMs) }),
          el('td', { text: fmtAgo(r.agoS) }),
        ],
      ),
    );
    replace(
      'recent',
      el('table', {}, [el('thead', {}, [head]), el('tbody', {}, rows)]),
      el('div', { class: 'muted', text: stats }),
    );
  }

  function label(s) {
    const name =
      s.name.replace(/^cleave\.v1\./, '') +
      (s.kind === 'client' || s.kind === 'server' ? ` (${s.kind})` : '');
    const room = 44 - s.depth * 2;
    return name.length > room ? `${name.slice(0, room - 1)}\u2026` : name;
  }

  function renderWaterfall(d) {
    const w = d.traces.waterfall;
    $('follow').hidden = pinned === null;
    if (!w) {
      $('trace-id').textContent = '';
      return replace('waterfall', none('no trace yet'));
    }
    $('trace-id').textContent =
      `${w.rootName} \u00b7 ${w.traceId} \u00b7 ${fmtMs(w.durationMs)}${pinned ? ' (pinned)' : ''}`;
    const labelW = 340;
    const width = 1100;
    const rowH = 22;
    const barW = width - labelW - 90;
    const total = Math.max(w.durationMs, 0.001);
    const height = w.spans.length * rowH + 24;
    const chart = svg('svg', {
      viewBox: `0 0 ${width} ${height}`,
      width: '100%',
      role: 'img',
      id: 'waterfall-svg',
    });
    for (let i = 0; i <= 4; i++) {
      const x = labelW + (barW * i) / 4;
      chart.appendChild(svg('line', { x1: x, x2: x, y1: 0, y2: height - 18, stroke: C.line }));
      chart.appendChild(
        svg('text', {
          x,
          y: height - 4,
          'font-size': 11,
          fill: C.muted,
          'text-anchor': 'middle',
          text: fmtMs((total * i) / 4),
        }),
      );
    }
    w.spans.forEach((s, i) => {
      const y = i * rowH;
      const color = s.status === 'error' ? C.bad : s.side === 'cloud' ? C.cloud : C.edge;
      const x = labelW + (barW * s.offsetMs) / total;
      const bw = Math.max(1.5, (barW * s.durationMs) / total);
      const tip = [
        `${s.name} (${s.kind}, ${s.serviceName})`,
        `start +${fmtMs(s.offsetMs)}, ${fmtMs(s.durationMs)}`,
      ]
        .concat(Object.entries(s.attributes).map(([k, v]) => `${k} = ${v}`))
        .join('\n');
      const g = svg(
        'g',
        {
          class: 'span-row',
          'data-side': s.side,
          'data-name': s.name,
          onclick: () => {
            selectedSpan = s.spanId;
            renderSpanDetails(w);
          },
        },
        [
          svg('title', { text: tip }),
          svg('rect', {
            x: 0,
            y,
            width,
            height: rowH,
            fill: s.spanId === selectedSpan ? C.selected : 'transparent',
          }),
          svg('text', {
            x: 6 + s.depth * 14,
            y: y + 15,
            'font-size': 12,
            fill: s.side === 'cloud' ? C.cloud : C.edge,
            text: label(s),
          }),
          svg('rect', { x, y: y + 4, width: bw, height: rowH - 8, rx: 2, fill: color }),
          svg('text', {
            x: Math.min(x + bw + 4, width - 80),
            y: y + 15,
            'font-size': 11,
            fill: C.muted,
            text: fmtMs(s.durationMs),
          }),
        ],
      );
      chart.appendChild(g);
    });
    replace(
      'waterfall',
      chart,
      legend([
        {
          label: 'edge (agent)',
          color: C.edge,
          text: `${w.spans.filter((s) => s.side === 'edge').length} spans`,
        },
        {
          label: 'cloud (tail server)',
          color: C.cloud,
          text: `${w.spans.filter((s) => s.side === 'cloud').length} spans`,
        },
      ]),
    );
    renderSpanDetails(w);
  }

  function renderSpanDetails(w) {
    const s = w.spans.find((x) => x.spanId === selectedSpan) || w.spans[0];
    if (!s) return replace('span-details');
    const rows = [
      ['span', `${s.name} (${s.kind})`],
      ['service', s.serviceName],
      ['start / duration', `+${fmtMs(s.offsetMs)} / ${fmtMs(s.durationMs)}`],
      ['status', s.status],
    ]
      .concat(Object.entries(s.attributes))
      .map(([k, v]) =>
        el('tr', {}, [el('td', { class: 'mono', text: k }), el('td', { class: 'mono', text: v })]),
      );
    replace('span-details', el('table', { class: 'attrs' }, [el('tbody', {}, rows)]));
  }

  function render(d) {
    document.title = `${d.title} dashboard`;
    $('services').textContent = d.services.length ? `service ${d.services.join(', ')}` : '';
    renderKpis(d);
    renderSources(d);
    renderLatency(d);
    renderThroughput(d);
    renderPayload(d);
    renderEnergy(d);
    renderServer(d);
    renderStreams(d);
    renderAgents(d);
    renderRecent(d);
    renderWaterfall(d);
    replace('errors', ...d.errors.map((e) => el('div', { class: 'err', text: e })));
  }

  let timer = null;
  let inFlight = false;
  async function poll(now) {
    if (inFlight && !now) return;
    clearTimeout(timer);
    inFlight = true;
    const status = $('status');
    try {
      const url = pinned ? `${DATA_URL}?trace=${encodeURIComponent(pinned)}` : DATA_URL;
      const res = await fetch(url, { cache: 'no-store' });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      last = await res.json();
      if (pinned && (!last.traces.waterfall || last.traces.waterfall.traceId !== pinned)) pinned = null;
      render(last);
      status.className = 'live';
      $('status-text').textContent = `live \u00b7 updated ${new Date(last.generatedAt).toLocaleTimeString()}`;
      document.body.dataset.updates = String(Number(document.body.dataset.updates || '0') + 1);
    } catch (error) {
      status.className = 'down';
      $('status-text').textContent = `cannot reach the server (${error.message}); retrying`;
    } finally {
      inFlight = false;
      timer = setTimeout(poll, POLL_MS);
    }
  }

  $('follow').addEventListener('click', () => {
    pinned = null;
    selectedSpan = null;
    poll(true);
  });
  poll(true);
})();
