// Two ways tests run the wsr-native CLI: in-process through main(), capturing its output, and as a
// plain child node booting the TypeScript sources.
import { main } from '../../src/cli';

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

// Lets a plain child node require the TypeScript sources: .ts files are transpiled on require,
// the output cached in the temp folder by content.
export const TS_REQUIRE_HOOK = `
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const cache = path.join(require('os').tmpdir(), 'wsr-native-ts-cache');
fs.mkdirSync(cache, { recursive: true });
let ts = null;
require.extensions['.ts'] = (m, file) => {
  const source = fs.readFileSync(file, 'utf8');
  const cached = path.join(cache, crypto.createHash('sha1').update(file + '\\n' + source).digest('hex') + '.js');
  let code;
  try {
    code = fs.readFileSync(cached, 'utf8');
  } catch {
    ts = ts || require('typescript');
    code = ts.transpileModule(source, {
      fileName: file,
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    }).outputText;
    fs.writeFileSync(cached + '.' + process.pid, code);
    fs.renameSync(cached + '.' + process.pid, cached);
  }
  m._compile(code, file);
};
`;

// Boots the TypeScript CLI in a plain child node (no jest sandbox, where seeded weight
// initialisation in JavaScript runs about ten times slower).
export const CHILD_BOOT = `${TS_REQUIRE_HOOK}
require('./src/cli.ts').main(['node', 'wsr-native', ...process.argv.slice(1)]).then((code) => { process.exitCode = code; });
`;
