// report.md: every setting, the machine and the commit, the must-shows, and the tables.
import type { Regime, Results } from './results-schema.js';

const pct = (x: number, d = 1) => `${(x * 100).toFixed(d)}%`;
const ms = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
const mj = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 1 ? x.toFixed(2) : x.toFixed(3));
const yes = (b: boolean | null) => (b === null ? 'not checked' : b ? '**met**' : '**not met**');
const row = (cells: readonly (string | number)[]) => `| ${cells.join(' | ')} |`;
const table = (head: readonly string[], rows: readonly (readonly (string | number)[])[]) => [
  row(head),
  row(head.map(() => '---')),
  ...rows.map(row),
];

function regimeTable(r: Regime, label: (id: string) => string): string[] {
  return table(
    [
      'strategy',
      'accuracy',
      'p50 ms',
      'p95 ms',
      'p99 ms',
      'compute mJ',
      'radio mJ',
      'total mJ',
      'B up / inf.',
      'offloaded',
    ],
    r.strategies.map((s) => [
      label(s.strategy) +
        (s.plans
          ? ` (${Object.entries(s.plans)
              .map(([p, x]) => `${p} ${pct(x, 0)}`)
              .join(', ')})`
          : ''),
      pct(s.accuracy),
      ms(s.latencyMs.p50),
      ms(s.latencyMs.p95),
      ms(s.latencyMs.p99),
      mj(s.energyMj.compute),
      mj(s.energyMj.radio),
      mj(s.energyMj.total),
      s.bytesUpPerInference.toFixed(0),
      pct(s.offloadShare, 0),
    ]),
  );
}

export function renderReport(r: Results, plots: readonly string[]): string {
  const s = r.settings;
  const label = (id: string) => id;
  const L: string[] = [];
  L.push(`# cleave bench — ${r.date}`, '');
  L.push(
    `Commit \`${r.commit}\`${r.dirty ? ' (with uncommitted changes in the tree)' : ''}; ${r.machine.cpus}× ${r.machine.cpuModel}, ` +
      `${r.machine.memGiB.toFixed(0)} GiB, ${r.machine.platform}, Node ${r.machine.node}; load average at the start ` +
      `${r.machine.loadAverage.map((x) => x.toFixed(2)).join(' / ')}. Run time ${(r.runSeconds / 60).toFixed(1)} min` +
      `${s.quick ? ' (`--quick`)' : ''}.`,
    '',
  );
  L.push('## Must show', '');
  const m = r.mustShows;
  L.push(
    ...table(
      ['must-show', 'status', 'measured'],
      [
        [
          'Rate: cascade bytes ≤ 5% of raw input, ≤ 0.5 pt below the teacher',
          yes(m.rate.met),
          m.rate.summary,
        ],
        [
          'Policy: ≤ 5% above the best fixed strategy everywhere, strictly better somewhere',
          yes(m.policy.met),
          m.policy.summary,
        ],
        [
          'Latency: on lte and 3g, cascade p95 below lossless-WebP offload p95',
          yes(m.latency.met),
          m.latency.summary,
        ],
        ['Scale: 1,000 agents, 0 errors, p99 per N', yes(m.scale.met), m.scale.summary],
        [
          'CI: `npm run bench -- --quick` ≤ 3 min, JSON checked against the schema',
          yes(m.ci.met),
          m.ci.summary,
        ],
      ],
    ),
    '',
  );
  L.push('## Settings', '');
  L.push(`- Link emulation: **${r.emulation.kind}** — ${r.emulation.reason}`);
  for (const l of r.links) {
    const p = l.link;
    L.push(
      `- \`${p.name}\`: ${p.rateMbit} Mbit/s and ${p.delayMs} ms one way in each direction (RTT ${2 * p.delayMs} ms)${p.loss ? `, ${(p.loss * 100).toFixed(1)}% loss` : ''}; radio model \`${p.radio}\``,
    );
  }
  L.push(
    `- Devices: ${s.devices.join(', ')}; camera runs: ${s.runs.map((x) => `F = ${x.fps} fps on ${x.images} test images`).join(', ')} (the same class-balanced prefix of the test set for every strategy)`,
    `- Accuracy/rate pass: ${s.accuracyImages} test images per strategy, ${s.concurrency} in flight, over loopback without link emulation`,
    `- Warm-up: ${s.warmup} validation images per strategy before each run (not recorded), then ${s.idleMs === undefined ? '1 s' : `${s.idleMs / 1000} s`} idle; offload timeout ${s.timeoutMs} ms`,
    `- Bundles: ${s.bundles.join(', ')}; cascades: ${s.cascadeBundles.join(', ')}; cache run: ${s.cacheBundle} with every image twice, shuffled`,
    `- SLO given to the policy: ${s.slo.latencyMs} ms per request, ≤ ${s.slo.accuracyDropPt} pt below the teacher → bundle ${s.policyBundle.why}`,
    `- Scale: ${s.scale ? `N = ${s.scale.agents.join(', ')} agents × ${s.scale.inFlightPerAgent} in flight, ${s.scale.seconds} s each after ${s.scale.warmupSeconds ? `${s.scale.warmupSeconds} s` : '1 s (3 s from 100 agents)'} of warm-up, batching on and off` : 'not run'}`,
    '',
  );
  L.push('## Methods', '');
  for (const [k, v] of Object.entries(r.methods)) L.push(`- **${k}**: ${v}`);
  L.push('', 'Measured compute time here per batch-1 inference (ms), the basis of every compute figure:', '');
  L.push(
    ...table(
      ['model', 'ms here'],
      Object.entries(r.costs).map(([k, v]) => [k, v.toFixed(3)]),
    ),
    '',
  );
  L.push('## Rate and accuracy', '');
  const teacher = r.accuracy.find((a) => a.strategy === 'local-only');
  L.push(
    ...table(
      [
        'strategy',
        'images',
        'accuracy',
        'Δ teacher (pt)',
        'B sent / inference',
        'of raw input',
        'offloaded',
        'degraded',
      ],
      r.accuracy.map((a) => [
        label(a.strategy),
        a.requests,
        pct(a.accuracy, 2),
        teacher ? ((a.accuracy - teacher.accuracy) * 100).toFixed(2) : '-',
        a.bytesUpPerInference.toFixed(1),
        pct(a.bytesUpPerInference / r.rawInputBytes),
        pct(a.offloadShare),
        a.degraded,
      ]),
    ),
    '',
    `Raw input: ${r.rawInputBytes} bytes (8-bit pixels). Bytes are serialized gRPC requests (frame + message + 5-byte prefix); HTTP/2 and TCP/IP overhead is in the link tables below.`,
    '',
  );
  L.push('## Regimes', '');
  L.push(
    'Winners are taken over the fixed strategies and the policy (the cache run streams every image twice, so it is not compared). ' +
      '"Splitting pays" compares the best strategy that cuts the model (naive split, bottleneck splits, cascades) with the best that does not (local-only, full offload).',
    '',
  );
  L.push(
    ...table(
      [
        'link',
        'device',
        'F',
        'energy winner',
        'p95 winner',
        'splitting pays (energy / p95)',
        'policy mJ',
        'best fixed',
        'ratio',
      ],
      r.regimes.map((g) => {
        const e = g.strategies.find((x) => x.strategy === g.energyWinner)!;
        const p = g.strategies.find((x) => x.strategy === g.p95Winner)!;
        return [
          g.link,
          g.device,
          g.fps,
          `${g.energyWinner} (${mj(e.energyMj.total)} mJ)`,
          `${g.p95Winner} (${ms(p.latencyMs.p95)} ms)`,
          `${g.splitPays.energy ? 'yes' : '**no**'} / ${g.splitPays.p95 ? 'yes' : '**no**'}`,
          g.policy ? mj(g.policy.energyMj) : '-',
          g.policy ? `${g.policy.bestFixed} (${mj(g.policy.bestFixedMj)})` : '-',
          g.policy ? g.policy.ratio.toFixed(3) : '-',
        ];
      }),
    ),
    '',
  );
  const noSplit = r.regimes.filter((g) => !g.splitPays.energy);
  L.push(
    noSplit.length
      ? `**Where splitting does not pay on energy** (${noSplit.length} of ${r.regimes.length} regimes): ${noSplit.map((g) => `${g.link}/${g.device}/F=${g.fps} (${g.energyWinner})`).join(', ')}.`
      : 'Splitting pays on energy in every regime of this run.',
    '',
  );
  L.push(
    ...(m.latency.rows.length
      ? [
          '### Latency must-show rows',
          '',
          ...table(
            ['link', 'device', 'F', 'strategy', 'p95 ms', 'WebP offload p95 ms', 'below?'],
            m.latency.rows.map((x) => [
              x.link,
              x.device,
              x.fps,
              x.strategy,
              ms(x.p95Ms),
              ms(x.webpP95Ms),
              x.met ? 'yes' : '**no**',
            ]),
          ),
          '',
        ]
      : []),
  );
  L.push('### Every regime', '');
  for (const g of r.regimes)
    L.push(`#### ${g.link}, ${g.device}, F = ${g.fps}`, '', ...regimeTable(g, label), '');
  L.push('## Links as emulated', '');
  for (const l of r.links) {
    const sh = l.shaper;
    L.push(
      `- \`${l.link.name}\`: ${l.wallSeconds.toFixed(0)} s of runs` +
        (sh
          ? `; shaper carried up ${sh.up.payloadBytes} B payload in ${sh.up.segments} segments (${sh.up.linkBytes} B with headers, ${sh.up.lost} lost), down ${sh.down.payloadBytes} B (${sh.down.linkBytes} B, ${sh.down.lost} lost); longest queueing ${ms(Math.max(sh.up.maxQueueMs, sh.down.maxQueueMs))} ms`
          : ''),
    );
  }
  L.push('');
  if (r.scale) {
    L.push('## Scale', '', r.scale.note, '');
    L.push(
      ...table(
        [
          'agents',
          'batching',
          'in flight each',
          'answered',
          'throughput / s',
          'p50 ms',
          'p99 ms',
          'errors',
          'mean batch',
        ],
        r.scale.runs.map((x) => [
          x.agents,
          x.batching ? 'on' : 'off',
          x.inFlightPerAgent,
          x.answered,
          x.throughputPerSec.toFixed(0),
          ms(x.latencyMs.p50),
          ms(x.latencyMs.p99),
          x.errors,
          x.meanBatchSize?.toFixed(1) ?? 'n/a',
        ]),
      ),
      '',
    );
  }
  L.push('## Split-point sweep', '', r.splitSweep.reason, '');
  const sw = r.splitSweep.sweep;
  if (sw) {
    L.push(
      ...table(
        ['cut', 'op', 'features', 'frame bytes', 'head ms here', 'tail ms here'],
        sw.cuts.map((c) => [
          c.name,
          c.op,
          `[${c.dims.join(', ')}]`,
          c.frameBytes.toFixed(0),
          c.headMs.toFixed(2),
          c.tailMs.toFixed(2),
        ]),
      ),
      '',
    );
    for (const [device, d] of Object.entries(sw.devices)) {
      L.push(
        `Best cut on ${device} by bandwidth (Mbit/s): ` +
          sw.bandwidthsMbit
            .map((bw, j) => `${bw}: latency → ${d.bestLatency[j]}, energy → ${d.bestEnergy[j]}`)
            .join('; '),
        '',
      );
    }
  }
  L.push('## Plots', '', ...plots.map((p) => `- [${p}](${p})`), '');
  if (r.notes.length) L.push('## Notes', '', ...r.notes.map((n) => `- ${n}`), '');
  return `${L.join('\n')}\n`;
}
