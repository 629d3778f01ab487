// The train command line of a point: a new run (`train --out DIR <flags>`) or, for a point that
// started, its continuation (`train --resume DIR <flags>`: train checks the flags against the
// run's config.json, so a folder that does not match its point is refused). Executors add where
// it runs (--threads, --device) unless the spec fixes that.
import path from 'path';
import { packageRoot } from '../native';
import { PointStatus, pointDir } from './folder';
import { SweepPoint, TrainFlagForms, pointFlags } from './points';
import { SweepSpec } from './spec';

/** Where a point runs, as the executor decides. */
export interface PointResources {
  threads?: number | null;
  device?: string | null;
}

/** The arguments after `wsr-native` that run (or continue) `point`. */
export function pointArgs(sweepDir: string, spec: SweepSpec, point: SweepPoint, status: Exclude<PointStatus, 'finished'>, forms: TrainFlagForms, resources: PointResources = {}): string[] {
  const dir = pointDir(sweepDir, point);
  const args = ['train', status === 'new' ? '--out' : '--resume', dir, ...pointFlags(spec, point, forms)];
  const fixed = (key: string): boolean => key in spec.train || key in spec.grid;
  if (resources.threads && !fixed('threads')) args.push('--threads', String(resources.threads));
  if (resources.device && !fixed('device')) args.push('--device', resources.device);
  return args;
}

/**
 * The command that runs the CLI in a child process: this node, and the package's compiled entry
 * point (WSR_SWEEP_CLI names another script, such as the tests' boot script of the TypeScript sources).
 */
export function cliCommand(): { node: string; cli: string } {
  return { node: process.execPath, cli: process.env.WSR_SWEEP_CLI || path.join(packageRoot, 'dist', 'cli.js') };
}

/** A command line for people and scripts, each argument quoted for a POSIX shell where needed. */
export function shellLine(args: readonly string[]): string {
  return args.map((a) => (/^[A-Za-z0-9_./:=,+-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}
