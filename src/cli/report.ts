// `wsr-native report RUN`: rebuilds a run's metrics.csv and figures and prints the CNN-vs-FCN summary;
// with --html also the run browser's page of the run as one offline file.
import { Command } from 'commander';
import { reportRun } from '../report';
import { writeRunHtml } from '../serve';
import { CliIO } from './io';
import { pathValue } from './parse';

interface ReportFlags {
  markdown?: boolean;
  png?: boolean;
  html?: boolean | string;
}

/** Adds the `report` command. */
export function addReportCommand(program: Command, io: CliIO): void {
  program
    .command('report')
    .description("rebuild a run's metrics.csv and figures, and print the summary table (CNN vs FCN)")
    .argument('<run>', 'the run folder', pathValue)
    .option('--markdown', 'print the table as Markdown')
    .option('--no-png', 'write the figures as SVG only')
    .option('--html [file]', 'also write the run as one self-contained HTML page that opens offline (default: <run>/report.html)')
    .action(async (run: string, flags: ReportFlags) => {
      const report = await reportRun(run, {
        style: flags.markdown ? 'markdown' : 'text',
        png: flags.png ?? true,
        warn: (m) => io.stderr.write(`wsr-native: ${m}\n`),
      });
      io.stderr.write(`${report.records} record(s) from ${report.source}; wrote ${report.written.files.length} file(s)\n`);
      for (const s of report.written.skipped) io.stderr.write(`  no ${s.name} figure: ${s.reason}\n`);
      if (flags.html !== undefined) {
        const file = writeRunHtml(run, typeof flags.html === 'string' ? flags.html : undefined);
        io.stderr.write(`wrote ${file}\n`);
      }
      io.stdout.write(report.table);
    });
}
