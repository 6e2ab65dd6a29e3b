// The emulated links of `cleave bench` (issue 10): rate and one-way delay in each direction, and
// packet loss. The same figures drive netem (netns.ts) and the in-process shaper (link-shaper.ts),
// and each link names the radio power model its energy is charged with (docs/energy.md).

export const LINK_NAMES = ['edge-lan', 'wifi', 'lte', '3g'] as const;
export type LinkName = (typeof LINK_NAMES)[number];

export interface LinkProfile {
  name: LinkName;
  /** Rate of each direction, Mbit/s (netem `rate`). */
  rateMbit: number;
  /** One-way delay of each direction, ms (netem `delay` on both ends: RTT = 2 × this). */
  delayMs: number;
  /** Packet loss of each direction, as a fraction (netem `loss`). */
  loss: number;
  /** Radio power model of @cleave/telemetry for this link's energy. */
  radio: 'ethernet' | 'wifi' | 'lte' | '3g';
}

export const LINK_PROFILES: Readonly<Record<LinkName, LinkProfile>> = {
  'edge-lan': { name: 'edge-lan', rateMbit: 100, delayMs: 1, loss: 0, radio: 'ethernet' },
  wifi: { name: 'wifi', rateMbit: 20, delayMs: 5, loss: 0, radio: 'wifi' },
  lte: { name: 'lte', rateMbit: 5, delayMs: 40, loss: 0.001, radio: 'lte' },
  '3g': { name: '3g', rateMbit: 1, delayMs: 100, loss: 0, radio: '3g' },
};

export function isLinkName(name: string): name is LinkName {
  return (LINK_NAMES as readonly string[]).includes(name);
}

export function describeLink(p: LinkProfile): string {
  const loss = p.loss > 0 ? `, ${(p.loss * 100).toFixed(1)}% loss` : '';
  return `${p.rateMbit} Mbit/s, ${p.delayMs} ms one way${loss}`;
}
