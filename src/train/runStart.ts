// How a run starts in its folder: a new run writes its config.json; a resumed run reads its own and
// goes on from its last completed epoch; a forked run (a sweep's point whose CNN phase is shared)
// starts as a new run seeded with a CNN trajectory's records, checkpoints and state at its
// conversion epoch, and then goes on exactly as a resumed standalone run would.
import fs from 'fs';
import path from 'path';
import { numThreads } from '../device';
import { readMetricsJsonl, metricsJsonl } from '../report';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic';
import type { RunData } from './data';
import type { Progress, ProgressStream, StopRequest } from './progress';
import { checkSameData, describeStart, newConfig } from './runConfig';
import { RunPaths, RunState, readConfig, readRunState, runPaths } from './runFiles';
import { RunFolder, snapshotFile } from './runFolder';
import type { TrainSettings } from './settings';

/** What runTraining (experiment.ts) is asked to do. */
export interface RunRequest {
  /** The run's settings (for a resumed run: those of its config.json, device and threads possibly changed). */
  settings: TrainSettings;
  /** The run folder. */
  runDir: string;
  /** Continue the run in runDir from its last completed epoch. */
  resume: boolean;
  /** A new run forked from this CNN trajectory's run folder at its epoch settings.cnnEpochs (trajectory.ts). */
  fork?: string | null;
  /** CNN epochs whose state and checkpoints the run keeps for forks (a trajectory's). */
  keepEpochs?: readonly number[];
  /** The command line, for config.json. */
  argv: string[];
  /** Where progress goes (stderr); a bar when it is a terminal. */
  stderr: ProgressStream;
  /** Set by the SIGINT handler: the run stops at the next batch, keeping the last completed epoch. */
  stop: StopRequest;
  /** Stop cleanly after this many completed epochs (as if interrupted then); for tests. */
  stopAfterEpochs?: number | null;
  /** Write PNG figures beside the SVGs (default true; needs the optional renderer). */
  png?: boolean;
}

/** How a run ended (errors are thrown). */
export interface RunOutcome {
  /** 'finished': both phases done; 'interrupted': stopped by a signal; 'stopped': by stopAfterEpochs. */
  status: 'finished' | 'interrupted' | 'stopped';
  runDir: string;
  /** The last completed epoch, whose checkpoint is on disk (0: none). */
  completedEpoch: number;
  /** The CNN-vs-FCN summary table (when finished). */
  summary: string | null;
}

/**
 * Creates the run's config.json, resumes the run, or forks it from its trajectory; returns the
 * state of its last completed epoch (null: none yet).
 */
export function startFolder(folder: RunFolder, request: RunRequest, device: string, data: RunData, progress: Progress): RunState | null {
  let state: RunState | null = null;
  if (!request.resume) {
    folder.create(newConfig(request.settings, request.argv, device, data));
    if (request.fork) {
      const epoch = seedFork(folder.paths, request.fork, request.settings.cnnEpochs, data);
      folder.updateConfig((config) => (config.forkedFrom = { run: path.resolve(request.fork!), epoch }));
      state = folder.resume(() => {}).state;
      progress.line(`forked from the CNN trajectory ${request.fork} after its epoch ${epoch}`);
    }
  } else {
    const resumed = folder.resume((config) => checkSameData(config, data));
    state = resumed.state;
    const resumption = { at: new Date().toISOString(), fromEpoch: state?.completedEpoch ?? 0, device, threads: numThreads(), argv: request.argv };
    folder.updateConfig((config) => config.resumes.push(resumption));
    const dropped = resumed.droppedRecords ? `; dropped ${resumed.droppedRecords} record(s) of later epochs` : '';
    progress.line(state ? `resuming after epoch ${state.completedEpoch} (phase ${state.phase})${dropped}` : 'resuming a run that completed no epoch: starting from the beginning');
  }
  for (const line of describeStart(folder.paths.dir, device, { ...folder.config, settings: request.settings }, data)) progress.line(line);
  return state;
}

/**
 * Seeds the new run in `dst` from the CNN trajectory in `from` as a standalone run with
 * --cnn-epochs `epoch` would stand after that epoch, before its phase ends: its CNN records, the
 * checkpoints its state names, and that state (a trajectory never ends its phase: the fork does,
 * with its own --convert). A trajectory that stopped early, before `epoch`, is taken at its stop,
 * as the standalone run would have stopped there. Returns the epoch taken.
 */
function seedFork(dst: RunPaths, from: string, epoch: number, data: RunData): number {
  const src = runPaths(from);
  checkSameData(readConfig(src), data);
  const final = readRunState(src);
  const kept = snapshotFile(src, epoch);
  let state: RunState;
  if (fs.existsSync(kept)) state = JSON.parse(fs.readFileSync(kept, 'utf8')) as RunState;
  else if (final?.phase === 'done' && final.completedEpoch < epoch && final.models.cnn.earlyStopping.stopped) state = final;
  else throw new Error(`${src.dir}: the CNN trajectory has no state of epoch ${epoch} to fork from (it is after epoch ${final?.completedEpoch ?? 0})`);
  const cnn = state.models.cnn;
  for (const file of [cnn.file, cnn.bestFile]) if (file) fs.copyFileSync(path.join(src.checkpoints, file), path.join(dst.checkpoints, file));
  const records = readMetricsJsonl(src.jsonl).records.filter((r) => r.model === 'cnn' && r.epoch <= state.completedEpoch);
  writeFileAtomic(dst.jsonl, metricsJsonl(records));
  writeJsonAtomic(dst.state, { ...state, phase: 'cnn', conversionEpoch: null, updated: new Date().toISOString() });
  return state.completedEpoch;
}
