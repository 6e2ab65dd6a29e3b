// Estimates the offload link from the stream's own traffic (no probe packets): smoothed RTT
// (EWMA, as TCP's SRTT), the lowest RTT seen (the path's base delay), uplink bandwidth from how
// much longer than the base delay a frame's round trip took, and the server's own time.

export interface LinkSample {
  /** Round trip as the agent saw it, ms. */
  roundTripMs: number;
  /** The server's account of its own time, ms (queue + compute). */
  serverMs: number;
  /** Bytes sent. */
  bytes: number;
}

export interface LinkEstimate {
  samples: number;
  srttMs: number;
  minRttMs: number;
  serverMs: number;
  /** bits per second; Infinity until a transfer took measurably longer than the base delay. */
  uplinkBps: number;
}

export interface LinkEstimator {
  observe(sample: LinkSample): void;
  estimate(): LinkEstimate;
  /** Expected round trip for a frame of this size, ms; undefined before the first sample. */
  predictMs(bytes: number): number | undefined;
}

const ALPHA = 0.125; // RFC 6298's SRTT gain

export function createLinkEstimator(): LinkEstimator {
  let samples = 0;
  let srtt = 0;
  let minRtt = Number.POSITIVE_INFINITY;
  let server = 0;
  let bps = Number.POSITIVE_INFINITY;
  return {
    observe({ roundTripMs, serverMs, bytes }) {
      const network = Math.max(0, roundTripMs - serverMs);
      samples++;
      srtt = samples === 1 ? network : (1 - ALPHA) * srtt + ALPHA * network;
      server = samples === 1 ? serverMs : (1 - ALPHA) * server + ALPHA * serverMs;
      minRtt = Math.min(minRtt, network);
      const transferMs = network - minRtt;
      // Only transfers well above the base delay say anything about bandwidth.
      if (transferMs > 0.5 && bytes > 0) {
        const sampleBps = (bytes * 8) / (transferMs / 1000);
        bps = Number.isFinite(bps) ? (1 - ALPHA) * bps + ALPHA * sampleBps : sampleBps;
      }
    },
    estimate: () => ({ samples, srttMs: srtt, minRttMs: minRtt, serverMs: server, uplinkBps: bps }),
    predictMs(bytes) {
      if (samples === 0) return undefined;
      const transfer = Number.isFinite(bps) ? ((bytes * 8) / bps) * 1000 : 0;
      return srtt + transfer + server;
    },
  };
}
