// The training augmentations: every perturbation the robustness measures use, each with a level,
// applied to every training batch (see batches.ts). This table is the one place that says
// what each is called, what its level means, and in which order they compose.
//
// Order of composition (fixed, whatever order --augment lists them in): quadrant swap, then
// rotation, then translation, then edge noise, then noise. The geometric ones move the picture
// first; the two noises are added last, to the frame the network sees, so that no interpolation
// smooths them and the edge-noise border is the border of that frame.
import { SettingValueError, ValueKind, numberWhere } from './settingKinds';

/** What a 32-bit seed derived from the run seed is for (batches.ts's derivedSeed): each augmentation's draws, and the robustness perturbations'. */
export type SeedPurpose =
  | 'train-noise'
  | 'robustness'
  | 'train-edge-noise'
  | 'train-translation'
  | 'train-rotation'
  | 'train-swap';

/** An augmentation's name in --augment, in config.json's words and in the CSV's aug_type column. */
export type AugmentationKind = 'swap' | 'rotation' | 'translation' | 'edge_noise' | 'noise';
/** The settings key holding its level. */
export type AugmentationKey = 'swap' | 'rotation' | 'translation' | 'edgeNoise' | 'noise';

/** The border width of edge noise, in pixels: PROTOCOL.md's 5, as the robustness measure uses. */
export const EDGE_NOISE_BORDER = 5;

/** One training augmentation. */
export interface TrainingAugmentation {
  kind: AugmentationKind;
  key: AugmentationKey;
  /** Valid levels (0 always means off). */
  level: ValueKind<number>;
  /** What the level means, for --help and docs/training.md. */
  meaning: string;
  /** The augmentation at `level` (> 0) in a few words, for the log. */
  phrase(level: number): string;
  /** Seed of its random draws (each augmentation has its own, so two never share a draw). */
  seed: SeedPurpose;
}

const percent = (v: number): string => `${Number((100 * v).toPrecision(6))}%`;

/** The augmentations in their order of composition. */
export const TRAINING_AUGMENTATIONS: readonly TrainingAugmentation[] = Object.freeze([
  {
    kind: 'swap',
    key: 'swap',
    level: numberWhere((v) => v >= 0 && v <= 1, 'must be in [0, 1]'),
    meaning: 'probability that an image has its top-right and bottom-left quarters exchanged',
    phrase: (p: number) => `quadrant swap of ${percent(p)} of the images`,
    seed: 'train-swap',
  },
  {
    kind: 'rotation',
    key: 'rotation',
    level: numberWhere((v) => v >= 0 && v <= 180, 'must be in [0, 180]'),
    meaning: 'largest rotation in degrees: each image turns by its own angle in (−level, level]',
    phrase: (d: number) => `rotation ±${d}°`,
    seed: 'train-rotation',
  },
  {
    kind: 'translation',
    key: 'translation',
    level: numberWhere((v) => v >= 0 && v < 1, 'must be in [0, 1)'),
    meaning: 'largest shift as a fraction of the side: each image moves by its own whole-pixel offset up to round(level·side) along each axis (nearest fill)',
    phrase: (f: number) => `translation ±${percent(f)} of the side`,
    seed: 'train-translation',
  },
  {
    kind: 'edge_noise',
    key: 'edgeNoise',
    level: numberWhere((v) => v >= 0, 'must be >= 0'),
    meaning: `σ of the Gaussian noise added to the ${EDGE_NOISE_BORDER}-pixel border only, on [0, 1] pixels`,
    phrase: (s: number) => `edge noise σ ${s}`,
    seed: 'train-edge-noise',
  },
  {
    kind: 'noise',
    key: 'noise',
    level: numberWhere((v) => v >= 0, 'must be >= 0'),
    meaning: 'σ of the Gaussian noise added to every pixel, on [0, 1] pixels (no clipping)',
    phrase: (s: number) => `noise σ ${s}`,
    seed: 'train-noise',
  },
] as TrainingAugmentation[]);

/** The levels of the augmentations, as the settings hold them. */
export type AugmentationLevels = Record<AugmentationKey, number>;

/** The augmentations switched on (level > 0), in composition order, with their levels. */
export function activeAugmentations(levels: AugmentationLevels): { augmentation: TrainingAugmentation; level: number }[] {
  return TRAINING_AUGMENTATIONS.filter((a) => levels[a.key] > 0).map((augmentation) => ({ augmentation, level: levels[augmentation.key] }));
}

const KINDS = TRAINING_AUGMENTATIONS.map((a) => a.kind);

/**
 * Reads --augment's value: `kind=level` pairs separated by commas (`translation=0.25,noise=0.3`),
 * or `none` (every level 0). Returns the levels it names, by settings key. Throws
 * {@link SettingValueError} naming the bad part.
 */
export function parseAugmentList(text: string): Partial<AugmentationLevels> {
  const trimmed = text.trim();
  if (trimmed === 'none') return Object.fromEntries(TRAINING_AUGMENTATIONS.map((a) => [a.key, 0])) as AugmentationLevels;
  if (trimmed === '') throw new SettingValueError(`expected kind=level pairs such as translation=0.25,noise=0.3, or none.`);
  const levels: Partial<AugmentationLevels> = {};
  for (const part of trimmed.split(',').map((p) => p.trim())) {
    const m = /^([a-z_]+)\s*=\s*(.*)$/.exec(part);
    const kind = m ? m[1] : part;
    const augmentation = TRAINING_AUGMENTATIONS.find((a) => a.kind === kind);
    if (!augmentation) throw new SettingValueError(`unknown augmentation '${kind}' (expected ${KINDS.join(', ')}, or none).`);
    if (!m || m[2] === '') throw new SettingValueError(`'${part}' needs a level, e.g. ${kind}=${kind === 'rotation' ? 15 : 0.25}.`);
    if (levels[augmentation.key] !== undefined) throw new SettingValueError(`${kind} is given twice.`);
    try {
      levels[augmentation.key] = augmentation.level.parse(m[2]);
    } catch (error) {
      throw new SettingValueError(`${kind}=${m[2]}: ${(error as Error).message}`);
    }
  }
  return levels;
}

/** The augmentations of a run in words: 'noise σ 0.5', 'rotation ±15°, then noise σ 0.3', 'no augmentation'. */
export function describeAugmentations(levels: AugmentationLevels): string {
  const active = activeAugmentations(levels);
  if (active.length === 0) return 'no augmentation';
  return active.map(({ augmentation, level }) => augmentation.phrase(level)).join(', then ');
}

/**
 * The CSV's aug_type and aug for a run. One augmentation: its kind and level, as the published
 * CSVs have them (`noise`, 0.5). None: `none`, 0. Several: aug_type lists `kind=level` in
 * composition order joined by '+' (`translation=0.25+noise=0.3`) and aug is NaN, since no one
 * number is their level.
 */
export function augmentationColumns(levels: AugmentationLevels): { aug_type: string; aug: number } {
  const active = activeAugmentations(levels);
  if (active.length === 0) return { aug_type: 'none', aug: 0 };
  if (active.length === 1) return { aug_type: active[0].augmentation.kind, aug: active[0].level };
  return { aug_type: active.map(({ augmentation, level }) => `${augmentation.kind}=${level}`).join('+'), aug: NaN };
}
