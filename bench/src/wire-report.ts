// The Markdown of `cleave bench wire`: per bundle and direction, frame, message, HTTP/2, TCP
// payload, segments and bytes with IP+TCP headers, per offload; radio energy, and its fall
// against a previous run.
import type { DirectionCounts } from '@cleave/wire';
import type { WireForm } from './wire-senders.js';

export interface WireRow {
  bundle: string;
  frameVersion: number;
  /** Mean frame bytes sent. */
  frameBytes: number;
  /** Mean frame header + CRC bytes. */
  headerBytes: number;
  /** Per offload, from the proxy. */
  up: DirectionCounts;
  down: DirectionCounts;
  /** The link's radio model charged the socket bytes (ipBytes) of one offload, mJ. */
  radioMjPerInference: number;
}

export interface WireResults {
  generated: string;
  commit: string;
  form: WireForm;
  settings: {
    requests: number;
    inFlight: number;
    link: string;
    offloadsPerSec: number;
    ipTcpHeaderBytes: number;
    segments: string;
    nagle: string;
    /** Compact form: whether the agent bundled a turn's requests (docs/wire-format.md, "Bundles"). */
    bundled: boolean;
  };
  bundles: WireRow[];
  previous: null | {
    file: string;
    form: WireForm;
    rows: { bundle: string; radioMjBefore: number; radioMjNow: number; fallPercent: number }[];
    meanFallPercent: number;
  };
}

const f1 = (x: number | null) => (x === null ? 'n/a' : x.toFixed(1));

export function wireReportMd(r: WireResults): string {
  const s = r.settings;
  const lines = [
    `# cleave bench wire: ${r.form} form, ${s.requests} offloads per bundle, ${s.inFlight} in flight`,
    '',
    `Commit ${r.commit}, ${r.generated}. Segments: ${s.segments}; +${s.ipTcpHeaderBytes} B IP+TCP per segment.`,
    `Nagle and coalescing: ${s.nagle}`,
    '',
    '| Bundle | Dir | Frame | Message | HTTP/2 | TCP payload | Segments | With IP+TCP | Radio mJ/inference |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const b of r.bundles) {
    lines.push(
      `| ${b.bundle} (v${b.frameVersion}, header ${b.headerBytes.toFixed(1)} B) | up | ${b.frameBytes.toFixed(1)} | ${b.up.messageBytes.toFixed(1)} | ${b.up.http2Bytes.toFixed(1)} | ${b.up.bytes.toFixed(1)} | ${f1(b.up.segments)} | ${f1(b.up.ipBytes)} | ${b.radioMjPerInference.toFixed(4)} (${s.link}, ${s.offloadsPerSec}/s) |`,
      `| | down | | ${b.down.messageBytes.toFixed(1)} | ${b.down.http2Bytes.toFixed(1)} | ${b.down.bytes.toFixed(1)} | ${f1(b.down.segments)} | ${f1(b.down.ipBytes)} | |`,
    );
  }
  if (r.previous) {
    lines.push('', `Radio energy per inference against ${r.previous.file} (${r.previous.form} form):`, '');
    for (const p of r.previous.rows) {
      lines.push(
        `- ${p.bundle}: ${p.radioMjBefore.toFixed(4)} → ${p.radioMjNow.toFixed(4)} mJ, ${p.fallPercent >= 0 ? 'fell' : 'rose'} ${Math.abs(p.fallPercent).toFixed(1)}%`,
      );
    }
    lines.push(
      `- mean: ${r.previous.meanFallPercent >= 0 ? 'fell' : 'rose'} ${Math.abs(r.previous.meanFallPercent).toFixed(1)}%`,
    );
  }
  return `${lines.join('\n')}\n`;
}
