// Shared by the sweep tests: boot scripts that run the TypeScript sources in plain child
// processes — the CLI (Slurm's tasks run it through WSR_SWEEP_CLI) and the training job process
// (the local pool's children run it through WSR_JOB_SCRIPT) — and a child runner that watches the
// output.
import { ChildProcess, spawn } from 'child_process';
import fs from 'fs';
import path from 'path';
import { readMetricsJsonl } from '../src/report';
import { CHILD_BOOT, TS_REQUIRE_HOOK } from './helpers/cli';

export const root = path.join(__dirname, '..');

/** Writes the boot script into `dir` (CHILD_BOOT as a file: absolute require, arguments after the script). */
export function writeBootScript(dir: string): string {
  const file = path.join(dir, 'wsr-native-boot.js');
  const swaps: [string, string][] = [
    ["require('./src/cli.ts')", `require(${JSON.stringify(path.join(root, 'src', 'cli.ts'))})`],
    ["require('typescript')", `require(${JSON.stringify(require.resolve('typescript'))})`],
    ['process.argv.slice(1)', 'process.argv.slice(2)'],
  ];
  let code = CHILD_BOOT;
  for (const [from, to] of swaps) {
    if (!code.includes(from)) throw new Error(`CHILD_BOOT no longer holds ${from}: update writeBootScript`);
    code = code.replace(from, to);
  }
  fs.writeFileSync(file, code);
  return file;
}

/** Writes a boot script of the training job process (src/train/jobProcess.ts) into `dir`. */
export function writeJobBootScript(dir: string): string {
  const file = path.join(dir, 'wsr-native-job-boot.js');
  const hook = TS_REQUIRE_HOOK.replace("require('typescript')", `require(${JSON.stringify(require.resolve('typescript'))})`);
  const entry = JSON.stringify(path.join(root, 'src', 'train', 'jobProcess.ts'));
  fs.writeFileSync(file, `${hook}\nrequire(${entry}).jobProcessMain().then((code) => { process.exitCode = code; });\n`);
  return file;
}

export interface ChildRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `node boot args…`; `onStderr` sees stderr as it grows, with the child (to signal it). */
export function runBoot(boot: string, args: string[], env: NodeJS.ProcessEnv, onStderr?: (text: string, proc: ChildProcess) => void): Promise<ChildRun> {
  const proc = spawn(process.execPath, [boot, ...args], { cwd: root, env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  proc.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    onStderr?.(stderr, proc);
  });
  return new Promise((resolve) => proc.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

/** The (epoch, model) keys of a run's metrics.jsonl, in order: '1cnn', '2cnn', '2fcn', … */
export function recordKeys(runDir: string): string[] {
  return readMetricsJsonl(path.join(runDir, 'metrics.jsonl')).records.map((r) => `${r.epoch}${r.model}`);
}
