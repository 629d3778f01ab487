// The per-epoch record the training loop produces, one per (epoch, model).

/** Neighbour distances and divergence of one locally connected layer (FCN rows only). */
export interface LayerDivergence {
  /** Layer name, such as 'lc1'. */
  layer: string;
  /** Radius -> mean neighbour Euclidean distance (null when the grid has no centre for that radius). */
  dist: Record<number, number | null>;
  /** Radius -> mean neighbour cosine distance (null when the grid has no centre for that radius). */
  cos: Record<number, number | null>;
  /** Mean over positions of ||W_ij - W_tied|| / ||W_tied||. */
  divergence: number;
  /** Per-position relative distance to the tied filter (row-major, height x width), for heat maps. */
  divergenceMap?: { height: number; width: number; values: number[] };
}

/** Which network a record describes: the (continued) CNN or the converted locally connected net. */
export type ModelName = 'cnn' | 'fcn';

/** 'cnn': the CNN phase before conversion; 'branch': after it (both models). */
export type PhaseName = 'cnn' | 'branch';

/** The validation accuracies under each perturbation (Ott et al.'s robustness measures). */
export type RobustnessKey = 'translation' | 'noise' | 'edge_noise' | 'rotation' | 'swap';

/** The robustness keys in the order of the published CSV. */
export const ROBUSTNESS_KEYS: readonly RobustnessKey[] = ['translation', 'noise', 'edge_noise', 'rotation', 'swap'];

/** The neighbour radii the published CSV reports. */
export const PUBLISHED_RADII: readonly number[] = [1, 4];

/** One epoch of one model. */
export interface EpochRecord {
  /** 1-based, counted from the start of the run (the branches continue the numbering after the CNN phase). */
  epoch: number;
  model: ModelName;
  phase: PhaseName;
  /** The training augmentation: 'none', one kind ('noise', 'translation', …), or several as 'translation=0.25+noise=0.3'. */
  aug_type: string;
  /** Its level (noise σ, e.g. 0.5; see src/train/augmentations.ts); 0 for none; NaN for several. */
  aug: number;
  /** Ott et al.'s variable connection probability: the FCN's input-mask drop rate (--vcp); 0 for the CNN. */
  vcp: number;
  loss: number;
  val_loss: number;
  /** Training accuracy, a fraction in [0, 1]. */
  accuracy: number;
  /** Validation accuracy, a fraction in [0, 1]. */
  val_accuracy: number;
  translation: number;
  noise: number;
  edge_noise: number;
  rotation: number;
  swap: number;
  /** Test accuracy, only at the end of a phase (or when evaluated). */
  test_accuracy: number | null;
  /** Empty for cnn. */
  layers: LayerDivergence[];
  /** Wall time of the epoch in seconds. */
  seconds: number;
  learning_rate: number;
  /** The soft-tying penalty λ/2·Σ‖W_ij − W̄‖², mean over the epoch's steps (FCN with --tie-penalty); null or absent otherwise. */
  tie_penalty?: number | null;
  /** The rank of the FCN's freed layers (--lc-rank); null or absent: full (one bank per position), and for the CNN. */
  lc_rank?: number | null;
}

/**
 * The layer whose distances fill the published dist_/cos_ columns: layer 1 (lc1, or 'layer1' read
 * from a published CSV); undefined when it was not freed.
 */
export function publishedLayer(record: EpochRecord): LayerDivergence | undefined {
  return record.layers.find((l) => l.layer === 'lc1' || l.layer === 'layer1');
}

/** The first locally connected layer of a record, or undefined (CNN rows). */
export function firstLayer(record: EpochRecord): LayerDivergence | undefined {
  return record.layers[0];
}

/** A copy of `records` ordered by epoch, the CNN before the FCN within an epoch (stable otherwise). */
export function sortRecords(records: readonly EpochRecord[]): EpochRecord[] {
  const rank = (m: ModelName): number => (m === 'cnn' ? 0 : 1);
  return records
    .map((r, i) => ({ r, i }))
    .sort((a, b) => a.r.epoch - b.r.epoch || rank(a.r.model) - rank(b.r.model) || a.i - b.i)
    .map((x) => x.r);
}

/** The records of one model, ordered by epoch. */
export function recordsOf(records: readonly EpochRecord[], model: ModelName): EpochRecord[] {
  return sortRecords(records.filter((r) => r.model === model));
}

/** The epoch at which the CNN was converted (the last CNN-phase epoch), or null when there was no CNN phase. */
export function conversionEpoch(records: readonly EpochRecord[]): number | null {
  let last: number | null = null;
  for (const r of records) if (r.phase === 'cnn' && (last === null || r.epoch > last)) last = r.epoch;
  return last;
}
