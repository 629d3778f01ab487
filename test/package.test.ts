// The published package works as a dependency: pack it, install the tarball into an empty
// project (npm 11 runs no dependency install scripts there, so the shipped prebuild must load),
// import it, run an op, and run the CLI.
import { execFileSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { writeFixtureRun } from './helpers/runFolders';

const root = path.join(__dirname, '..');

function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 600_000 });
}

describe('packed tarball', () => {
  let workDir: string;
  let tarball: string;

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

  test('installs into an empty project, loads without a compiler, runs an op and the CLI', () => {
    const project = path.join(workDir, 'consumer');
    fs.mkdirSync(project);
    fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
    run('npm', ['install', '--no-audit', '--no-fund', tarball], project);
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
});
