// What each point of a sweep measured, read from its run folder: test accuracies, robustness at
// the restored best epoch, final distances of every locally connected layer, and the distance
// curves over the epochs after conversion.
import fs from 'fs';
import { EpochRecord, ModelName, ROBUSTNESS_KEYS, RobustnessKey, readRunRecords, recordsOf, summarize } from '../report';
import { RunState, readRunState, runPaths } from '../train/runFiles';
import { pointDir, pointLog } from './folder';
import { SweepPoint } from './points';

/** The distances aggregated for each locally connected layer (the published columns). */
export const DISTANCE_KEYS = ['dist_1', 'dist_4', 'cos_1', 'cos_4'] as const;
export type DistanceKey = (typeof DISTANCE_KEYS)[number];

/** One model's results in one point. */
export interface ModelResult {
  /** Test accuracy of the restored best weights at the end of its branch (null without a test set). */
  test: number | null;
  /** The restored best epoch of its branch: where the robustness accuracies are read. */
  bestEpoch: number | null;
  /** Validation accuracy under each perturbation at bestEpoch (null when not measured). */
  robustness: Record<RobustnessKey, number | null>;
}

/** A point of a distance curve: one layer's distance `epochsAfter` epochs after the conversion. */
export interface CurvePoint {
  layer: string;
  metric: DistanceKey;
  epochsAfter: number;
  value: number;
}

/** One point's results; `status` says why they may be missing. */
export interface PointResult {
  point: SweepPoint;
  /** 'finished': both branches done; 'unfinished': started, not done; 'missing': not started. */
  status: 'finished' | 'unfinished' | 'missing';
  /** Where an unfinished point stands, or why its results could not be read. */
  note: string | null;
  models: Record<ModelName, ModelResult | null>;
  /** The final (last FCN epoch) distances of each locally connected layer, in layer order. */
  distances: { layer: string; values: Record<DistanceKey, number | null> }[];
  curves: CurvePoint[];
}

const finite = (v: number | null | undefined): number | null => (v === null || v === undefined || !Number.isFinite(v) ? null : v);

/** The epoch a model's branch restored: its early-stopping best, else its best validation accuracy, else its last epoch. */
function bestEpoch(rows: EpochRecord[], state: RunState | null, model: ModelName): number | null {
  const fromState = state?.models[model]?.earlyStopping.bestEpoch;
  if (fromState !== null && fromState !== undefined && rows.some((r) => r.epoch === fromState)) return fromState;
  let best: EpochRecord | null = null;
  for (const r of rows) if (Number.isFinite(r.val_accuracy) && (best === null || r.val_accuracy > best.val_accuracy)) best = r;
  return best?.epoch ?? rows[rows.length - 1]?.epoch ?? null;
}

function modelResult(records: EpochRecord[], state: RunState | null, model: ModelName): ModelResult | null {
  // The branch's records: the FCN's conversion record is the CNN it came from, and the CNN's
  // phase records precede the branch.
  const all = recordsOf(records, model);
  const branch = all.filter((r) => r.phase === 'branch');
  const rows = branch.length > 0 ? branch : model === 'cnn' ? all : [];
  if (rows.length === 0) return null;
  const summary = summarize(records).find((s) => s.model === model);
  const epoch = bestEpoch(rows, state, model);
  const at = rows.find((r) => r.epoch === epoch);
  const robustness = Object.fromEntries(ROBUSTNESS_KEYS.map((k) => [k, finite(at?.[k])])) as Record<RobustnessKey, number | null>;
  return { test: finite(summary?.testAccuracy), bestEpoch: epoch, robustness };
}

function distanceValue(layer: EpochRecord['layers'][number], key: DistanceKey): number | null {
  const [kind, radius] = key.split('_') as ['dist' | 'cos', string];
  return finite(layer[kind][Number(radius)]);
}

/** Reads one point's results from its run folder. */
export function collectPoint(sweepDir: string, point: SweepPoint): PointResult {
  const empty: PointResult = { point, status: 'missing', note: 'not started', models: { cnn: null, fcn: null }, distances: [], curves: [] };
  const paths = runPaths(pointDir(sweepDir, point));
  if (!fs.existsSync(paths.config)) {
    const log = pointLog(sweepDir, point);
    return fs.existsSync(log) ? { ...empty, note: `no run started: see ${log}` } : empty;
  }
  let records: EpochRecord[];
  let state: RunState | null;
  try {
    state = readRunState(paths);
    records = fs.existsSync(paths.jsonl) || fs.existsSync(paths.csv) ? readRunRecords(paths.dir, () => {}).records : [];
  } catch (error) {
    return { ...empty, status: 'unfinished', note: `unreadable: ${(error as Error).message}` };
  }
  const done = state?.phase === 'done';
  const note = done ? null : state ? `stopped after epoch ${state.completedEpoch} (phase ${state.phase})` : 'no epoch completed';
  const result: PointResult = { ...empty, status: done ? 'finished' : 'unfinished', note };
  if (!done) return result;
  result.models = { cnn: modelResult(records, state, 'cnn'), fcn: modelResult(records, state, 'fcn') };
  const fcn = recordsOf(records, 'fcn');
  const last = fcn[fcn.length - 1];
  result.distances = (last?.layers ?? []).map((layer) => ({
    layer: layer.layer,
    values: Object.fromEntries(DISTANCE_KEYS.map((k) => [k, distanceValue(layer, k)])) as Record<DistanceKey, number | null>,
  }));
  const conversion = state?.conversionEpoch ?? null;
  if (conversion !== null) {
    for (const r of fcn) {
      for (const layer of r.layers) {
        for (const metric of DISTANCE_KEYS) {
          const value = distanceValue(layer, metric);
          if (value !== null) result.curves.push({ layer: layer.layer, metric, epochsAfter: r.epoch - conversion, value });
        }
      }
    }
  }
  return result;
}
