// Two ways tests run the wsr-native CLI: in-process through main(), capturing its output, and as a
// plain child node booting the TypeScript sources.
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
