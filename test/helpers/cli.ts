// Two ways tests run the wsr-native CLI: in-process through main(), capturing its output, and as a
// plain child node booting the TypeScript sources.
import { spawn } from 'child_process';
import path from 'path';
import { main } from '../../src/cli';
import { TS_REQUIRE_HOOK } from '../../src/util/tsRequireHook';

/** Runs the CLI in-process and captures what it writes. */
export async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(['node', 'wsr-native', ...args], {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
  });
  return { code, stdout, stderr };
}

// Lets a plain child node require the TypeScript sources (kept in src: the figure worker of such a
// process installs it too).
export { TS_REQUIRE_HOOK };

// Boots the TypeScript CLI in a plain child node (no jest sandbox, where seeded weight
// initialisation in JavaScript runs about ten times slower).
export const CHILD_BOOT = `${TS_REQUIRE_HOOK}
require('./src/cli.ts').main(['node', 'wsr-native', ...process.argv.slice(1)]).then((code) => { process.exitCode = code; });
`;

/** Runs the CLI in a plain child node (CHILD_BOOT, in the repository root) and collects what it writes. */
export function childCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const proc = spawn(process.execPath, ['-e', CHILD_BOOT, '--', ...args], { cwd: path.join(__dirname, '..', '..') });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => proc.on('close', (code) => resolve({ code, stdout, stderr })));
}
