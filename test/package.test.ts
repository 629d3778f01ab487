// The published package works as a dependency: pack it, install the tarball into an empty project
// (npm 11 runs no dependency install scripts there, so the shipped prebuild must load), import it,
// run an op, and run the CLI. Every entry point (the core, `wsr-native`, and each subpath of
// package.json `exports`) loads through require from CommonJS and import from ESM, and its types
// resolve for a consumer under moduleResolution node10 (through `typesVersions`), node16 and bundler.
import { execFile, execFileSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { writeFixtureRun } from './helpers/runFolders';

const root = path.join(__dirname, '..');
const TSC = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');

const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };

/** The entry points: `.` (the core) and each subpath of package.json `exports`. */
const ENTRIES = Object.keys(manifest.exports).filter((e) => e !== './package.json');

/** What a consumer writes to reach an entry: `wsr-native`, `wsr-native/train`, … */
const specifier = (entry: string): string => (entry === '.' ? 'wsr-native' : `wsr-native/${entry.slice(2)}`);
/** The entry's folder in dist/ and src/ ('' for the core) and its consumers' file name. */
const folder = (entry: string): string => (entry === '.' ? '' : entry.slice(2));
const stem = (entry: string): string => (entry === '.' ? 'core' : entry.slice(2));

/**
 * A function or class (used by value) and a type each entry exports, named in the consumers: a
 * type that does not resolve, or resolves to `any`, fails their check. An entry not listed here
 * is checked through the first function it exports (by name) and no type.
 */
const TYPED_NAMES: Record<string, { value: string; type: string }> = {
  '.': { value: 'Tensor', type: 'DeviceName' },
  './train': { value: 'runTraining', type: 'RunRequest' },
  './data': { value: 'makeSplits', type: 'SplitOptions' },
  './report': { value: 'summarize', type: 'EpochRecord' },
  './serve': { value: 'startServer', type: 'ServeOptions' },
  './sweep': { value: 'expandPoints', type: 'SweepSpec' },
  './weights': { value: 'exportWeights', type: 'ExportOptions' },
};

function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 600_000 });
}

/** Runs this repository's tsc on a project; resolves with its exit code and output (never rejects). */
function tsc(project: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [TSC, '-p', project, '--pretty', 'false'], { encoding: 'utf8', timeout: 300_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, output: `${stdout}${stderr}`.trim() });
    });
  });
}

/** Each export of an entry and what `typeof` says of it. */
type Surface = Record<string, string>;

describe('packed tarball', () => {
  let workDir: string;
  let tarball: string;
  let project: string;

  beforeAll(() => {
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wsr-pack-'));
    // What `npm pack`'s prepack script does, run apart so pack's JSON output stays clean.
    run('npm', ['run', 'build:ts'], root);
    run('npm', ['run', 'prebuild'], root);
    const packed = JSON.parse(run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', workDir], root)) as {
      filename: string;
      files: { path: string }[];
    }[];
    tarball = path.join(workDir, packed[0].filename);
    fs.writeFileSync(path.join(workDir, 'files.json'), JSON.stringify(packed[0].files.map((f) => f.path)));

    project = path.join(workDir, 'consumer');
    fs.mkdirSync(project);
    fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
    run('npm', ['install', '--no-audit', '--no-fund', tarball], project);
  }, 600_000);

  afterAll(() => {
    if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
  });

  test('carries the compiled JS, a prebuild and the sources, but no build folder', () => {
    const files = JSON.parse(fs.readFileSync(path.join(workDir, 'files.json'), 'utf8')) as string[];
    expect(files).toContain('dist/index.js');
    expect(files).toContain('dist/cli.js');
    expect(files).toContain(`prebuilds/${process.platform}-${process.arch}/wsr-native.node`);
    expect(files).toContain('CMakeLists.txt');
    expect(files).toContain('src/serve/web/app.js');
    expect(files.some((f) => f.startsWith('build/'))).toBe(false);
    expect(files.some((f) => f.startsWith('node_modules/'))).toBe(false);
  });

  test('exports the core and the application subpaths, each built from its source', () => {
    expect([...ENTRIES].sort()).toEqual(['.', './data', './report', './serve', './sweep', './train', './weights']);
    const files = JSON.parse(fs.readFileSync(path.join(workDir, 'files.json'), 'utf8')) as string[];
    for (const entry of ENTRIES) {
      const dir = folder(entry);
      // Built from a source that exists now (not a stale file left in dist/).
      expect([entry, fs.existsSync(path.join(root, 'src', dir, 'index.ts'))]).toEqual([entry, true]);
      for (const ext of ['js', 'd.ts']) expect(files).toContain(path.posix.join('dist', dir, `index.${ext}`));
    }
  });

  test('installs into an empty project, loads without a compiler, runs an op and the CLI', () => {
    expect(fs.existsSync(path.join(project, 'node_modules', 'wsr-native', 'build'))).toBe(false);

    const script = `
      const w = require('wsr-native');
      const t = w.Tensor.from([1, 2, 3, 4], [2, 2], { device: 'cpu' });
      const back = Array.from(t.toArray());
      console.log(JSON.stringify({ back, devices: w.devices().map((d) => d.name) }));
    `;
    const out = JSON.parse(run(process.execPath, ['-e', script], project)) as { back: number[]; devices: string[] };
    expect(out.back).toEqual([1, 2, 3, 4]);
    expect(out.devices[0]).toBe('cpu');

    const help = run('npx', ['--no-install', 'wsr-native', '--help'], project);
    expect(help).toMatch(/Usage: wsr-native/);
    expect(run('npx', ['--no-install', 'wsr-native', 'devices'], project)).toMatch(/^cpu /);

    // The run browser's page finds its script and the vega builds in the installed package.
    const runDir = writeFixtureRun(path.join(workDir, 'fixture-run'));
    run('npx', ['--no-install', 'wsr-native', 'report', runDir, '--no-png', '--html'], project);
    const html = fs.readFileSync(path.join(runDir, 'report.html'), 'utf8');
    expect(html).toContain('window.WSR_STATIC');
    expect(html).toMatch(/vegaEmbed/);
  });

  describe('every entry point', () => {
    /** Each entry's exports as `require` from a .cjs file sees them, by specifier. */
    let required: Record<string, Surface>;
    /** The function or class and the type each entry's consumers name. */
    const names: Record<string, { value: string; type?: string }> = {};

    beforeAll(() => {
      const specs = ENTRIES.map(specifier);
      fs.writeFileSync(
        path.join(project, 'entries.cjs'),
        `const out = {};
for (const spec of ${JSON.stringify(specs)}) {
  const m = require(spec);
  out[spec] = Object.fromEntries(Object.keys(m).sort().map((k) => [k, typeof m[k]]));
}
process.stdout.write(JSON.stringify(out));
`,
      );
      required = JSON.parse(run(process.execPath, ['entries.cjs'], project)) as Record<string, Surface>;
      for (const entry of ENTRIES) {
        const fallback = Object.keys(required[specifier(entry)] ?? {}).find((k) => required[specifier(entry)][k] === 'function');
        names[entry] = TYPED_NAMES[entry] ?? { value: fallback ?? '(no function exported)' };
      }
    }, 120_000);

    test('loads through require from CommonJS and named imports from ESM, with the same functions', () => {
      for (const entry of ENTRIES) {
        const surface = required[specifier(entry)];
        expect([entry, surface[names[entry].value]]).toEqual([entry, 'function']);
      }
      // Static named imports (linking fails when Node cannot see a name in the CommonJS module),
      // and each namespace against what require gives in the same process.
      const imports = ENTRIES.map((e, i) => `import { ${names[e].value} as named${i} } from '${specifier(e)}';\nimport * as ns${i} from '${specifier(e)}';`);
      const table = ENTRIES.map((e, i) => `  [${JSON.stringify(specifier(e))}, ns${i}, ${JSON.stringify(names[e].value)}, named${i}],`);
      fs.writeFileSync(
        path.join(project, 'entries.mjs'),
        `import { createRequire } from 'module';
${imports.join('\n')}
const require = createRequire(import.meta.url);
const out = {};
for (const [spec, ns, name, named] of [
${table.join('\n')}
]) {
  const cjs = require(spec);
  const keys = Object.keys(ns).filter((k) => k !== 'default' && k !== '__esModule').sort();
  out[spec] = {
    surface: Object.fromEntries(keys.map((k) => [k, typeof ns[k]])),
    differing: Object.keys(cjs).filter((k) => ns[k] !== cjs[k]),
    defaultIsRequired: ns.default === cjs,
    namedIsRequired: typeof named === 'function' && named === cjs[name],
  };
}
process.stdout.write(JSON.stringify(out));
`,
      );
      const imported = JSON.parse(run(process.execPath, ['entries.mjs'], project)) as Record<
        string,
        { surface: Surface; differing: string[]; defaultIsRequired: boolean; namedIsRequired: boolean }
      >;
      for (const entry of ENTRIES) {
        const spec = specifier(entry);
        expect(Object.keys(required[spec]).length).toBeGreaterThan(0);
        const { surface, ...sameObjects } = imported[spec];
        expect({ spec, ...sameObjects }).toEqual({ spec, differing: [], defaultIsRequired: true, namedIsRequired: true });
        expect(surface).toEqual(required[spec]);
      }
    });

    test('has types that resolve under moduleResolution node10, node16 (ESM and CommonJS) and bundler', async () => {
      // Only @types/node: the repository's other @types (devDependencies) would hide a shipped
      // declaration that needs one, as node10 also looks up imports in typeRoots.
      const typeRoots = path.join(project, 'type-roots');
      fs.mkdirSync(typeRoots);
      fs.symlinkSync(path.join(root, 'node_modules', '@types', 'node'), path.join(typeRoots, 'node'), 'dir');

      const consumer = (entry: string): string => {
        const { value, type } = names[entry];
        const spec = specifier(entry);
        const lines = [
          `import { ${value} } from '${spec}';`,
          'type IsAny<T> = 0 extends 1 & T ? true : false;',
          `export const valueTyped: IsAny<typeof ${value}> = false;`,
          `// @ts-expect-error: a function is not a string (unreported, ${value} would be untyped)`,
          `export const notAString: string = ${value};`,
        ];
        if (type) lines.push(`import type { ${type} } from '${spec}';`, `export const typeTyped: IsAny<${type}> = false;`);
        if (entry === '.') lines.push(`export const t: Tensor<'float32'> = Tensor.from([1, 2, 3, 4], [2, 2], { device: 'cpu' as DeviceName });`);
        return `${lines.join('\n')}\n`;
      };
      const modes = {
        node10: { module: 'commonjs', moduleResolution: 'node10', extensions: ['ts'] },
        node16: { module: 'node16', moduleResolution: 'node16', extensions: ['mts', 'cts'] },
        bundler: { module: 'esnext', moduleResolution: 'bundler', extensions: ['ts'] },
      };
      const projects: Record<string, string> = {};
      for (const [mode, { module, moduleResolution, extensions }] of Object.entries(modes)) {
        const dir = path.join(project, `types-${mode}`);
        fs.mkdirSync(dir);
        const files = ENTRIES.flatMap((entry) => extensions.map((ext) => `${stem(entry)}.${ext}`));
        for (const entry of ENTRIES) for (const ext of extensions) fs.writeFileSync(path.join(dir, `${stem(entry)}.${ext}`), consumer(entry));
        const compilerOptions = {
          target: 'ES2022',
          module,
          moduleResolution,
          strict: true,
          noImplicitAny: true,
          noEmit: true,
          // The shipped declarations are checked too, as a consumer's default tsc does.
          skipLibCheck: false,
          typeRoots: [typeRoots],
          types: ['node'],
        };
        fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files }, null, 2));
        projects[mode] = dir;
      }
      // The check can fail: a consumer with a type error.
      const broken = path.join(project, 'types-node16');
      fs.writeFileSync(path.join(broken, 'broken.mts'), `import { Tensor } from 'wsr-native';\nexport const n: number = Tensor.from([1], [1]);\n`);
      fs.writeFileSync(path.join(broken, 'tsconfig.broken.json'), JSON.stringify({ extends: './tsconfig.json', files: ['broken.mts'] }));

      const modeNames = Object.keys(projects);
      const results = await Promise.all([...modeNames.map((m) => tsc(projects[m])), tsc(path.join(broken, 'tsconfig.broken.json'))]);
      const brokenResult = results.pop()!;
      expect(modeNames.map((mode, i) => ({ mode, ...results[i] }))).toEqual(modeNames.map((mode) => ({ mode, code: 0, output: '' })));
      expect(brokenResult.code).not.toBe(0);
      expect(brokenResult.output).toMatch(/broken\.mts\(2,\d+\): error TS2322: Type 'Tensor<"float32">' is not assignable to type 'number'/);
    }, 300_000);
  });
});
