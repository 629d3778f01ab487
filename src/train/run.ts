// A training run from start (or from its last completed epoch) to the end: data, run folder,
// lock, the two phases, and a clean stop on request.
import fs from 'fs';
import { devices, numThreads, resolveDevice, setNumThreads } from '../device';
import { packageRoot } from '../native';
import { datasetInfo } from '../data/datasets';
import { specParameterCount } from '../nn/plan';
import { toLocalSpec } from '../nn/spec';
import { formatSummaryTable, summarize } from '../report';
import { augmentPlan } from './augmentBatch';
import { NonFiniteLossError, RunContext } from './context';
import { RunData, loadRunData } from './data';
import { DeviceSplit } from './deviceData';
import { Evaluator } from './evaluate';
import { acquireRunLock, describeTakeOver } from './lock';
import { MetricsLog } from './metricsLog';
import { derivedSeed } from './order';
import { runBranchPhase, runCnnPhase } from './phases';
import { ProgressStream, progressFor } from './progress';
import { DeviceReport, RunConfig, RunPaths, readConfig, readRunState, runPaths, writeConfig } from './runFolder';
import { EXPERIMENT_PRESETS, TrainSettings, checkSettings, describeSettings } from './settings';
import { RunInterrupted, StopRequest, YieldPoint } from './yieldPoint';

/** What {@link runTraining} is asked to do. */
export interface RunRequest {
  /** The run's settings (for a resumed run: those of its config.json, device and threads possibly changed). */
  settings: TrainSettings;
  /** The run folder. */
  runDir: string;
  /** Continue the run in runDir from its last completed epoch. */
  resume: boolean;
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

function packageInfo(): { name: string; version: string } {
  const pkg = JSON.parse(fs.readFileSync(`${packageRoot}/package.json`, 'utf8')) as { name: string; version: string };
  return { name: pkg.name, version: pkg.version };
}

function deviceReport(name: string): DeviceReport {
  const found = devices().find((d) => d.name === name);
  if (!found) return { name, kind: name === 'cpu' ? 'cpu' : 'cuda', description: 'unknown' };
  return { ...found };
}

function newConfig(request: RunRequest, device: string, data: RunData): RunConfig {
  const s = request.settings;
  const cnn = datasetInfo(s.dataset).network;
  const parameters = (form: 'cnn' | 'fcn'): { name: string; parameters: number } => {
    const spec = form === 'cnn' ? cnn : toLocalSpec(cnn);
    return { name: spec.name, parameters: specParameterCount(spec) };
  };
  const preset = s.experiment !== null ? EXPERIMENT_PRESETS[s.experiment as 0 | 1 | 2 | 3] : null;
  return {
    format: 'wsr-native-run',
    version: 1,
    package: packageInfo(),
    created: new Date().toISOString(),
    argv: request.argv,
    settings: s,
    experiment: preset ? { id: s.experiment!, description: preset.description } : null,
    device: deviceReport(device),
    threads: numThreads(),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    networks: { cnn: parameters('cnn'), fcn: parameters('fcn') },
    data: data.report,
    conversion: null,
    resumes: [],
  };
}

function checkSameData(config: RunConfig, data: RunData): void {
  const before = config.data.split.checksums;
  const now = data.report.split.checksums;
  for (const part of ['train', 'validation', 'test'] as const) {
    if (before[part]?.sha256 !== now[part]?.sha256) {
      throw new Error(
        `the ${part} images differ from the run's (config.json records SHA-256 ${before[part]?.sha256 ?? 'none'}, ` +
          `now ${now[part]?.sha256 ?? 'none'}): resume with the data the run started with`,
      );
    }
  }
}

/** Prepares the folder and config: a new run refuses a folder holding one; a resumed run must have one. */
function prepareConfig(request: RunRequest, paths: RunPaths, device: string, data: RunData): RunConfig {
  if (!request.resume) {
    if (fs.existsSync(paths.config)) {
      throw new Error(`${paths.dir} already holds a run; continue it with --resume ${paths.dir}, or choose another --out`);
    }
    fs.mkdirSync(paths.checkpoints, { recursive: true });
    const config = newConfig(request, device, data);
    writeConfig(paths, config);
    return config;
  }
  const config = readConfig(paths);
  checkSameData(config, data);
  fs.mkdirSync(paths.checkpoints, { recursive: true });
  return config;
}

/**
 * Runs (or resumes) a training run: takes the folder's lock, loads and splits the data, puts it on
 * the device, runs the CNN phase and the two branches epoch by epoch, writing metrics, figures and
 * checkpoints after every epoch. Stops cleanly when `request.stop` is set (returns 'interrupted').
 * Throws on errors (missing data, a locked folder, NaN loss, …), leaving the last good checkpoint.
 */
export async function runTraining(request: RunRequest): Promise<RunOutcome> {
  const { settings } = request;
  checkSettings(settings);
  const paths = runPaths(request.runDir);
  const progress = progressFor(request.stderr);
  const warn = (m: string): void => progress.line(`warning: ${m}`);
  if (settings.threads !== null) setNumThreads(settings.threads);
  const device = resolveDevice(settings.device);
  const folderExisted = fs.existsSync(paths.dir);
  // A lock lost to a takeover (this process frozen past its lease) stops the run like Ctrl-C.
  const lock = acquireRunLock(paths.dir, { onLost: (message) => { warn(message); request.stop.request('lock lost'); } });
  const cleanup: { dispose(): void }[] = [];
  // The figures rebuild in the background; the run keeps its lock until they are written.
  let metricsLog: MetricsLog | null = null;
  let completedEpoch = 0;
  let failed = true;
  try {
    if (lock.tookOver !== null) warn(describeTakeOver(lock.tookOver));
    const data = await loadRunData(settings);
    const config = prepareConfig(request, paths, device, data);
    const state = request.resume ? readRunState(paths) : null;
    completedEpoch = state?.completedEpoch ?? 0;
    if (request.resume) {
      config.resumes.push({ at: new Date().toISOString(), fromEpoch: completedEpoch, device, threads: numThreads(), argv: request.argv });
      writeConfig(paths, config);
    }
    const dev = deviceReport(device);
    progress.line(`run folder: ${paths.dir}`);
    progress.line(`device: ${dev.name} (${dev.description}), ${numThreads()} CPU thread(s)`);
    progress.line(describeSettings(settings));
    progress.line(`data: ${data.report.source}`);
    progress.line(data.report.split.description);
    const metrics = new MetricsLog(paths, { png: request.png, warn });
    metricsLog = metrics;
    if (request.resume) {
      // Keep the completed epochs; a conversion record is kept only once the state says the conversion is done.
      const dropped = metrics.load((r) => r.epoch <= completedEpoch && (state?.phase !== 'cnn' || r.model === 'cnn'));
      progress.line(
        state
          ? `resuming after epoch ${completedEpoch} (phase ${state.phase})${dropped ? `; dropped ${dropped} record(s) of later epochs` : ''}`
          : 'resuming a run that completed no epoch: starting from the beginning',
      );
    }
    const info = datasetInfo(settings.dataset);
    const shape = data.report.imageShape;
    if (shape.join('x') !== info.network.inputShape.join('x')) {
      throw new Error(`${data.report.source}: images of shape ${shape.join('×')}, but ${info.title}'s network takes ${info.network.inputShape.join('×')}`);
    }
    const split = (name: string, part: { images: Uint8Array; labels: Uint8Array; count: number }, withSwapped = false): DeviceSplit => {
      const s = new DeviceSplit(name, part.images, part.labels, part.count, device, info.classes, shape, withSwapped);
      cleanup.push(s);
      return s;
    };
    const train = split('train', data.splits.train, settings.swap > 0);
    const validationSplit = split('validation', data.splits.validation);
    const testSplit = data.splits.test ? split('test', data.splits.test) : null;
    const robustnessSeed = derivedSeed(settings.seed, 'robustness');
    const validation = new Evaluator(validationSplit, settings.batchSize, robustnessSeed);
    cleanup.push(validation);
    const test = testSplit ? new Evaluator(testSplit, settings.batchSize, robustnessSeed) : null;
    if (test) cleanup.push(test);
    let stopAfter = request.stopAfterEpochs ?? null;
    const ctx: RunContext = {
      settings,
      paths,
      device,
      train,
      validation,
      test,
      validationSplit,
      augment: augmentPlan(settings, settings.seed),
      progress,
      metrics,
      yieldPoint: new YieldPoint(request.stop),
    };
    const onEpochDone = (epoch: number): boolean => {
      completedEpoch = epoch;
      if (stopAfter !== null && epoch >= stopAfter) {
        stopAfter = null;
        return true;
      }
      return false;
    };
    const cnnResult = await runCnnPhase(ctx, state, config, onEpochDone, cleanup);
    if (cnnResult.stopped) {
      failed = false;
      return stopped(paths, completedEpoch, 'stopped', progress.line.bind(progress));
    }
    if (cnnResult.branchState) {
      const done = await runBranchPhase(ctx, cnnResult.branchState, onEpochDone);
      if (done.stopped) {
        failed = false;
        return stopped(paths, completedEpoch, 'stopped', progress.line.bind(progress));
      }
    }
    metrics.rebuild();
    const summary = formatSummaryTable(summarize(metrics.records));
    progress.line(`finished: ${paths.dir}`);
    failed = false;
    return { status: 'finished', runDir: paths.dir, completedEpoch, summary };
  } catch (error) {
    if (error instanceof RunInterrupted) {
      failed = false;
      return stopped(paths, completedEpoch, 'interrupted', progress.line.bind(progress));
    }
    if (error instanceof NonFiniteLossError) error.lastGoodEpoch = completedEpoch;
    throw error;
  } finally {
    for (const c of cleanup.reverse()) c.dispose();
    if (metricsLog) await metricsLog.figuresWritten();
    lock.release();
    // A new run that failed before writing anything (missing data, say) leaves no empty folder behind.
    if (failed && !folderExisted) removeIfEmpty(paths.dir);
  }
}

function removeIfEmpty(dir: string): void {
  try {
    fs.rmdirSync(dir);
  } catch {
    // Not empty (or already gone): keep it.
  }
}

function stopped(paths: RunPaths, epoch: number, status: 'interrupted' | 'stopped', line: (t: string) => void): RunOutcome {
  const where = epoch > 0 ? `the checkpoint of epoch ${epoch} is in ${paths.checkpoints}` : 'no epoch was completed yet';
  line(`${status === 'interrupted' ? 'interrupted' : 'stopped'}: ${where}. Resume with: npx wsr-native train --resume ${paths.dir}`);
  return { status, runDir: paths.dir, completedEpoch: epoch, summary: null };
}
