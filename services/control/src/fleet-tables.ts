// Plain-text tables of the fleet for `cleave fleet ls` and `cleave fleet status`.
import { isStale, type MemberRecord } from './registry.js';
import type { ConfigStatus, RolloutStatus } from './status.js';

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}

const ago = (iso: string, now: number) => {
  const s = Math.max(0, (now - Date.parse(iso)) / 1000);
  return s < 90 ? `${s.toFixed(1)}s` : `${(s / 60).toFixed(0)}m`;
};

function answers(stats: Record<string, unknown>): string {
  const by = stats.answeredBy as Record<string, number> | undefined;
  if (!by) return '';
  return ['exit', 'dual', 'cache', 'cloud', 'fallback'].map((k) => `${k[0]}${by[k] ?? 0}`).join(' ');
}

export function formatMembers(members: readonly MemberRecord[], now = Date.now()): string {
  if (members.length === 0) return 'no agents or servers in the registry\n';
  return table(
    ['KIND', 'ID', 'GROUP', 'VERSIONS', 'ENDPOINT', 'DEVICE', 'REQUESTS', 'ANSWERS', 'SEEN', 'STATE'],
    members.map((m) => [
      m.kind,
      m.id,
      m.group ?? '-',
      m.versions.join(',') || '-',
      m.endpoints.grpc ?? m.endpoints.http ?? '-',
      m.device,
      String(m.stats.requests ?? '-'),
      answers(m.stats),
      ago(m.lastSeen, now),
      isStale(m, now) ? 'stale' : m.ready ? 'ready' : 'not-ready',
    ]),
  );
}

export function formatStatuses(rollouts: readonly RolloutStatus[], configs: readonly ConfigStatus[]): string {
  const parts = [];
  parts.push(
    rollouts.length === 0
      ? 'no rollouts reported\n'
      : table(
          ['AGENT', 'GROUP', 'TARGET', 'STATE', 'SERVING', 'STEP', 'REASON'],
          rollouts.map((r) => [
            r.id,
            r.group ?? '-',
            r.target,
            r.state,
            r.serving,
            r.step ?? '-',
            (r.reason ?? '').split('\n')[0]!.slice(0, 100),
          ]),
        ),
  );
  parts.push(
    configs.length === 0
      ? 'no configuration reported\n'
      : table(
          ['AGENT', 'CONFIG', 'KEY', 'REVISION', 'ERROR'],
          configs.map((c) => [
            c.id,
            c.ok ? 'applied' : 'refused',
            c.key,
            String(c.revision),
            (c.error ?? '').replace(/\s+/g, ' ').slice(0, 100),
          ]),
        ),
  );
  return parts.join('\n');
}
