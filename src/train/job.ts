// The training entry point: one run, new or resumed, from settings given as data. The CLI's
// `train` and `experiment`, a sweep's Slurm task and a sweep's child process (jobProcess.ts) all
// run through here. SIGINT/SIGTERM stop the run cleanly (a second signal quits at once), as does
// the caller's own stop request (a sweep's child whose sweep is gone); the summary goes to stdout,
// errors to stderr as one clear message (a file system that refuses a write: which file, what to
// do, and how to resume), and the outcome is an exit code.
import fs from 'fs';
import { DatasetError } from '../data';
import { isStorageError, storageAdvice } from '../util/atomic';
import { datasetLabels } from '../data/datasets';
import { runTraining } from './experiment';
import { Trajectory, ensureTrajectory } from './trajectory';
import { resumedSettings } from './flags';
import { checkInitFile } from './initFrom';
import { RUN_EXISTS, RunLockedError } from './lock';
import { NonFiniteLossError, ProgressStream, StopRequest } from './progress';
import { readConfig, runPaths } from './runFiles';
import { TrainSettings, resolveSettings, savedSettings } from './settings';

/** Where a job writes: results to stdout, progress and errors to stderr. */
export interface JobStreams {
  /** Results (the summary table). */
  stdout: ProgressStream;
  /** Progress, messages and errors; a progress bar when it is a terminal. */
  stderr: ProgressStream;
}

/** The process's own streams. */
export function processStreams(): JobStreams {
  return { stdout: process.stdout, stderr: process.stderr };
}

/** Exit codes. */
export const EXIT = {
  ok: 0,
  /** An error: bad input, missing data, a locked run folder, a diverged run. */
  error: 1,
  /** Stopped by SIGINT or SIGTERM (128 + 2, as shells report Ctrl-C). */
  interrupted: 130,
} as const;

/** One training run to do. Plain data: a sweep passes it to a child process as JSON. */
export interface TrainJob {
  /**
   * The settings given. A new run fills the rest with the defaults (the dataset's; the device:
   * the first usable GPU). A resumed run keeps its config.json's, and refuses any given setting
   * that differs unless it cannot change results (device, threads, data folder).
   */
  settings: Partial<TrainSettings>;
  /** The run folder. */
  runDir: string;
  /** Continue the run in runDir from its last completed epoch. */
  resume: boolean;
  /** Write PNG figures beside the SVGs (default true). */
  png?: boolean;
  /** Stop cleanly after this many completed epochs (for tests). */
  stopAfterEpochs?: number | null;
  /** The command line config.json records (default: this process's). */
  argv?: string[];
  /** A new run's shared CNN phase (a sweep's): trained first (or waited for), then the run forks from it. */
  trajectory?: Trajectory | null;
}

/** The settings `job` runs with (throws, naming the conflict, when a resumed run's differ). */
export function jobSettings(job: TrainJob): TrainSettings {
  if (!job.resume) return resolveSettings(job.settings, {}, true);
  const saved = savedSettings(readConfig(runPaths(job.runDir)).settings);
  return resumedSettings(job.runDir, saved, job.settings);
}

/** The command that continues the run in `runDir` once what stopped it is fixed (or starts it again when it never began). */
function resumeAdvice(job: TrainJob): string {
  return fs.existsSync(runPaths(job.runDir).config)
    ? `then resume with: npx wsr-native train --resume ${job.runDir} (the last completed epoch's checkpoint is kept)`
    : 'then run the same command again';
}

/** The one-line message for an error that ended `job`. */
function errorMessage(job: TrainJob, error: unknown): string {
  if (error instanceof NonFiniteLossError) {
    const kept =
      error.lastGoodEpoch > 0
        ? `the checkpoint of epoch ${error.lastGoodEpoch}, the last good one, is kept in ${job.runDir}/checkpoints`
        : 'no epoch had completed, so there is no checkpoint';
    return `${error.message}. The run stopped; ${kept}. Resuming would diverge again: start a new run with a smaller --lr.`;
  }
  // A full disk, a read-only or unwritable folder: the message names the file; the run resumes once it is fixed.
  if (isStorageError(error)) return `${error.message}. ${storageAdvice(error).replace(/^./, (c) => c.toUpperCase())}, ${resumeAdvice(job)}.`;
  if (error instanceof DatasetError && job.resume) return `${error.message}\nThe run needs the data it started with: put it back, ${resumeAdvice(job)}.`;
  return (error as Error).message;
}

/** What the caller of {@link runTrainJob} may add. */
export interface JobControl {
  /** Stops the run like SIGINT when requested (a sweep's child whose sweep is gone). */
  stop?: StopRequest;
  /** Sees the error that ended the run, before its message is written. */
  onError?: (error: unknown) => void;
}

/**
 * Whether `error` says another process got to the run folder first: it holds the folder's lock,
 * or it made a run there that this job meant to start (a sweep's point taken meanwhile).
 */
export function folderTaken(error: unknown): boolean {
  return error instanceof RunLockedError || (error as { code?: unknown } | null)?.code === RUN_EXISTS;
}

/** Runs `job`; returns the exit code. Errors are written to `io.stderr` as one clear message. */
export async function runTrainJob(job: TrainJob, io: JobStreams = processStreams(), control: JobControl = {}): Promise<number> {
  const stop = control.stop ?? new StopRequest();
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals === 1) {
      stop.request(signal);
      io.stderr.write(`\n${signal}: stopping; the last completed epoch's checkpoint stays on disk (${signal} again to quit at once)\n`);
    } else {
      process.exit(EXIT.interrupted);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const settings = jobSettings(job);
    // A file that cannot fit is refused before a run folder is made.
    if (settings.initFrom && !job.resume) checkInitFile(settings.initFrom, datasetLabels(settings.dataset, settings.labels).network);
    if (stop.requested) return EXIT.interrupted; // asked to stop before it began: nothing to do
    const fork = job.trajectory && !job.resume ? job.trajectory : null;
    if (fork && (await ensureTrajectory(fork, io.stderr, stop, job.argv ?? process.argv)) === 'interrupted') return EXIT.interrupted;
    const outcome = await runTraining({
      settings,
      runDir: job.runDir,
      resume: job.resume,
      fork: fork?.dir ?? null,
      argv: job.argv ?? process.argv,
      stderr: io.stderr,
      stop,
      stopAfterEpochs: job.stopAfterEpochs ?? null,
      png: job.png ?? true,
    });
    if (outcome.summary) io.stdout.write(outcome.summary);
    return outcome.status === 'interrupted' ? EXIT.interrupted : EXIT.ok;
  } catch (error) {
    control.onError?.(error);
    io.stderr.write(`wsr-native: ${errorMessage(job, error)}\n`);
    return EXIT.error;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
