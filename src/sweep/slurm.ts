// The Slurm executor: an sbatch job-array script with one array task per unfinished point
// (`--requeue`: a preempted or requeued task runs again and resumes its point from the last
// completed epoch), and a second job, after the array, that aggregates. Submits both, or with
// dryRun only writes them. The sweep folder and the package must be on a file system the compute
// nodes share (paths are absolute).
import { spawnSync } from 'child_process';
import fs from 'fs';
import path from 'path';
import { writeFileAtomic } from '../util/atomic';
import { SweepFile, pointStatus } from './folder';
import { cliCommand, shellLine } from './launch';

/** sbatch settings passed through. */
export interface SlurmOptions {
  partition?: string;
  time?: string;
  cpusPerTask?: number;
  gres?: string;
  /** At most this many array tasks at once (`--array=…%N`). */
  arrayLimit?: number;
  /** Write the scripts, do not submit. */
  dryRun: boolean;
}

/** What {@link slurmSweep} wrote and submitted. */
export interface SlurmSubmission {
  arrayScript: string;
  aggregateScript: string;
  /** The indices (into sweep.json's points) of the array's tasks: the unfinished points. */
  tasks: number[];
  arrayJob: string | null;
  aggregateJob: string | null;
}

/** `0,2,5-7` for [0, 2, 5, 6, 7]. */
export function arrayRanges(indices: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < indices.length; i++) {
    let j = i;
    while (j + 1 < indices.length && indices[j + 1] === indices[j] + 1) j++;
    parts.push(i === j ? `${indices[i]}` : `${indices[i]}-${indices[j]}`);
    i = j;
  }
  return parts.join(',');
}

function directives(options: SlurmOptions, extra: string[]): string[] {
  const d = [...extra];
  if (options.partition) d.push(`--partition=${options.partition}`);
  if (options.time) d.push(`--time=${options.time}`);
  if (options.gres) d.push(`--gres=${options.gres}`);
  return d.map((x) => `#SBATCH ${x}`);
}

const SAFE_DIRECTIVE = /^[A-Za-z0-9_.,:=%+\-/@]+$/;

function checkDirective(name: string, value: string | undefined): void {
  if (value !== undefined && !SAFE_DIRECTIVE.test(value)) throw new Error(`--${name} ${JSON.stringify(value)}: not a value sbatch takes (letters, digits and _.,:=%+-/@ only)`);
}

/** The job-array script: task i runs point i of sweep.json. */
export function arrayScriptText(sweepDir: string, tasks: readonly number[], options: SlurmOptions, cwd = process.cwd()): string {
  const { node, cli } = cliCommand();
  const logs = path.join(path.resolve(sweepDir), 'slurm');
  const array = `${arrayRanges(tasks)}${options.arrayLimit ? `%${options.arrayLimit}` : ''}`;
  return [
    '#!/bin/bash',
    `# wsr-native sweep ${path.resolve(sweepDir)}: array task i trains point i of sweep.json, or resumes it from its`,
    '# last completed epoch after a requeue or preemption (so a preemption loses at most the epoch in progress).',
    '# Slurm\'s SIGTERM stops the run at once, keeping the checkpoint of its last completed epoch; its output goes to the point\'s train.log.',
    ...directives(options, [
      '--job-name=wsr-sweep',
      `--array=${array}`,
      '--requeue',
      '--open-mode=append',
      `--chdir=${cwd}`,
      `--output=${path.join(logs, 'task-%A_%a.out')}`,
      ...(options.cpusPerTask ? [`--cpus-per-task=${options.cpusPerTask}`] : []),
    ]),
    'set -eu',
    `exec ${shellLine([node, cli, 'sweep-task', path.resolve(sweepDir)])} "$SLURM_ARRAY_TASK_ID"`,
    '',
  ].join('\n');
}

/** The aggregate job's script. */
export function aggregateScriptText(sweepDir: string, options: SlurmOptions, cwd = process.cwd()): string {
  const { node, cli } = cliCommand();
  const logs = path.join(path.resolve(sweepDir), 'slurm');
  return [
    '#!/bin/bash',
    `# wsr-native sweep ${path.resolve(sweepDir)}: the aggregate table and figures, once the array has ended.`,
    ...directives(options, ['--job-name=wsr-sweep-aggregate', `--chdir=${cwd}`, `--output=${path.join(logs, 'aggregate-%j.out')}`, '--cpus-per-task=1']),
    'set -eu',
    `exec ${shellLine([node, cli, 'aggregate', path.resolve(sweepDir)])}`,
    '',
  ].join('\n');
}

function sbatch(args: string[]): string {
  const r = spawnSync('sbatch', ['--parsable', ...args], { encoding: 'utf8' });
  if (r.error) throw new Error(`sbatch could not run (${(r.error as NodeJS.ErrnoException).code ?? r.error.message}): is Slurm installed here?`);
  if (r.status !== 0) throw new Error(`sbatch ${args.join(' ')} failed (exit ${r.status}): ${r.stderr.trim()}`);
  return r.stdout.trim().split(';')[0];
}

/** Writes the scripts into SWEEP/slurm/ and, unless dryRun, submits the array and the aggregate job after it. */
export function slurmSweep(sweepDir: string, sweep: SweepFile, options: SlurmOptions): SlurmSubmission {
  checkDirective('partition', options.partition);
  checkDirective('time', options.time);
  checkDirective('gres', options.gres);
  const dir = path.join(path.resolve(sweepDir), 'slurm');
  for (const p of [dir, process.cwd()]) {
    if (/[\s"'\\]/.test(p)) throw new Error(`${p}: #SBATCH lines cannot hold a path with spaces or quotes; use another --out or working folder`);
  }
  fs.mkdirSync(dir, { recursive: true });
  const tasks = sweep.points.map((p, i) => (pointStatus(sweepDir, p) === 'finished' ? -1 : i)).filter((i) => i >= 0);
  const arrayScript = path.join(dir, 'array.sbatch');
  const aggregateScript = path.join(dir, 'aggregate.sbatch');
  const submission: SlurmSubmission = { arrayScript, aggregateScript, tasks, arrayJob: null, aggregateJob: null };
  writeFileAtomic(aggregateScript, aggregateScriptText(sweepDir, options));
  if (tasks.length === 0) return submission;
  writeFileAtomic(arrayScript, arrayScriptText(sweepDir, tasks, options));
  if (options.dryRun) return submission;
  submission.arrayJob = sbatch([arrayScript]);
  submission.aggregateJob = sbatch([`--dependency=afterany:${submission.arrayJob}`, '--kill-on-invalid-dep=yes', aggregateScript]);
  fs.appendFileSync(path.join(dir, 'submissions.jsonl'), `${JSON.stringify({ at: new Date().toISOString(), ...submission })}\n`);
  return submission;
}
