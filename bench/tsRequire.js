// Lets a bench script require the TypeScript sources directly (transpiled on load, no type check),
// as the tests' child processes do.
const fs = require('fs');
const ts = require('typescript');

require.extensions['.ts'] = (m, file) => {
  const out = ts.transpileModule(fs.readFileSync(file, 'utf8'), {
    fileName: file,
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
  });
  m._compile(out.outputText, file);
};
