// The dashboard page: one HTML document with its CSS and script inline (from ./assets), nothing
// loaded from anywhere else. The Content-Security-Policy admits exactly those inline blocks (by
// sha256) and fetches to this origin, so a stray external asset would be refused (and reported
// on the browser console).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

const asset = (name: string) => readFileSync(new URL(`./assets/${name}`, import.meta.url), 'utf8');

const STYLE = asset('dashboard.css');
const SCRIPT = asset('dashboard.js');
const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  `script-src ${sha256(SCRIPT)}`,
  `style-src ${sha256(STYLE)}`,
  "connect-src 'self'",
  'img-src data:',
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}

const kpi = (id: string, label: string) =>
  `<div class="kpi" id="${id}"><div class="label">${label}</div><div class="value">–</div><div class="sub"></div></div>`;

export function dashboardHtml(o: { title: string; dataUrl: string }): string {
  const title = escapeHtml(o.title);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} dashboard</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body data-url="${escapeHtml(o.dataUrl)}">
<header>
  <h1>${title}</h1>
  <span class="meta" id="services"></span>
  <span class="meta">edge–cloud split inference · live from this server's /metrics and recent traces</span>
  <span id="status"><span class="dot"></span><span id="status-text">connecting…</span></span>
</header>
<main>
  <section class="span12 kpis">
    ${kpi('kpi-answers', 'Answers')}
    ${kpi('kpi-rate', 'Throughput')}
    ${kpi('kpi-device', 'Answered on the device')}
    ${kpi('kpi-p95', 'Latency')}
    ${kpi('kpi-bytes', 'Bytes per offload')}
    ${kpi('kpi-energy', 'Energy per inference')}
    ${kpi('kpi-server', 'Tail server')}
    ${kpi('kpi-agents', 'Agents seen')}
  </section>
  <section class="card span6"><h2>Where answers came from</h2><div id="sources"></div></section>
  <section class="card span6"><h2>Throughput</h2><div id="throughput"></div></section>
  <section class="card span8"><h2>Latency by stage (estimated from histogram buckets)</h2><div id="latency"></div></section>
  <section class="card span4"><h2>Bytes per offload</h2><div id="payload"></div></section>
  <section class="card span6"><h2>Energy per inference</h2><div id="energy"></div></section>
  <section class="card span6"><h2>Tail server</h2><div id="server"></div></section>
  <section class="card span12"><h2>Streams</h2><div id="streams"></div></section>
  <section class="card span12">
    <h2>Trace waterfall, edge → cloud</h2>
    <div class="row"><span class="mono muted" id="trace-id"></span><button id="follow" type="button" hidden>follow the latest</button></div>
    <div id="waterfall"></div>
    <div id="span-details"></div>
  </section>
  <section class="card span6"><h2>Agents seen</h2><div id="agents"></div></section>
  <section class="card span6"><h2>Recent traces</h2><div id="recent"></div></section>
  <section class="span12" id="errors"></section>
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
