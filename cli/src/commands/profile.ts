// `cleave profile MODEL.onnx --calib … --link … --device …`: every valid cut of the model with its
// head and tail latency measured here, its frame bytes after the codec, and the predicted
// end-to-end latency and device energy on a device and link; recommends the cut that minimises
// the objective (as Neurosurgeon does) and, with --split, writes that cut's bundle.
import { writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { compactRequestWireBytes, NOMINAL_LINK_MBPS, socketBytesOf } from '@cleave/edge-agent';
import {
  type CutPrediction,
  type DeviceModel,
  decodeOnnxModel,
  defaultBottleneck,
  indexGraph,
  type LinkModel,
  type Objective,
  predictCuts,
  profileCuts,
  recommendCut,
  SplitError,
  splitModel,
} from '@cleave/graph';
import { DEVICE_PROFILES, getRadioProfile, isDeviceProfileName, radioEnergy } from '@cleave/telemetry';
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

/** Round-trip times assumed per link type (not measured): typical figures, stated in the output. */
export const ASSUMED_RTT_MS: Record<string, number> = { ethernet: 2, wifi: 10, '5g': 20, lte: 50, '3g': 150 };
const LINKS = [...Object.keys(NOMINAL_LINK_MBPS), 'custom'];
/** The agent's default offload timeout, as it goes into every InferRequest. */

export const PROFILE_HELP = `cleave profile MODEL.onnx --calib DIR|FILE [options]

Lists every valid cut point with: the head's latency measured here at batch 1, times the device
profile's speed factor (an estimate, stated); the tail's latency measured here; the mean bytes of
real feature frames after the codec (calibrated per cut on --calib); and the predicted end-to-end
latency (device head + uplink + RTT + downlink + tail) and device energy (head compute at the
profile's power with one core busy, plus the link's radio model for one transfer from idle).
Recommends the cut that minimises --objective.

  --link L             ${LINKS.join(' | ')} (default wifi; rates: the agent's nominal link rates)
  --uplink-mbps N      uplink for --link custom (or to override a link's nominal rate)
  --downlink-mbps N    downlink (default: the uplink for custom)
  --rtt-ms N           round trip (default: ${Object.entries(ASSUMED_RTT_MS)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')} ms; required for custom)
  --radio R            radio energy model for --link custom (default wifi)
  --device NAME        ${Object.keys(DEVICE_PROFILES).join(' | ')} (default rpi4)
  --objective O        latency | energy (default latency)
  --repeats N          timed runs per model (default 10)
  --learned            predict latency and energy with the learned bottleneck's frame (the 'learned B'
                       column) instead of the plain cut's, for choosing a cut for --learn
  --json FILE          also write every figure as JSON
  --split              write the bundle of the recommended cut (needs --out; --labels, --name as split)
  --out DIR            the bundle folder for --split
  --labels FILE        class names for --split
  --name NAME          bundle name for --split
${INPUT_OPTIONS_HELP}Here --limit defaults to 64 (profiling needs few inputs), or to 256 with --exit-at.
With --split (TENSOR must be computed by the recommended cut's head; an exit needs ≥ 80 inputs):
${EXIT_OPTIONS_HELP}`;

const positive = (text: string | undefined, what: string): number | undefined => {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!(n > 0) || !Number.isFinite(n))
    throw new SplitError(`${what}: expected a positive number, got "${text}"`);
  return n;
};

function linkModel(values: Record<string, string | boolean | undefined>): LinkModel {
  const name = String(values.link ?? 'wifi');
  if (!LINKS.includes(name))
    throw new SplitError(`--link: expected one of ${LINKS.join(', ')}, got "${name}"`);
  const nominal = NOMINAL_LINK_MBPS[name];
  const up = positive(values['uplink-mbps'] as string | undefined, '--uplink-mbps') ?? nominal?.up;
  const rtt = values['rtt-ms'] === undefined ? ASSUMED_RTT_MS[name] : Number(values['rtt-ms']);
  if (up === undefined) throw new SplitError('--link custom needs --uplink-mbps');
  if (rtt === undefined || !(rtt >= 0)) throw new SplitError('--link custom needs --rtt-ms');
  const down =
    positive(values['downlink-mbps'] as string | undefined, '--downlink-mbps') ?? nominal?.down ?? up;
  const radio = getRadioProfile(name === 'custom' ? String(values.radio ?? 'wifi') : name);
  return {
    name,
    uplinkMbps: up,
    downlinkMbps: down,
    rttMs: rtt,
    radioMj: (bytesUp, bytesDown) =>
      radioEnergy(radio, { bytesUp, bytesDown, uplinkMbps: up, downlinkMbps: down }).joules * 1000,
  };
}

function deviceModel(name: string): DeviceModel {
  if (!isDeviceProfileName(name)) {
    throw new SplitError(
      `--device: expected one of ${Object.keys(DEVICE_PROFILES).join(', ')}, got "${name}"`,
    );
  }
  const p = DEVICE_PROFILES[name];
  // One of four cores busy, as cleave demo's energy report charges on-device compute.
  return { name, speedFactor: p.speedFactor, busyWatts: p.idleWatts + (p.maxWatts - p.idleWatts) / 4 };
}

/** The default --learn bottleneck's frame (bit-packed codes + header): an estimate, an upper bound. */
const learnedFrame = (dims: readonly number[]) => defaultBottleneck(dims)?.frameBytes.toFixed(0) ?? '-';

/**
 * The compact answer at the socket (id, label, score, server time: about 16 B with its gRPC
 * prefix, docs/wire-format.md), whatever the class count: the agent asks for logits only when a
 * caller wants scores.
 */
export const responseBytes = (_classes: number) => socketBytesOf(16);

/** A compact request at the socket: a stream-scoped id of 2 varint bytes (ids 128..16383). */
export const wireBytes = (frameBytes: number) =>
  socketBytesOf(compactRequestWireBytes({ id: 1000, frameBytes }));

function table(predictions: readonly CutPrediction[], marks: Map<CutPrediction, string>): string {
  const rows = predictions.map((p, i) => [
    String(i + 1),
    p.profile.cut.tensor,
    `[${p.profile.featureDims.join('x')}]`,
    p.profile.headMs.toFixed(2),
    p.deviceHeadMs.toFixed(2),
    p.profile.tailMs.toFixed(2),
    p.profile.frameBytes.toFixed(0),
    learnedFrame(p.profile.featureDims),
    p.latencyMs.toFixed(1),
    p.energyMj.toFixed(1),
    marks.get(p) ?? '',
  ]);
  const head = [
    '#',
    'cut',
    'features',
    'head ms',
    'on device',
    'tail ms',
    'frame B',
    'learned B',
    'e2e ms',
    'energy mJ',
    '',
  ];
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (r: string[]) =>
    r.map((v, c) => (c === 1 ? v.padEnd(widths[c]!) : v.padStart(widths[c]!))).join('  ');
  return [line(head), ...rows.map(line)].map((l) => l.trimEnd()).join('\n');
}

export async function profileCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...INPUT_OPTIONS,
      ...EXIT_OPTIONS,
      limit: { type: 'string' },
      link: { type: 'string', default: 'wifi' },
      'uplink-mbps': { type: 'string' },
      'downlink-mbps': { type: 'string' },
      'rtt-ms': { type: 'string' },
      radio: { type: 'string' },
      device: { type: 'string', default: 'rpi4' },
      objective: { type: 'string', default: 'latency' },
      repeats: { type: 'string', default: '10' },
      json: { type: 'string' },
      split: { type: 'boolean' },
      learned: { type: 'boolean' },
      out: { type: 'string' },
      labels: { type: 'string' },
      name: { type: 'string' },
    },
  });
  if (values.help) {
    process.stdout.write(PROFILE_HELP);
    return 0;
  }
  // Profiling needs few inputs; an exit is fitted on 3 of every 4 and gated on the 4th.
  values.limit ??= values['exit-at'] === undefined ? '64' : '256';
  const [path] = positionals;
  if (path === undefined) {
    process.stderr.write(`cleave profile: which model?\n\n${PROFILE_HELP}`);
    return 2;
  }
  try {
    const objective = values.objective as Objective;
    if (objective !== 'latency' && objective !== 'energy')
      throw new SplitError('--objective: latency or energy');
    if (values.split && !values.out) throw new SplitError('--split needs --out DIR');
    if (values['exit-at'] !== undefined && !values.split) throw new SplitError('--exit-at needs --split');
    const link = linkModel(values);
    const device = deviceModel(values.device);
    const inputs = await readModelInputs(path, values);
    const index = indexGraph(decodeOnnxModel(inputs.bytes));
    const profile = await profileCuts(index, inputs.inputDims, inputs.calib.samples, {
      bits: inputs.bits,
      repeats: Number(values.repeats),
    });
    // With --learned every sendable cut is predicted with the learned frame it would get.
    const cuts = values.learned
      ? profile.cuts.map((c) => ({
          ...c,
          frameBytes: defaultBottleneck(c.featureDims)?.frameBytes ?? c.frameBytes,
        }))
      : profile.cuts;
    const predictions = predictCuts(cuts, device, link, wireBytes, responseBytes(profile.classes));
    const best = {
      latency: recommendCut(predictions, 'latency'),
      energy: recommendCut(predictions, 'energy'),
    };
    const marks = new Map<CutPrediction, string>();
    marks.set(best.energy, 'min energy');
    marks.set(best.latency, best.latency === best.energy ? 'min latency, min energy' : 'min latency');
    const chosen = best[objective];
    const dp = DEVICE_PROFILES[device.name as keyof typeof DEVICE_PROFILES];
    process.stdout.write(
      [
        `${basename(path)}: ${predictions.length} valid cut points with sendable features, on ${inputs.calib.description}`,
        `device ${device.name}: head time here × speed factor ${device.speedFactor} (estimated, not measured: ${
          dp.source
            .split('speedFactor:')[1]
            ?.replace(/^\s*estimate\s*/, '')
            .trim() ?? 'docs/energy.md'
        }), ${device.busyWatts.toFixed(2)} W while busy (estimated)`,
        `link ${link.name}: up ${link.uplinkMbps} Mbit/s, down ${link.downlinkMbps} Mbit/s, RTT ${link.rttMs} ms${values['rtt-ms'] === undefined ? ' (assumed)' : ''}; radio energy modeled (one transfer from idle, with its tail)`,
        `tail times are this machine's; frames are ${inputs.bits}-bit features through the codec; full model here: ${profile.fullMs.toFixed(2)} ms`,
        `learned B: the frame cleave split --learn's default bottleneck would send (a quarter of the channels at 4 bits, half the height and width from 8×8 up), estimated before training as its codes bit-packed plus the frame header: an upper bound, since the entropy coder takes it lower${values.learned ? '; --learned: e2e ms and energy use it (the encoder and decoder add a little compute, not counted)' : ''}`,
        '',
        table(predictions, marks),
        '',
        `recommended for ${objective}: ${chosen.profile.cut.tensor} (${chosen.latencyMs.toFixed(1)} ms, ${chosen.energyMj.toFixed(1)} mJ, ${chosen.profile.frameBytes.toFixed(0)} B a frame)`,
        '',
      ].join('\n'),
    );
    if (values.json) {
      const json = {
        model: basename(path),
        device: { ...device, source: dp.source },
        link: {
          name: link.name,
          uplinkMbps: link.uplinkMbps,
          downlinkMbps: link.downlinkMbps,
          rttMs: link.rttMs,
        },
        bits: inputs.bits,
        learnedFrames: {
          method:
            'estimated: the default --learn bottleneck, codes bit-packed plus the frame header (an upper bound)',
          usedForPrediction: values.learned === true,
        },
        fullMs: profile.fullMs,
        fullMacs: profile.fullMacs,
        objective,
        recommended: { latency: best.latency.profile.cut.tensor, energy: best.energy.profile.cut.tensor },
        cuts: predictions.map((p) => ({
          ...p,
          profile: undefined,
          ...p.profile,
          cut: p.profile.cut.tensor,
          learnedFrameBytes: defaultBottleneck(p.profile.featureDims)?.frameBytes,
        })),
        unsendable: profile.cuts
          .filter((c) => c.unsendable)
          .map((c) => ({ cut: c.cut.tensor, why: c.unsendable })),
      };
      writeFileSync(values.json, `${JSON.stringify(json, null, 2)}\n`);
    }
    if (values.split && values.out) {
      const exit = await exitFor(inputs, chosen.profile.cut.tensor, values);
      const result = await splitModel({
        model: inputs.bytes,
        modelPath: path,
        at: chosen.profile.cut.tensor,
        calib: inputs.calib,
        inputDims: inputs.inputDims,
        normalization: inputs.normalization,
        out: values.out,
        bits: inputs.bits,
        ...(exit ? { exit: exit.exit } : {}),
        ...(values.name ? { name: values.name } : {}),
        ...(values.labels ? { labels: readLabels(values.labels) } : {}),
      });
      process.stdout.write(
        [
          `wrote ${values.out}: cut at ${result.cut.tensor}, top-1 agreement with full.onnx ${(result.measurement.agreement * 100).toFixed(2)}%, mean frame ${result.measurement.meanFrameBytes.toFixed(1)} B`,
          ...(exit ? exitReport(exit) : []),
          '',
        ].join('\n'),
      );
    }
    return 0;
  } catch (error) {
    return userError(error);
  }
}
