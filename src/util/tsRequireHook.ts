// Running the TypeScript sources without a build (jest's child processes, the bench scripts, and
// the figure worker of a process that runs them): a require hook that transpiles .ts files on
// require, no type check, the output cached in the temp folder by path and content.

/**
 * JavaScript (a script, for `node -e` or an eval'd worker) that installs the hook. It needs the
 * `typescript` package, a development dependency: only source checkouts run .ts files.
 */
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
    // Unique per thread too: a process and its worker may transpile the same file at once.
    const temp = cached + '.' + process.pid + '.' + require('worker_threads').threadId;
    fs.writeFileSync(temp, code);
    fs.renameSync(temp, cached);
  }
  m._compile(code, file);
};
`;
