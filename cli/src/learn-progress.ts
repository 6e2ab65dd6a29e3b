// What `cleave split --learn` shows while the trainer runs: a progress bar per stage (features,
// the --target-bytes probes, stage 1, stage 2) with the epoch's loss, held-out agreement and
// bytes per frame. Without a terminal (CI, a pipe) each finished epoch is one line instead.
import type { TrainerEvent } from '@cleave/graph';
import cliProgress from 'cli-progress';

const STAGE_NAMES: Record<string, string> = {
  features: 'head features',
  1: 'stage 1 (reconstruct)',
  2: 'stage 2 (distil)',
  probe: 'target search',
};

export function learnProgress(stream: NodeJS.WriteStream = process.stderr) {
  const tty = stream.isTTY === true;
  let bar: cliProgress.SingleBar | undefined;
  let current = '';
  const open = (key: string, total: number, fields: Record<string, string>) => {
    if (current === key) return;
    bar?.stop();
    current = key;
    if (!tty) return;
    bar = new cliProgress.SingleBar(
      {
        stream,
        format: ` ${(STAGE_NAMES[key] ?? key).padEnd(22)} {bar} {value}/{total} {unit} | {detail}`,
        hideCursor: true,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, fields);
  };
  const line = (text: string) => {
    if (!tty) stream.write(`${text}\n`);
  };
  const pct = (v: number) => `${(v * 100).toFixed(2)}%`;
  return {
    onEvent(e: TrainerEvent): void {
      switch (e.event) {
        case 'progress':
          open('features', e.total, { unit: 'inputs', detail: '' });
          bar?.update(e.done, { detail: `${e.seconds} s` });
          if (e.done === e.total) line(`  head features: ${e.total} inputs in ${e.seconds} s`);
          break;
        case 'probe':
          open('probe', e.of, { unit: 'candidates', detail: '' });
          bar?.update(e.index, {
            detail: `${e.channels} ch × ${e.bits} b: ${pct(e.agreement)} at ~${e.estimatedPayloadBytes.toFixed(1)} B`,
          });
          line(
            `  probe ${e.index}/${e.of}: ${e.channels} channels at ${e.bits} bits → agreement ${pct(e.agreement)}, ~${e.estimatedPayloadBytes.toFixed(1)} B`,
          );
          break;
        case 'shape':
          line(
            `  bottleneck [${e.codeDims.join(', ')}] (${e.packedBytes} B bit-packed); ${e.epochs.stage1} + ${e.epochs.stage2} epochs`,
          );
          break;
        case 'epoch': {
          if (e.label !== 'train') break; // probes report once, as 'probe'
          open(String(e.stage), e.of, { unit: 'epochs', detail: '' });
          const detail = `loss ${e.loss.toFixed(4)} | held-out agreement ${pct(e.agreement)} | ~${(e.bytes + 4).toFixed(1)} B/frame | ${e.seconds} s`;
          bar?.update(e.epoch, { detail });
          line(`  stage ${e.stage} epoch ${e.epoch}/${e.of}: ${detail}`);
          break;
        }
        case 'resumed':
          line(`  resumed at stage ${e.stage}, after epoch ${e.epoch}`);
          break;
        case 'note':
          line(`  ${e.message}`);
          break;
        default:
          break;
      }
    },
    stop(): void {
      bar?.stop();
      bar = undefined;
    },
  };
}
