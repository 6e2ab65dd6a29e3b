// Radio profiles: the shipped constants (radio-profiles.json) and user overrides. A user file has the same
// shape; a profile it names is merged field by field over the shipped one (promotion/tail one level deep),
// and a new name must be complete. The result is validated.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import shipped from './radio-profiles.json' with { type: 'json' };

export const RADIO_LINK_TYPES = ['wifi', 'lte', '5g', 'ethernet', '3g'] as const;
export type RadioLinkType = (typeof RADIO_LINK_TYPES)[number];

const state = z.object({ mw: z.number().nonnegative(), ms: z.number().nonnegative() }).strict();

const profileSchema = z
  .object({
    alphaUpMwPerMbps: z.number().nonnegative(),
    alphaDownMwPerMbps: z.number().nonnegative(),
    betaMw: z.number().nonnegative(),
    promotion: state,
    tail: state,
    source: z.string().min(1),
    verification: z.string().optional(),
  })
  .strict();

const fileSchema = z.object({ $comment: z.string().optional(), profiles: z.record(z.string(), z.unknown()) });

export type RadioProfileData = z.infer<typeof profileSchema>;

export interface RadioProfile extends RadioProfileData {
  readonly name: string;
}

export type RadioProfiles = Readonly<Record<string, RadioProfile>>;

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function merge(base: unknown, override: unknown): unknown {
  if (!isRecord(base) || !isRecord(override)) return override;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(override)) {
    out[k] = isRecord(v) && isRecord(base[k]) ? { ...base[k], ...v } : v;
  }
  return out;
}

/** Validates a profiles document (optionally over a base set) and returns the named profiles. */
export function parseRadioProfiles(
  document: unknown,
  base: RadioProfiles = {},
  origin = 'radio profiles',
): RadioProfiles {
  const parsed = fileSchema.safeParse(document);
  if (!parsed.success) throw new Error(`${origin}: ${z.prettifyError(parsed.error)}`);
  const out: Record<string, RadioProfile> = { ...base };
  for (const [name, raw] of Object.entries(parsed.data.profiles)) {
    const existing = base[name];
    const candidate = existing === undefined ? raw : merge(stripName(existing), raw);
    const p = profileSchema.safeParse(candidate);
    if (!p.success) throw new Error(`${origin}: profile "${name}": ${z.prettifyError(p.error)}`);
    out[name] = { name, ...p.data };
  }
  return out;
}

function stripName(profile: RadioProfile): RadioProfileData {
  const { name: _name, ...data } = profile;
  return data;
}

/** The shipped profiles (validated at load). */
export const DEFAULT_RADIO_PROFILES: RadioProfiles = parseRadioProfiles(shipped, {}, 'radio-profiles.json');

/** The shipped profiles, overridden by a user JSON file when a path is given. */
export function loadRadioProfiles(userFile?: string): RadioProfiles {
  if (userFile === undefined) return DEFAULT_RADIO_PROFILES;
  let document: unknown;
  try {
    document = JSON.parse(readFileSync(userFile, 'utf8'));
  } catch (err) {
    throw new Error(`radio profiles: cannot read ${userFile}: ${String(err)}`);
  }
  return parseRadioProfiles(document, DEFAULT_RADIO_PROFILES, userFile);
}

export function getRadioProfile(
  name: string,
  profiles: RadioProfiles = DEFAULT_RADIO_PROFILES,
): RadioProfile {
  const profile = profiles[name];
  if (profile === undefined) {
    throw new Error(`unknown radio profile "${name}" (known: ${Object.keys(profiles).join(', ')})`);
  }
  return profile;
}
