#!/usr/bin/env node
// Runs the chaos test (test/chaos/chaos.ts) from the TypeScript sources, as the other child-process
// tests do: `node test/chaos/run.js` (WSR_CHAOS_SEED=N replays a plan; WSR_CHAOS_KEEP=1 keeps its
// folder). .ci/run runs it as a stage of its own.
const fs = require('fs');
const path = require('path');
const ts = require('typescript');

// The require hook of src/util/tsRequireHook.ts, itself TypeScript: transpiled here once, then installed.
const hookSource = fs.readFileSync(path.join(__dirname, '..', '..', 'src', 'util', 'tsRequireHook.ts'), 'utf8');
const hookModule = { exports: {} };
const compiled = ts.transpileModule(hookSource, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText;
new Function('exports', 'module', 'require', compiled)(hookModule.exports, hookModule, require);
new Function('require', hookModule.exports.TS_REQUIRE_HOOK)(require);

require('./chaos.ts')
  .main()
  .then((code) => {
    process.exitCode = code;
  });
