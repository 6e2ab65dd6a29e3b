// Radio energy of a transfer (Huang et al., MobiSys 2012): while transferring P = α_u·u + α_d·d + β (mW, u and
// d in Mbps); before a transfer from idle the radio spends the promotion state; after the last byte it stays
// in the tail state until its inactivity timer expires.
//
// A transfer is modelled as its upload (at uplinkMbps) followed by its download (at downlinkMbps), which is
// what a split inference does: features up, logits down. So transfer energy =
//   α_u·(Mbit up) + α_d·(Mbit down) + β·(t_up + t_down).
// Promotion is charged when the radio was idle for at least the tail time (so it had demoted).
//
// Tail attribution (stateful model): each transfer is charged its tail up to the start of the next transfer,
// at most the full tail; the next transfer, starting inside that tail, pays no promotion. The tail is thus
// charged once. The current transfer's tail is unknown until the next one starts, so `transfer()` returns a
// provisional figure with the full tail, and the final figure is delivered by `onSettled` (or `settle()`).
import { getRadioProfile, type RadioProfile } from './radio-config.js';

export interface RadioTransferInput {
  readonly bytesUp: number;
  readonly bytesDown: number;
  readonly uplinkMbps: number;
  readonly downlinkMbps: number;
  /** Idle time before this transfer, ms; default Infinity (radio idle, so promotion is charged). */
  readonly idleBeforeMs?: number;
}

export interface RadioEnergy {
  readonly joules: number;
  readonly method: 'modeled';
  readonly source: string;
  readonly profile: string;
  readonly breakdown: { readonly promotion: number; readonly transfer: number; readonly tail: number };
  readonly durationsMs: { readonly promotion: number; readonly transfer: number; readonly tail: number };
}

function resolve(profile: RadioProfile | string): RadioProfile {
  return typeof profile === 'string' ? getRadioProfile(profile) : profile;
}

function seconds(bytes: number, mbps: number, what: string): number {
  if (!(bytes >= 0) || !Number.isFinite(bytes))
    throw new RangeError(`radio energy: ${what} bytes must be ≥ 0`);
  if (bytes === 0) return 0;
  if (!(mbps > 0) || !Number.isFinite(mbps)) throw new RangeError(`radio energy: ${what} Mbps must be > 0`);
  return (bytes * 8) / (mbps * 1e6);
}

interface Parts {
  readonly promotionMs: number;
  readonly transferMs: number;
  readonly promotionJ: number;
  readonly transferJ: number;
}

function parts(p: RadioProfile, input: RadioTransferInput, promoted: boolean): Parts {
  const upS = seconds(input.bytesUp, input.uplinkMbps, 'upload');
  const downS = seconds(input.bytesDown, input.downlinkMbps, 'download');
  const mbitUp = (input.bytesUp * 8) / 1e6;
  const mbitDown = (input.bytesDown * 8) / 1e6;
  const transferJ =
    (p.alphaUpMwPerMbps * mbitUp + p.alphaDownMwPerMbps * mbitDown) / 1000 +
    (p.betaMw / 1000) * (upS + downS);
  const promotionMs = promoted ? p.promotion.ms : 0;
  return {
    promotionMs,
    transferMs: (upS + downS) * 1000,
    promotionJ: (p.promotion.mw / 1000) * (promotionMs / 1000),
    transferJ,
  };
}

function result(p: RadioProfile, x: Parts, tailMs: number): RadioEnergy {
  const tailJ = (p.tail.mw / 1000) * (tailMs / 1000);
  return {
    joules: x.promotionJ + x.transferJ + tailJ,
    method: 'modeled',
    source: p.source,
    profile: p.name,
    breakdown: { promotion: x.promotionJ, transfer: x.transferJ, tail: tailJ },
    durationsMs: { promotion: x.promotionMs, transfer: x.transferMs, tail: tailMs },
  };
}

/** Energy of one isolated transfer: promotion if the radio was idle ≥ the tail time, transfer, full tail. */
export function radioEnergy(profile: RadioProfile | string, input: RadioTransferInput): RadioEnergy {
  const p = resolve(profile);
  const idle = input.idleBeforeMs ?? Number.POSITIVE_INFINITY;
  return result(p, parts(p, input, idle >= p.tail.ms), p.tail.ms);
}

export interface SettledRadioEnergy extends RadioEnergy {
  readonly startMs: number;
  readonly endMs: number;
}

export interface RadioEnergyModelOptions {
  /** Receives each transfer's final figure once its tail is known. */
  readonly onSettled?: (energy: SettledRadioEnergy) => void;
  /** Clock, ms; default performance.now. */
  readonly now?: () => number;
}

export interface RadioEnergyModel {
  readonly profile: RadioProfile;
  /**
   * Charges a transfer starting at `startMs` (default now). Settles the previous transfer (its tail ends at
   * this start) and returns this one's provisional figure, with the full tail.
   */
  transfer(
    input: Omit<RadioTransferInput, 'idleBeforeMs'> & { readonly startMs?: number },
  ): SettledRadioEnergy;
  /** Settles the pending transfer with its full tail (nothing followed it); returns it, if any. */
  settle(): SettledRadioEnergy | undefined;
}

export function createRadioEnergyModel(
  profile: RadioProfile | string,
  options: RadioEnergyModelOptions = {},
): RadioEnergyModel {
  const p = resolve(profile);
  const now = options.now ?? (() => performance.now());
  let pending: { parts: Parts; startMs: number; endMs: number } | undefined;
  let lastEndMs: number | undefined;

  function finish(tailMs: number): SettledRadioEnergy | undefined {
    if (pending === undefined) return undefined;
    const settled = { ...result(p, pending.parts, tailMs), startMs: pending.startMs, endMs: pending.endMs };
    pending = undefined;
    options.onSettled?.(settled);
    return settled;
  }

  return {
    profile: p,
    transfer(input) {
      const startMs = input.startMs ?? now();
      if (pending !== undefined) finish(Math.min(p.tail.ms, Math.max(0, startMs - pending.endMs)));
      const promoted = lastEndMs === undefined || startMs - lastEndMs >= p.tail.ms;
      const x = parts(p, input, promoted);
      const endMs = startMs + x.promotionMs + x.transferMs;
      pending = { parts: x, startMs, endMs };
      lastEndMs = Math.max(lastEndMs ?? endMs, endMs);
      return { ...result(p, x, p.tail.ms), startMs, endMs };
    },
    settle() {
      return finish(p.tail.ms);
    },
  };
}
