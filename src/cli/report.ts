// `wsr-native report RUN`: rebuilds a run's metrics.csv and figures and prints the CNN-vs-FCN summary.
import { Command } from 'commander';
import { reportRun } from '../report';
import { CliIO } from './io';
import { pathValue } from './parse';

interface ReportFlags {
  markdown?: boolean;
  png?: boolean;
}

/** Adds the `report` command. */
export function addReportCommand(program: Command, io: CliIO): void {
  program
    .command('report')
    .description("rebuild a run's metrics.csv and figures, and print the summary table (CNN vs FCN)")
    .argument('<run>', 'the run folder', pathValue)
    .option('--markdown', 'print the table as Markdown')
    .option('--no-png', 'write the figures as SVG only')
    .action(async (run: string, flags: ReportFlags) => {
      const report = await reportRun(run, {
        style: flags.markdown ? 'markdown' : 'text',
        png: flags.png ?? true,
        warn: (m) => io.stderr.write(`wsr-native: ${m}\n`),
      });
      io.stderr.write(`${report.records} record(s) from ${report.source}; wrote ${report.written.files.length} file(s)\n`);
      for (const s of report.written.skipped) io.stderr.write(`  no ${s.name} figure: ${s.reason}\n`);
      io.stdout.write(report.table);
    });
}
