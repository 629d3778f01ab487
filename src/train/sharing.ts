// Degrees of weight sharing in the FCN branch: which convolutions the conversion frees, into full
// or low-rank locally connected layers (Elsayed et al. 2020), periodic re-tying toward the mean
// bank (Pogodin et al. 2021), soft tying by a penalty, and Ott et al.'s variable connection
// probability (fixed input masks). Their values, the checks of their combinations and their phrase
// in the log; the settings table holds the entries.
import type { ToLocalOptions } from '../nn/model';
import { planNetwork } from '../nn/plan';
import { NetworkSpec, toLocalSpec } from '../nn/spec';
import { SettingValueError, ValueKind } from './settingKinds';

/** The weight-sharing settings of a run (TrainSettings has them). */
export interface SharingSettings {
  /** The convolutions the conversion frees: 'all', or their numbers in order ('2,3'). */
  free: string;
  /** Re-tie the freed layers every N optimizer steps of the FCN branch (0: never). */
  tieEvery: number;
  /** How far a re-tying pulls each position's bank toward the mean: W ← (1 − α)·W + α·W̄ (1: fully). */
  tieStrength: number;
  /** λ of the soft-tying penalty λ/2 · Σ‖W_ij − W̄‖² on the freed layers (0: none). */
  tiePenalty: number;
  /** Probability of dropping each input unit of a freed layer by a fixed mask (0: none). */
  vcp: number;
  /** The rank of the freed layers: each position mixes this many basis banks (null: full, one bank per position). */
  lcRank: number | null;
}

/** The settings of the plain experiment: every convolution freed, nothing tied, nothing masked. */
export const NO_SHARING: Readonly<SharingSettings> = Object.freeze({ free: 'all', tieEvery: 0, tieStrength: 1, tiePenalty: 0, vcp: 0, lcRank: null });

/** A rank (a whole number >= 1), or 'full' (null): one bank per position. */
export const lcRankKind: ValueKind<number | null> = {
  parse(text) {
    const t = text.trim();
    if (t === 'full') return null;
    if (!/^[1-9]\d{0,5}$/.test(t)) throw new SettingValueError("expected full, or a whole number >= 1.");
    return Number(t);
  },
  problem(value) {
    return value === null || (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 999_999) ? null : "must be null (full) or an integer >= 1";
  },
};

const LAYER_LIST = /^[1-9]\d{0,2}(,[1-9]\d{0,2})*$/;

/** 'all', or layer numbers such as '2,3' (kept sorted, each once, so equal choices compare equal). */
export const freeLayersKind: ValueKind<string> = {
  parse(text) {
    const t = text.replace(/\s+/g, '');
    if (t === 'all') return t;
    if (!LAYER_LIST.test(t)) throw new SettingValueError("expected all, or convolution numbers such as 2,3.");
    return [...new Set(t.split(',').map(Number))].sort((a, b) => a - b).join(',');
  },
  problem(value) {
    if (value === 'all') return null;
    const ok = typeof value === 'string' && LAYER_LIST.test(value) && freeLayersKind.parse(value) === value;
    return ok ? null : "must be 'all' or convolution numbers in increasing order, such as '2,3'";
  },
};

/** The numbers of the convolutions `free` names, of a network with `convolutions` of them. */
export function freedLayers(free: string, convolutions: number): number[] {
  return free === 'all' ? Array.from({ length: convolutions }, (_, i) => i + 1) : free.split(',').map(Number);
}

/**
 * Why these settings cannot run (a layer that does not exist, a branch setting without a branch,
 * a strength without re-tying), naming the flag; null when they can.
 */
export function sharingProblem(s: SharingSettings & { fcnEpochs: number }, convolutions: number): string | null {
  const missing = freedLayers(s.free, convolutions).find((n) => n > convolutions);
  if (missing !== undefined) return `--free ${s.free}: the network has convolutions 1 to ${convolutions}, not ${missing}`;
  if (s.fcnEpochs === 0) {
    const set = (['free', 'tieEvery', 'tiePenalty', 'vcp'] as const).find((k) => s[k] !== NO_SHARING[k]);
    if (set) return `${FLAGS[set]} ${s[set]} sets the FCN branch, but there is none (--fcn-epochs 0)`;
  }
  if (s.tieEvery === 0 && s.tieStrength !== NO_SHARING.tieStrength) return `--tie-strength ${s.tieStrength} does nothing without --tie-every N`;
  if (s.lcRank !== null) {
    if (s.fcnEpochs === 0) return `--lc-rank ${s.lcRank} sets the FCN branch, but there is none (--fcn-epochs 0)`;
    const other = (['tieEvery', 'tiePenalty', 'vcp'] as const).find((k) => s[k] !== NO_SHARING[k]);
    if (other) return `--lc-rank ${s.lcRank} with ${FLAGS[other]} ${s[other]} is not defined: re-tying, the tie penalty and VCP act on full locally connected layers`;
  }
  return null;
}

/** Why the FCN of `cnn` cannot be built with these settings (a rank above a freed layer's positions), naming the flag; null when it can. */
export function fcnProblem(s: SharingSettings & { seed: number }, cnn: NetworkSpec): string | null {
  if (s.lcRank === null) return null;
  try {
    planNetwork(toLocalSpec(cnn, fcnOptions(s, cnn)));
    return null;
  } catch (error) {
    return `--lc-rank ${s.lcRank}: ${(error as Error).message.replace(/^network "[^"]*": layers\[\d+\] /, '')}`;
  }
}

const FLAGS: Record<keyof SharingSettings, string> = {
  free: '--free',
  tieEvery: '--tie-every',
  tieStrength: '--tie-strength',
  tiePenalty: '--tie-penalty',
  vcp: '--vcp',
  lcRank: '--lc-rank',
};

/** The FCN branch's sharing in a few words, for the log; null for the plain experiment. */
export function describeSharing(s: SharingSettings): string | null {
  const parts: string[] = [];
  if (s.free !== 'all') parts.push(`FCN frees conv ${s.free} only`);
  if (s.lcRank !== null) parts.push(`freed layers of rank ${s.lcRank}`);
  if (s.tieEvery > 0) parts.push(`re-tied every ${s.tieEvery} steps (strength ${s.tieStrength})`);
  if (s.tiePenalty > 0) parts.push(`tie penalty λ ${s.tiePenalty}`);
  if (s.vcp > 0) parts.push(`VCP masks p ${s.vcp}`);
  return parts.length > 0 ? parts.join(', ') : null;
}

/** How the conversion frees `cnn` (a network spec) for these settings: which layers, of which rank, and their input masks. */
export function fcnOptions(s: SharingSettings & { seed: number }, cnn: NetworkSpec): ToLocalOptions {
  const convolutions = cnn.layers.filter((l) => l.type === 'conv').length;
  return {
    layers: freedLayers(s.free, convolutions),
    ...(s.vcp > 0 ? { mask: { drop: s.vcp, seed: s.seed } } : {}),
    ...(s.lcRank !== null ? { rank: s.lcRank, seed: s.seed } : {}),
  };
}
