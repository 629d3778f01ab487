// Checks of the README and the guides in docs/ against the repository and the code: their links, the
// paths they name, their command lines, and their examples. Each check returns the problems it found
// as lines naming the page and its line, so a failing test says what to fix and where.
import { spawnSync } from 'child_process';
import fs from 'fs';
import path from 'path';
import YAML from 'yaml';
import { buildProgram } from '../../src/cli/program';
import { expandPoints, pointProblem, specFromObject } from '../../src/sweep';

export const root = path.join(__dirname, '..', '..');

/** README.md and every page of docs/, as absolute paths. */
export function docFiles(): string[] {
  const docs = path.join(root, 'docs');
  const pages = fs.readdirSync(docs).filter((f) => f.endsWith('.md')).sort();
  return [path.join(root, 'README.md'), ...pages.map((f) => path.join(docs, f))];
}

const rel = (file: string): string => path.relative(root, file);

export interface CodeBlock {
  /** The line of the opening fence (1-based). */
  line: number;
  lang: string;
  body: string;
  /** The reason given by a `<!-- not run: reason -->` comment on the line before the fence, or null. */
  notRun: string | null;
}

/** The fenced code blocks of a markdown text. */
export function codeBlocks(text: string): CodeBlock[] {
  const lines = text.split('\n');
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^\s*```(\S*)\s*$/.exec(lines[i]);
    if (!open) continue;
    let j = i + 1;
    while (j < lines.length && !/^\s*```\s*$/.test(lines[j])) j++;
    let k = i - 1;
    while (k >= 0 && lines[k].trim() === '') k--;
    const marker = k >= 0 ? /^<!--\s*not run:\s*(.*?)\s*-->$/.exec(lines[k].trim()) : null;
    blocks.push({ line: i + 1, lang: open[1], body: lines.slice(i + 1, j).join('\n') + '\n', notRun: marker ? marker[1] || 'not run' : null });
    i = j;
  }
  return blocks;
}

/** The text's lines outside fenced code blocks (code blocks read as blank lines, so line numbers hold). */
function proseLines(text: string): string[] {
  const lines = text.split('\n');
  let inBlock = false;
  return lines.map((l) => {
    if (/^\s*```/.test(l)) {
      inBlock = !inBlock;
      return '';
    }
    return inBlock ? '' : l;
  });
}

/** The inline code spans of the prose, with their line; a span may wrap onto the next line. */
function codeSpans(text: string): { line: number; code: string }[] {
  const prose = proseLines(text).join('\n');
  const spans: { line: number; code: string }[] = [];
  for (const m of prose.matchAll(/`([^`]+)`/g)) {
    if (m[1].includes('\n\n')) continue; // not a span: a stray backtick paired across paragraphs
    spans.push({ line: prose.slice(0, m.index).split('\n').length, code: m[1].replace(/\s*\n\s*/g, ' ') });
  }
  return spans;
}

/** The prose with its code spans blanked (their line breaks kept), for finding links. */
function proseWithoutCode(text: string): string[] {
  return proseLines(text)
    .join('\n')
    .replace(/`[^`]+`/g, (span) => span.replace(/[^\n]/g, ' '))
    .split('\n');
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
export function headingSlug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M}\s_-]/gu, '')
    .replace(/ /g, '-');
}

/** The anchors of a markdown text's headings (repeated headings get -1, -2, … as on GitHub). */
export function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  for (const line of proseLines(text)) {
    const h = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!h) continue;
    const base = headingSlug(h[1]);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    result.add(n === 0 ? base : `${base}-${n}`);
  }
  return result;
}

/**
 * Every relative link and image of `text` (the page `file`) points to a file or folder that exists,
 * and a `#anchor` to a heading of the page it names.
 */
export function linkProblems(file: string, text: string): string[] {
  const problems: string[] = [];
  proseWithoutCode(text).forEach((line, i) => {
    for (const m of line.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      const target = m[1];
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
      const where = `${rel(file)}:${i + 1}: link (${target})`;
      const hash = target.indexOf('#');
      const filePart = hash < 0 ? target : target.slice(0, hash);
      const anchor = hash < 0 ? null : decodeURIComponent(target.slice(hash + 1));
      const resolved = filePart === '' ? file : path.resolve(path.dirname(file), decodeURIComponent(filePart));
      if (!resolved.startsWith(root + path.sep) && resolved !== root) {
        problems.push(`${where}: leads outside the repository`);
        continue;
      }
      if (filePart !== '' && !fs.existsSync(resolved)) {
        problems.push(`${where}: ${rel(resolved)} does not exist`);
        continue;
      }
      if (anchor !== null) {
        if (!resolved.endsWith('.md')) {
          problems.push(`${where}: an anchor into a file that is not markdown`);
          continue;
        }
        const targetText = filePart === '' ? text : fs.readFileSync(resolved, 'utf8');
        if (!anchors(targetText).has(anchor)) problems.push(`${where}: ${rel(resolved)} has no heading #${anchor}`);
      }
    }
  });
  return problems;
}

const REPO_DIRS = ['src', 'test', 'bench', 'docs', 'cpu', 'cuda', 'binding', 'common'];

/**
 * Every repository path named in inline code (`src/train/settings.ts`, `npx jest test/conv`,
 * `test/native/`) exists; a jest path pattern such as `test/conv` may name `test/conv.test.ts`.
 * Paths with placeholders (`<…>`) or globs are skipped.
 */
export function pathProblems(file: string, text: string): string[] {
  const problems: string[] = [];
  const pattern = new RegExp(`^(?:${REPO_DIRS.join('|')})/[\\w./-]*$`);
  for (const span of codeSpans(text)) {
    for (const token of span.code.split(/\s+/)) {
      const p = token.replace(/[,;:)]+$/, '');
      if (!pattern.test(p)) continue;
      const full = path.join(root, p);
      if ([full, `${full}.test.ts`, `${full}.ts`].some((f) => fs.existsSync(f))) continue;
      problems.push(`${rel(file)}:${span.line}: \`${p}\` does not exist`);
    }
  }
  return problems;
}

/** A shell line's words (quotes removed; a redirection and its target dropped). */
function words(line: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  let m: RegExpExecArray | null;
  let skipNext = false;
  while ((m = re.exec(line))) {
    const w = m[1] ?? m[2] ?? m[3];
    if (skipNext) {
      skipNext = false;
      continue;
    }
    if (m[3] !== undefined && /^\d?>>?$|^<$/.test(w)) {
      skipNext = true;
      continue;
    }
    if (m[3] !== undefined && /^\d?>>?\S|^<\S/.test(w)) continue;
    out.push(w);
  }
  return out;
}

/** The commands of a shell block: continuation lines joined, comments dropped, split at `&&`, `||`, `;` and `|`. */
export function shellCommands(body: string): { line: number; words: string[] }[] {
  const lines = body.split('\n');
  const commands: { line: number; words: string[] }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let text = lines[i];
    while (/\\\s*$/.test(text) && i + 1 < lines.length) text = text.replace(/\\\s*$/, ' ') + lines[++i];
    text = text.replace(/(^|\s)#.*$/, '');
    for (const part of text.split(/\s+&&\s+|\s+\|\|\s+|;\s+|\s+\|\s+/)) {
      const w = words(part);
      if (w.length) commands.push({ line: start, words: w });
    }
  }
  return commands;
}

type CliIO = Parameters<typeof buildProgram>[0];

/**
 * Why `args` (the words after `wsr-native`) is not a command line of the CLI, or null: commander
 * parses it against the real program (buildProgram), so the command must exist, every flag must be
 * one of its flags with a value its parser accepts, and the number of arguments must fit. No
 * command's action runs.
 */
export function cliProblem(args: string[]): string | null {
  let errors = '';
  const io = { stdout: { write: () => true }, stderr: { write: (s: string) => ((errors += s), true) } } as unknown as CliIO;
  const program = buildProgram(io, { exitCode: 0 }, args);
  const rest = args.filter((a) => !['--help', '-h', '--version', '-V'].includes(a));
  if (rest.length === 0) return null;
  const [name, ...flags] = rest;
  if (/^<.*>$/.test(name)) return null; // a placeholder: `npx wsr-native <command> --help`
  const command = program.commands.find((c) => c.name() === name || c.aliases().includes(name));
  if (!command) return `no command '${name}' (the commands: ${program.commands.map((c) => c.name()).join(', ')})`;
  try {
    const { operands, unknown } = command.parseOptions(flags);
    if (unknown.length) return `${name}: unknown option '${unknown[0]}'`;
    const spec = command.registeredArguments;
    const min = spec.filter((a) => a.required).length;
    const max = spec.some((a) => a.variadic) ? Infinity : spec.length;
    if (operands.length < min || operands.length > max) {
      return `${name}: ${operands.length} argument(s) (${operands.join(' ')}), it takes ${min === max ? min : `${min} to ${max}`}`;
    }
  } catch (error) {
    return `${name}: ${errors.trim().split('\n')[0] || (error as Error).message}`;
  }
  return null;
}

const SHELL_LANGS = new Set(['sh', 'bash', 'shell', 'console']);

/** The wsr-native arguments of a command's words, or null when it does not run wsr-native. */
function wsrArgs(w: string[]): string[] | null {
  let i = 0;
  while (i < w.length && /^[A-Z_][A-Z0-9_]*=/.test(w[i])) i++; // VAR=value prefixes
  const c = w.slice(i);
  if (c[0] === 'npx' && c[1] === 'wsr-native') return c.slice(2);
  if (c[0] === 'wsr-native') return c.slice(1);
  if (c[0] === 'node' && c[1] === 'dist/cli.js') return c.slice(2);
  if (c[0] === 'npm' && c[1] === 'run' && c[2] === 'bench') return ['bench', ...c.slice(c[3] === '--' ? 4 : 3)];
  return null;
}

/**
 * Every wsr-native command line of the page parses (see cliProblem): those in shell blocks, and
 * inline code that starts with `npx wsr-native ` or `wsr-native `. Every `npm run X` names a script
 * of package.json.
 */
export function commandProblems(file: string, text: string): string[] {
  const scripts = (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  const problems: string[] = [];
  const check = (line: number, w: string[]): void => {
    const at = `${rel(file)}:${line}: ${w.join(' ')}`;
    let i = 0;
    while (i < w.length && /^[A-Z_][A-Z0-9_]*=/.test(w[i])) i++;
    if (w[i] === 'npm' && w[i + 1] === 'run' && !(w[i + 2] in scripts)) problems.push(`${at}: package.json has no script '${w[i + 2]}'`);
    const args = wsrArgs(w);
    if (!args) return;
    const problem = cliProblem(args);
    if (problem) problems.push(`${at}: ${problem}`);
  };
  for (const block of codeBlocks(text)) {
    if (!SHELL_LANGS.has(block.lang)) continue;
    for (const c of shellCommands(block.body)) check(block.line + 1 + c.line, c.words);
  }
  for (const span of codeSpans(text)) {
    if (/^(npx )?wsr-native /.test(span.code)) check(span.line, words(span.code));
  }
  return problems;
}

/** Every ```yaml block is a sweep spec whose every point train's settings table accepts. */
export function yamlProblems(file: string, text: string): string[] {
  const problems: string[] = [];
  for (const block of codeBlocks(text).filter((b) => b.lang === 'yaml' || b.lang === 'yml')) {
    const where = `${rel(file)}:${block.line}`;
    try {
      const spec = specFromObject(YAML.parse(block.body), where);
      for (const point of expandPoints(spec)) {
        const problem = pointProblem(spec, point);
        if (problem) problems.push(`${where}: ${problem}`);
      }
    } catch (error) {
      problems.push(`${where}: ${(error as Error).message}`);
    }
  }
  return problems;
}

/** Every ```python block is valid Python (parsed by python3's ast; not run: it needs torch and files). */
export function pythonProblems(file: string, text: string): string[] {
  const problems: string[] = [];
  for (const block of codeBlocks(text).filter((b) => b.lang === 'python' || b.lang === 'py')) {
    const r = spawnSync('python3', ['-c', 'import ast, sys; ast.parse(sys.stdin.read())'], { input: block.body, encoding: 'utf8' });
    if (r.error) throw new Error(`python3 is needed to check ${rel(file)}:${block.line}: ${r.error.message}`);
    if (r.status !== 0) problems.push(`${rel(file)}:${block.line}: not valid Python: ${r.stderr.trim().split('\n').pop()}`);
  }
  return problems;
}

/**
 * Every ```js block runs with node (a block marked `<!-- not run: why -->` is only checked with
 * `node --check`) in `dir`, a folder whose node_modules/wsr-native is this package, on the CPU.
 */
export function jsProblems(file: string, text: string, dir: string): string[] {
  const problems: string[] = [];
  for (const block of codeBlocks(text).filter((b) => b.lang === 'js' || b.lang === 'javascript')) {
    const script = path.join(dir, `${path.basename(file, '.md')}-${block.line}.js`);
    fs.writeFileSync(script, block.body);
    const args = block.notRun === null ? [script] : ['--check', script];
    const r = spawnSync(process.execPath, args, {
      cwd: dir,
      encoding: 'utf8',
      timeout: 60000,
      env: { ...process.env, WSR_DEVICE: 'cpu' },
    });
    if (r.status !== 0) {
      const why = r.error ? r.error.message : (r.stderr || r.stdout).trim().split('\n').slice(0, 6).join('\n    ');
      problems.push(`${rel(file)}:${block.line}: the js example ${block.notRun === null ? 'failed' : 'does not parse'}:\n    ${why}`);
    }
  }
  return problems;
}
