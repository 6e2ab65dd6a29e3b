// `cleave split MODEL.onnx --at TENSOR --calib DIR|FILE --out models/NAME`: cut any ONNX image
// classifier at a valid cut point and write a bundle the agent and `cleave serve` run unchanged
// (docs/bring-your-own-model.md). The work is in @cleave/graph; this file reads the options.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { decodeOnnxModel, indexGraph, SplitError, splitModel, validCutPoints } from '@cleave/graph';
import {
  EXIT_OPTIONS,
  EXIT_OPTIONS_HELP,
  exitFor,
  exitReport,
  INPUT_OPTIONS,
  INPUT_OPTIONS_HELP,
  readLabels,
  readModelInputs,
  userError,
} from '../model-inputs.js';
import { LEARN_OPTIONS, LEARN_OPTIONS_HELP, splitLearn } from '../split-learn.js';

export const SPLIT_HELP = `cleave split MODEL.onnx --at TENSOR --calib DIR|FILE --out DIR [options]

Cuts an ONNX image classifier (one input [batch, C, H, W], one logits output) at TENSOR, which
must be a valid cut point: every path from the input to the output passes through it. A tensor
inside a residual block is refused, with the valid cut points near it. Calibrates per-channel
ranges and static entropy tables on the calibration inputs, measures the split against the full
model on them (top-1 agreement, frame bytes), and writes a bundle: head.onnx, tail.onnx,
full.onnx and manifest.json. \`cleave profile\` lists the valid cut points and which to choose.

  --at TENSOR          the tensor to cut at (\`--at list\` prints the valid cut points)
  --out DIR            the bundle folder to write (its name is the bundle name)
${INPUT_OPTIONS_HELP}  --labels FILE        class names, one per line (or a JSON array); default class_0..class_{K-1}
  --name NAME          bundle name (default: the --out folder's name)
  --version V          bundle version (default 1.0.0)
${EXIT_OPTIONS_HELP}${LEARN_OPTIONS_HELP}`;

export async function splitCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...INPUT_OPTIONS,
      ...EXIT_OPTIONS,
      ...LEARN_OPTIONS,
      at: { type: 'string' },
      out: { type: 'string' },
      labels: { type: 'string' },
      name: { type: 'string' },
      version: { type: 'string' },
    },
  });
  if (values.help) {
    process.stdout.write(SPLIT_HELP);
    return 0;
  }
  const [path] = positionals;
  if (path === undefined) {
    process.stderr.write(`cleave split: which model?\n\n${SPLIT_HELP}`);
    return 2;
  }
  try {
    if (values.at === 'list' || values.at === undefined) {
      const index = indexGraph(decodeOnnxModel(readFileSync(path)));
      const cuts = validCutPoints(index);
      process.stdout.write(`${cuts.length} valid cut points of ${basename(path)}, input side first:\n`);
      for (const c of cuts) process.stdout.write(`  ${c.tensor}  (${c.op}${c.node ? ` ${c.node}` : ''})\n`);
      return values.at === undefined ? 2 : 0;
    }
    if (values.out === undefined) throw new SplitError('--out DIR is required');
    if (values.learn) return await splitLearn(path, values.at, values.out, values);
    if (values['labels-from'] !== undefined)
      throw new SplitError('--labels-from reports accuracy beside a learned bottleneck: add --learn');
    const inputs = await readModelInputs(path, values);
    const started = performance.now();
    const exit = await exitFor(inputs, values.at, values);
    const result = await splitModel({
      model: inputs.bytes,
      modelPath: path,
      at: values.at,
      calib: inputs.calib,
      inputDims: inputs.inputDims,
      normalization: inputs.normalization,
      out: values.out,
      bits: inputs.bits,
      ...(exit ? { exit: exit.exit } : {}),
      ...(values.name ? { name: values.name } : {}),
      ...(values.version ? { version: values.version } : {}),
      ...(values.labels ? { labels: readLabels(values.labels) } : {}),
    });
    const m = result.measurement;
    const b = result.bundle.manifest;
    process.stdout.write(
      [
        `wrote ${values.out}: bundle ${b.name}@${b.version} (${((performance.now() - started) / 1000).toFixed(1)} s)`,
        `  cut       ${result.cut.tensor} (${result.cut.op}), features [${result.featureDims.join(', ')}] at ${inputs.bits} bits`,
        `  MACs      head ${result.macs.head.toLocaleString('en')}, tail ${result.macs.tail.toLocaleString('en')} (full ${result.macs.full.toLocaleString('en')})`,
        `  on ${inputs.calib.description}:`,
        `    top-1 agreement with full.onnx  ${(m.agreement * 100).toFixed(2)}%`,
        `    largest logit difference        ${m.maxLogitDiff.toExponential(2)}`,
        `    mean frame                      ${m.meanFrameBytes.toFixed(1)} B (Shannon bound ${m.shannonBytes.toFixed(1)} B, packed ${m.packedBytes} B)`,
        ...(exit ? exitReport(exit) : []),
        `  serve it: cleave serve --models ${JSON.stringify(values.out.replace(/\/?[^/]+\/?$/, '') || '.')}`,
        '',
      ].join('\n'),
    );
    return 0;
  } catch (error) {
    return userError(error);
  }
}
