// What the page shows of one run: its settings in brief, how far it got, the CNN-vs-FCN summary and
// every figure's Vega-Lite spec (the same specs as the files in figures/, with every epoch's
// divergence maps for the slider).
import fs from 'fs';
import path from 'path';
import { EpochRecord, FigureSpec, SkippedFigure, buildFigureSpecs, markedConversion, readRunRecords, summarize, summaryCells, withFigureConfig } from '../report';
import { runPaths } from '../train/runFiles';
import { NO_SHARING, SharingSettings, describeSharing } from '../train/sharing';
import { RunStatus, runProgress } from './scan';

/** A run as the page shows it. */
export interface RunView {
  kind: 'run';
  path: string;
  name: string;
  status: RunStatus;
  /** Changes whenever the run's files do (the page refetches when it does). */
  stamp: string;
  /** The last completed epoch, and the epochs in the records. */
  epochs: number;
  records: number;
  conversionEpoch: number | null;
  /** A few settings in words, e.g. ['dataset synthetic', 'noise σ 0.5', …]. */
  facts: string[];
  summary: { header: string[]; body: string[][] } | null;
  figures: { name: string; spec: FigureSpec }[];
  skipped: SkippedFigure[];
  /** Files of the run folder a reader may download, relative to it. */
  files: string[];
  /** Why the records could not be read, when they could not. */
  problem: string | null;
}

function statStamp(file: string): string {
  try {
    const s = fs.statSync(file);
    return `${s.size}@${s.mtimeMs}`;
  } catch {
    return '-';
  }
}

/** A stamp of the run's files that say how far it got (cheap: a few stat calls). */
export function runStamp(dir: string): string {
  const p = runPaths(dir);
  const { status } = runProgress(dir);
  return [status, statStamp(p.jsonl), statStamp(p.csv), statStamp(p.state), statStamp(p.config)].join('|');
}

function facts(configFile: string): string[] {
  let config: { created?: string; settings?: Record<string, unknown>; device?: { name?: string; description?: string }; experiment?: { id?: number } | null };
  try {
    config = JSON.parse(fs.readFileSync(configFile, 'utf8'));
  } catch {
    return ['config.json unreadable'];
  }
  const s = config.settings ?? {};
  const out: string[] = [];
  if (typeof config.created === 'string') out.push(`started ${config.created.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}`);
  if (config.experiment && typeof config.experiment.id === 'number') out.push(`experiment ${config.experiment.id}`);
  if (s.dataset !== undefined) out.push(`dataset ${String(s.dataset)}${s.labels === 'coarse' ? ' (coarse labels)' : ''}`);
  if (typeof s.noise === 'number') out.push(`noise σ ${s.noise}`);
  if (s.cnnEpochs !== undefined) out.push(`CNN ${String(s.cnnEpochs)} + FCN ${String(s.fcnEpochs)} epochs`);
  if (s.lr !== undefined) out.push(`lr ${String(s.lr)}`);
  const sharing = describeSharing({ ...NO_SHARING, ...(s as Partial<SharingSettings>) });
  if (sharing !== null) out.push(sharing);
  if (s.seed !== undefined) out.push(`seed ${String(s.seed)}`);
  if (config.device?.name) out.push(`device ${config.device.name}`);
  return out;
}

const DOWNLOADS = ['config.json', 'metrics.csv', 'metrics.jsonl', 'summary.txt'];

/** The view of the run in `dir`, `rel` its path under the served folder. */
export function runView(dir: string, rel: string): RunView {
  const stamp = runStamp(dir);
  const progress = runProgress(dir);
  let records: EpochRecord[] = [];
  let problem: string | null = null;
  try {
    records = readRunRecords(dir, () => undefined).records;
  } catch (error) {
    // A new run has no metrics yet; anything else is worth saying.
    const message = (error as Error).message;
    problem = /no metrics\.jsonl or metrics\.csv/.test(message) ? null : message;
  }
  const { figures, skipped } = buildFigureSpecs(records, { mapEpochs: 'all' });
  return {
    kind: 'run',
    path: rel,
    name: rel === '' ? path.basename(dir) : rel.split('/').pop()!,
    status: progress.status,
    stamp,
    epochs: Math.max(progress.epochs, ...records.map((r) => r.epoch), 0),
    records: records.length,
    conversionEpoch: markedConversion(records),
    facts: facts(runPaths(dir).config),
    summary: records.length > 0 ? summaryCells(summarize(records)) : null,
    figures: figures.map(({ name, spec }) => ({ name, spec: withFigureConfig(spec) })),
    skipped,
    files: DOWNLOADS.filter((f) => fs.existsSync(path.join(dir, f))),
    problem,
  };
}
