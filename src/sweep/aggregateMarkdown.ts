// The aggregate as Markdown: test accuracy, robustness and final distances per setting, each cell
// mean ± half-width of the 95% confidence interval, and the points that are missing.
import { ROBUSTNESS_KEYS } from '../report';
import { METRIC_LABEL, SettingSummary } from './aggregate';
import { DISTANCE_KEYS, PointResult } from './collect';
import { Estimate } from './stats';

const NONE = '–';

/** An accuracy (a fraction) as percent, with its interval in percentage points. */
export function percentCell(e: Estimate, signed = false): string {
  if (e.mean === null) return NONE;
  const sign = signed && e.mean > 0 ? '+' : '';
  const mean = `${sign}${(e.mean * 100).toFixed(2)}`;
  return e.ci === null ? `${mean}${signed ? ' pp' : '%'} (n=1)` : `${mean} ± ${(e.ci * 100).toFixed(2)}${signed ? ' pp' : '%'}`;
}

/** A distance with four significant digits, ± its interval. */
export function numberCell(e: Estimate): string {
  if (e.mean === null) return NONE;
  const f = (v: number): string => (v !== 0 && Math.abs(v) < 1e-3 ? v.toExponential(3) : String(Number(v.toPrecision(4))));
  return e.ci === null ? `${f(e.mean)} (n=1)` : `${f(e.mean)} ± ${f(e.ci)}`;
}

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]): string => `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Robustness per setting and model; rows without any value (runs with --no-robustness) are left out. */
function robustnessTable(summaries: readonly SettingSummary[]): string {
  const rows = summaries.flatMap((s) => [
    [`\`${s.group.label}\``, 'CNN', ...ROBUSTNESS_KEYS.map((k) => percentCell(s.cnn[k]))],
    [`\`${s.group.label}\``, 'FCN', ...ROBUSTNESS_KEYS.map((k) => percentCell(s.fcn[k]))],
    [`\`${s.group.label}\``, 'FCN − CNN', ...ROBUSTNESS_KEYS.map((k) => percentCell(s.difference[k], true))],
  ]).filter((cells) => cells.slice(2).some((c) => c !== NONE));
  if (rows.length === 0) return 'Not measured (the runs had --no-robustness).';
  return table(['setting', 'model', ...ROBUSTNESS_KEYS.map((k) => METRIC_LABEL[k])], rows);
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
export function aggregateMarkdown(dir: string, summaries: readonly SettingSummary[], results: readonly PointResult[]): string {
  const finished = results.filter((r) => r.status === 'finished').length;
  const seeds = new Set(results.map((r) => r.point.seed)).size;
  const setting = (s: SettingSummary): string => `\`${s.group.label}\``;
  const n = (s: SettingSummary): string => `${s.seeds.length}/${s.group.points.length}`;
  const out: string[] = [
    `# Sweep aggregate: ${dir}`,
    '',
    `${summaries.length} setting(s) × ${seeds} seed(s); ${finished} of ${results.length} points finished. ` +
      'Each cell is the mean over seeds ± the half-width of its 95% confidence interval (Student t with n − 1 degrees of freedom); ' +
      'with one seed (n=1) there is no interval. FCN − CNN is the paired difference per seed (the same seed gives both branches ' +
      'the same converted weights, data order and noise). Robustness is the validation accuracy under each perturbation at the ' +
      "branch's restored best epoch (the weights the test accuracy measures); distances are at the last FCN epoch.",
    '',
    '## Test accuracy',
    '',
    table(
      ['setting', 'n', 'CNN', 'FCN', 'FCN − CNN (paired)'],
      summaries.map((s) => [setting(s), n(s), percentCell(s.cnn.test_accuracy), percentCell(s.fcn.test_accuracy), percentCell(s.difference.test_accuracy, true)]),
    ),
    '',
    '## Robustness at the restored best epoch (validation accuracy)',
    '',
    robustnessTable(summaries),
    '',
    '## Final distances of the freed filters (last FCN epoch)',
    '',
    table(
      ['setting', 'layer', ...DISTANCE_KEYS],
      summaries.flatMap((s) => s.distances.map((d) => [setting(s), d.layer, ...DISTANCE_KEYS.map((k) => numberCell(d.values[k]))])),
    ),
    '',
  ];
  const missing = results.filter((r) => r.status !== 'finished');
  out.push('## Missing or unfinished points', '');
  out.push(missing.length === 0 ? 'None: every point finished.' : missing.map((r) => `- \`${r.point.name}\`: ${r.status} (${r.note})`).join('\n'));
  out.push('');
  return out.join('\n');
}
