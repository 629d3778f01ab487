// What runs a point: a training job (src/train/job.ts) whose settings are the point's, read by
// train's flags, in the point's folder: a new run, or the continuation of one that started
// (the job checks the settings against the run's config.json, so a folder that does not match its
// point is refused). Executors add where it runs (threads, device) unless the spec fixes that.
// For people and logs, the same point as its equivalent `wsr-native train` command line.
import path from 'path';
import { packageRoot } from '../native';
import { flagSettings } from '../train/flags';
import { TrainJob } from '../train/job';
import { TrainSettings, checkSettings, resolveSettings } from '../train/settings';
import { Trajectory, planTrajectories } from '../train/trajectory';
import { PointStatus, pointDir } from './folder';
import { SweepPoint, expandPoints, pointFlags, pointValues } from './points';
import { SweepSpec } from './spec';

/** Where a point runs, as the executor decides. */
export interface PointResources {
  threads?: number | null;
  device?: string | null;
}

/** The resources the executor gives that the spec does not fix. */
function freeResources(spec: SweepSpec, resources: PointResources): PointResources {
  const fixed = (key: string): boolean => key in spec.train || key in spec.grid;
  return {
    threads: resources.threads && !fixed('threads') ? resources.threads : null,
    device: resources.device && !fixed('device') ? resources.device : null,
  };
}

/** The `wsr-native` arguments equivalent to running (or continuing) `point`: for logs and dry runs. */
export function pointArgs(sweepDir: string, spec: SweepSpec, point: SweepPoint, status: Exclude<PointStatus, 'finished'>, resources: PointResources = {}): string[] {
  const dir = pointDir(sweepDir, point);
  const args = ['train', status === 'new' ? '--out' : '--resume', dir, ...pointFlags(spec, point)];
  const { threads, device } = freeResources(spec, resources);
  if (threads) args.push('--threads', String(threads));
  if (device) args.push('--device', device);
  return args;
}

/** The settings `point` gives, with the executor's resources where the spec does not fix them. */
function pointSettings(spec: SweepSpec, point: SweepPoint, resources: PointResources): Partial<TrainSettings> {
  const settings = flagSettings(pointValues(spec, point));
  const { threads, device } = freeResources(spec, resources);
  if (threads) settings.threads = threads;
  if (device) settings.device = device;
  return settings;
}

/**
 * The shared CNN phase of each point (trajectory.ts), in sweep.json's order: points that differ
 * only in their conversion epoch or branch settings train their CNN phase once, under
 * SWEEP/trajectories/. Every point runs with the same resources.
 */
export function sweepTrajectories(sweepDir: string, spec: SweepSpec, resources: PointResources = {}): (Trajectory | null)[] {
  const runs = expandPoints(spec).map((p) => resolveSettings(pointSettings(spec, p, resources), {}, true));
  return planTrajectories(runs, path.join(path.resolve(sweepDir), 'trajectories'));
}

/**
 * `points` in the order a pool should start them: the first point of each shared CNN trajectory
 * before any second one, so that different trajectories train side by side rather than one
 * point training a trajectory while the others wait for it.
 */
export function sharingOrder<P extends SweepPoint>(points: readonly P[], spec: SweepSpec, trajectories: readonly (Trajectory | null)[]): P[] {
  const all = expandPoints(spec);
  const seen = new Map<string, number>();
  const rank = new Map<string, number>();
  for (const p of points) {
    const dir = trajectories[all.findIndex((q) => q.name === p.name)]?.dir ?? p.name;
    const n = seen.get(dir) ?? 0;
    seen.set(dir, n + 1);
    rank.set(p.name, n);
  }
  return [...points].sort((a, b) => rank.get(a.name)! - rank.get(b.name)!);
}

/** The training job of `point`; throws naming the point and the flag when its values cannot be read. */
export function pointJob(sweepDir: string, spec: SweepSpec, point: SweepPoint, status: Exclude<PointStatus, 'finished'>, resources: PointResources = {}): TrainJob {
  const values = pointValues(spec, point);
  const index = expandPoints(spec).findIndex((p) => p.name === point.name);
  return {
    settings: pointSettings(spec, point, resources),
    runDir: pointDir(sweepDir, point),
    resume: status !== 'new',
    png: values.png ?? true,
    stopAfterEpochs: values.stopAfterEpochs ?? null,
    argv: ['wsr-native', ...pointArgs(sweepDir, spec, point, status, resources)],
    trajectory: status === 'new' ? sweepTrajectories(sweepDir, spec, resources)[index] ?? null : null,
  };
}

/** Why `point` cannot run (its values unreadable, or its settings refused by the settings table), or null. */
export function pointProblem(spec: SweepSpec, point: SweepPoint): string | null {
  try {
    checkSettings(resolveSettings(pointSettings(spec, point, {}), {}, true));
    return null;
  } catch (error) {
    const message = (error as Error).message;
    return message.startsWith(`point ${point.name}: `) ? message : `point ${point.name}: ${message}`;
  }
}

/** The line a point's train.log gets before each run of it (`note`: where it runs, say). */
export function pointLogHeader(job: TrainJob, note = ''): string {
  return `\n== ${new Date().toISOString()} ${shellLine(job.argv ?? [])}${note}\n`;
}

/**
 * The command that runs the CLI in a child process (Slurm's scripts run `sweep-task` and
 * `aggregate` with it): this node, and the package's compiled entry point (WSR_SWEEP_CLI names
 * another script, such as the tests' boot script of the TypeScript sources).
 */
export function cliCommand(): { node: string; cli: string } {
  return { node: process.execPath, cli: process.env.WSR_SWEEP_CLI || path.join(packageRoot, 'dist', 'cli.js') };
}

/** A command line for people and scripts, each argument quoted for a POSIX shell where needed. */
export function shellLine(args: readonly string[]): string {
  return args.map((a) => (/^[A-Za-z0-9_./:=,+-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}
