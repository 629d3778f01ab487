// The aggregate as Markdown: the tables of aggregateTables.ts (test accuracy, robustness and final
// distances per setting, each cell mean ± half-width of the 95% confidence interval), and the points
// that are missing or unfinished.
import { SettingSummary } from './aggregate';
import { DisplayTable, aggregateTables } from './aggregateTables';
import { PointResult } from './collect';

function markdownTable(t: DisplayTable): string {
  if (t.rows.length === 0) return t.empty ?? '';
  const line = (cells: string[]): string => `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
  const rows = t.rows.map((r) => r.cells.map((c, i) => (i === 0 ? `\`${c}\`` : c)));
  return [line(t.columns), line(t.columns.map(() => '---')), ...rows.map(line)].join('\n');
}

/**
 * What a command prints after aggregating: the test-accuracy section of the Markdown, how many
 * points are missing, and where the files are.
 */
export function aggregateSummary(file: { missing: unknown[] }, markdown: string, dir: string): string {
  const start = markdown.indexOf('## Test accuracy');
  const end = markdown.indexOf('\n## ', start + 1);
  const section = start < 0 ? '' : markdown.slice(start, end < 0 ? undefined : end).trim();
  const missing = file.missing.length > 0 ? `${file.missing.length} point(s) missing or unfinished (listed in aggregate.md)\n` : '';
  return `${section}\n\n${missing}aggregate: ${dir}/aggregate.{md,csv,json} and figures/\n`;
}

/** The Markdown document of the aggregate of sweep `dir`. */
export function aggregateMarkdown(
  dir: string,
  summaries: readonly SettingSummary[],
  results: readonly PointResult[],
  tables: readonly DisplayTable[] = aggregateTables(summaries),
): string {
  const finished = results.filter((r) => r.status === 'finished').length;
  const seeds = new Set(results.map((r) => r.point.seed)).size;
  const out: string[] = [
    `# Sweep aggregate: ${dir}`,
    '',
    `${summaries.length} setting(s) × ${seeds} seed(s); ${finished} of ${results.length} points finished. ` +
      'Each cell is the mean over seeds ± the half-width of its 95% confidence interval (Student t with n − 1 degrees of freedom); ' +
      'with one seed (n=1) there is no interval. FCN − CNN is the paired difference per seed (the same seed gives both branches ' +
      'the same converted weights, data order and noise). Robustness is the validation accuracy under each perturbation at the ' +
      "branch's restored best epoch (the weights the test accuracy measures); distances are at the last FCN epoch.",
    '',
  ];
  for (const t of tables) out.push(`## ${t.title}`, '', markdownTable(t), '');
  const missing = results.filter((r) => r.status !== 'finished');
  out.push('## Missing or unfinished points', '');
  out.push(missing.length === 0 ? 'None: every point finished.' : missing.map((r) => `- \`${r.point.name}\`: ${r.status} (${r.note})`).join('\n'));
  out.push('');
  return out.join('\n');
}
