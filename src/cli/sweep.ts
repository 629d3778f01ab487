// `wsr-native sweep [SPEC]`: a grid of train settings × seeds, each point an ordinary run folder
// under --out, run by a local pool of child processes or as a Slurm job array; and the hidden
// `sweep-task SWEEP INDEX` that each array task runs.
import { Command } from 'commander';
import { aggregateSummary } from '../sweep/aggregateMarkdown';
import { writeAggregate } from '../sweep/aggregateWrite';
import { openSweep, pointStatus, readSweepFile } from '../sweep/folder';
import { cliCommand, pointArgs, pointProblem, shellLine } from '../sweep/launch';
import { runLocal, slotResources } from '../sweep/local';
import { expandPoints } from '../sweep/points';
import { slurmSweep } from '../sweep/slurm';
import { SWEEP_OWNED_FLAGS, SpecError, SweepSpec, mergeSpecs, parseGridFlag, parseSeeds, readSpecFile, typedValue } from '../sweep/spec';
import { runSweepTask } from '../sweep/task';
import { FlagValue, TRAIN_FLAGS } from '../train/flags';
import { EXIT } from '../train/job';
import { CliIO, CommandResult } from './io';
import { integer, oneOf } from '../train/settingKinds';
import { cliParser, pathValue } from './parse';
import { trainOption } from './trainOptions';

interface SweepFlags {
  out: string;
  grid?: string[];
  seeds?: string;
  extend?: boolean;
  executor?: 'local' | 'slurm';
  jobs?: number;
  dryRun?: boolean;
  partition?: string;
  time?: string;
  cpusPerTask?: number;
  gres?: string;
  arrayLimit?: number;
  aggregate?: boolean;
}

/** At most this many bad points are listed (the count says how many more). */
const LISTED_ERRORS = 10;

/**
 * Adds train's options to `command` as the sweep's fixed train flags (all but those the sweep
 * owns or names itself), and returns the flags given, raw, as the command line had them.
 */
function addTrainFlags(command: Command): Record<string, FlagValue> {
  const given: Record<string, FlagValue> = {};
  const own = new Set(command.options.map((o) => o.long));
  for (const flag of TRAIN_FLAGS) {
    const option = trainOption(flag);
    if (SWEEP_OWNED_FLAGS.includes(flag.name) || own.has(option.long)) continue;
    command.addOption(option);
    // Commander passes each occurrence's raw text before its parser: that is what a point gets.
    command.on(`option:${option.name()}`, (raw: string | undefined) => {
      given[flag.name] = option.negate ? false : raw === undefined ? true : typedValue(raw);
    });
  }
  return given;
}

/** Checks every point's values and settings; throws listing the bad points. */
function checkPoints(spec: SweepSpec): void {
  const errors = expandPoints(spec).map((point) => pointProblem(spec, point)).filter((e): e is string => e !== null);
  if (errors.length === 0) return;
  const more = errors.length > LISTED_ERRORS ? `\n  … and ${errors.length - LISTED_ERRORS} more` : '';
  throw new SpecError(`the sweep has ${errors.length} bad point(s); nothing ran:\n  ${errors.slice(0, LISTED_ERRORS).join('\n  ')}${more}`);
}

/** The spec to run: from the file, --grid, --seeds and train flags; or, with none of them, the sweep folder's own. */
function resolveSpec(file: string | undefined, flags: SweepFlags, train: Record<string, FlagValue>): SweepSpec {
  const grid = (flags.grid ?? []).map(parseGridFlag);
  const seeds = flags.seeds !== undefined ? parseSeeds(flags.seeds, '--seeds') : null;
  if (file === undefined && grid.length === 0 && seeds === null && Object.keys(train).length === 0) {
    const existing = readSweepFile(flags.out);
    if (!existing) throw new SpecError(`${flags.out} holds no sweep yet: give a spec file, or --grid and --seeds`);
    return existing.spec;
  }
  return mergeSpecs(file !== undefined ? readSpecFile(file) : null, grid, seeds, train);
}

/** Adds `sweep` and the hidden `sweep-task`. */
export function addSweepCommand(program: Command, io: CliIO, result: CommandResult): void {
  const command = program
    .command('sweep')
    .argument('[spec]', 'a YAML or JSON file: grid (train flag → values), seeds, train (fixed train flags)')
    .description('run a grid of train settings × seeds, each point a run folder under --out; re-run to resume')
    .requiredOption('--out <dir>', 'the sweep folder (re-run with the same --out to resume it)', pathValue)
    .option('--grid <key=values>', 'vary a train flag: noise=0,0.3,0.5 (repeatable; augment.translation=0,0.25 sets one --augment entry)', (v: string, all: string[] | undefined) => [...(all ?? []), v])
    .option('--seeds <list>', 'the seeds of every setting: 1-5, or 1,2,3 (default: the spec file\'s, else 0)')
    .option('--extend', 'let a changed spec add grid values or seeds to an existing sweep')
    .option('--executor <name>', 'local (a pool of child processes) or slurm (an sbatch job array) (default local)', cliParser(oneOf(['local', 'slurm'] as const)))
    .option('--jobs <n>', 'local: points run at once, each with its share of the CPU threads or its own GPU (default 1)', cliParser(integer(1, 1024)))
    .option('--dry-run', 'list the points and their commands (local), or write the sbatch scripts without submitting (slurm)')
    .option('--partition <name>', 'slurm: sbatch --partition')
    .option('--time <limit>', 'slurm: sbatch --time of each point, such as 4:00:00')
    .option('--cpus-per-task <n>', 'slurm: CPUs of each point (its --threads)', cliParser(integer(1, 1024)))
    .option('--gres <spec>', 'slurm: generic resources of each point, such as gpu:1')
    .option('--array-limit <n>', 'slurm: at most N points at once', cliParser(integer(1)))
    .option('--no-aggregate', 'local: do not aggregate at the end');
  const train = addTrainFlags(command);
  command.addHelpText('after', '\nEvery other option is a train flag fixed for all points (see wsr-native train --help).');
  command.action(async (file: string | undefined, flags: SweepFlags) => {
    const spec = resolveSpec(file, flags, train);
    checkPoints(spec);
    const slurm = (flags.executor ?? 'local') === 'slurm';
    // A local dry run writes nothing; a Slurm one writes what the tasks will read.
    const { file: sweep, added } = openSweep(flags.out, spec, flags.extend ?? false, slurm || !flags.dryRun);
    const extended = added.length > 0 && added.length < sweep.points.length ? ` (${added.length} new)` : '';
    io.stderr.write(`sweep ${flags.out}: ${sweep.points.length} point(s)${extended}\n`);
    if (slurm) {
      const s = slurmSweep(flags.out, sweep, { ...flags, dryRun: flags.dryRun ?? false });
      if (s.tasks.length === 0) io.stdout.write(`every point has finished; aggregate with: wsr-native aggregate ${flags.out}\n`);
      else if (s.arrayJob === null) io.stdout.write(`wrote ${s.arrayScript} (${s.tasks.length} task(s)) and ${s.aggregateScript}; submit with:\n  sbatch ${s.arrayScript}\n`);
      else io.stdout.write(`submitted job array ${s.arrayJob} (${s.tasks.length} task(s)) and aggregate job ${s.aggregateJob} after it\n`);
      return;
    }
    if (flags.dryRun) {
      const { node, cli } = cliCommand();
      const jobs = flags.jobs ?? 1;
      sweep.points.forEach((point, i) => {
        const status = pointStatus(flags.out, point);
        const args = status === 'finished' ? [] : pointArgs(flags.out, spec, point, status, slotResources(i % jobs, jobs));
        io.stdout.write(status === 'finished' ? `# ${point.name}: finished\n` : `${shellLine([node, cli, ...args])}\n`);
      });
      return;
    }
    const run = await runLocal(flags.out, sweep, { jobs: flags.jobs ?? 1, stderr: io.stderr });
    const failed = run.outcomes.filter((o) => o.end === 'failed');
    if (flags.aggregate !== false) {
      const written = await writeAggregate(flags.out, { warn: (m) => io.stderr.write(`wsr-native: ${m}\n`) });
      io.stdout.write(aggregateSummary(written.file, written.markdown, written.dir));
    }
    for (const f of failed) io.stderr.write(`failed: ${f.point.name}: ${f.detail}\n`);
    const elsewhere = run.outcomes.filter((o) => o.end === 'elsewhere');
    for (const e of elsewhere) io.stderr.write(`running elsewhere: ${e.point.name}: ${e.detail}\n`);
    if (run.interrupted) {
      io.stderr.write(`interrupted: re-run the same command (or wsr-native sweep --out ${flags.out}) to resume\n`);
      result.exitCode = EXIT.interrupted;
    } else if (failed.length > 0 || elsewhere.length > 0 || run.outcomes.some((o) => o.end === 'unfinished')) result.exitCode = EXIT.error;
  });

  program
    .command('sweep-task', { hidden: true })
    .description('run one point of a sweep (what each Slurm array task runs)')
    .argument('<sweep>', 'the sweep folder', pathValue)
    .argument('[index]', "the point's index in sweep.json (default: SLURM_ARRAY_TASK_ID)")
    .action(async (sweepDir: string, index: string | undefined) => {
      const text = index ?? process.env.SLURM_ARRAY_TASK_ID;
      if (text === undefined || !/^\d+$/.test(text)) throw new Error(`sweep-task: expected a point index, got ${JSON.stringify(text ?? null)}`);
      result.exitCode = await runSweepTask(sweepDir, Number(text), io);
    });
}
