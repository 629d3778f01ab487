// `wsr-native aggregate SWEEP`: the sweep's table (mean ± 95% CI over seeds, paired FCN − CNN) as
// Markdown, CSV and aggregate.json, with its figures, in SWEEP/aggregate/.
import { Command } from 'commander';
import { aggregateSummary } from '../sweep/aggregateMarkdown';
import { writeAggregate } from '../sweep/aggregateWrite';
import { CliIO } from './io';
import { pathValue } from './parse';

/** Adds the `aggregate` command. */
export function addAggregateCommand(program: Command, io: CliIO): void {
  program
    .command('aggregate')
    .description("one table over a sweep's grid: CNN vs FCN accuracy, robustness and distances, mean ± 95% CI over seeds")
    .argument('<sweep>', 'the sweep folder', pathValue)
    .option('--no-png', 'write the figures as Vega-Lite specs and SVG only')
    .action(async (sweepDir: string, flags: { png?: boolean }) => {
      const written = await writeAggregate(sweepDir, { png: flags.png ?? true, warn: (m) => io.stderr.write(`wsr-native: ${m}\n`) });
      io.stdout.write(aggregateSummary(written.file, written.markdown, written.dir));
    });
}
