// The layer rules of src/ (DESIGN.md, "Layout"), checked by dependency-cruiser: `npm run check:deps`,
// run by .ci/run right after `npm ci`. Tests, benchmarks and scripts are outside src/ and not checked.
//
//   the library (core): src/index.ts, tensor.ts, device.ts, native.ts, safetensors.ts, ops/, nn/
//   shared helpers:     src/util/ (usable by both layers, so it imports nothing of the application)
//   the application:    src/train, data, report, serve, sweep, weights, bench, cli/ and cli.ts
//
// Only the application imports the library, never the reverse, and the CLI is a thin adapter over
// the application that nothing imports. Loading the library (src/index.ts, the package's "." export)
// loads no npm package that only the application needs, not even through src/util.
//
// Imports are read statically: a require() of a computed name (report/png.ts loads @resvg/resvg-js
// so) is not seen.
//
// Type-only imports (`import type …`, and imports whose names are all types) count as much as any
// other: tsPreCompilationDeps is on. They vanish from the JavaScript, but a type the library takes
// from the application still ties the library's declarations to it (the published .d.ts would
// import the application), and a cycle of types is still two modules that cannot be read, moved or
// published apart.

/** The library: the package's main entry and everything it is made of. */
const CORE = '^src/(index|tensor|device|native|safetensors)\\.ts$|^src/(ops|nn)/';
/** Shared helpers, below both layers. */
const UTIL = '^src/util/';
/** The application (the subpath exports, benchmarks and the CLI). */
const APPLICATION = '^src/(train|data|report|serve|sweep|weights|bench|cli)/|^src/cli\\.ts$';
/** The CLI: the command line program and its commands. */
const CLI = '^src/cli/|^src/cli\\.ts$';
/** npm packages only the application uses (types packages too), resolved under node_modules/. */
const APPLICATION_PACKAGES =
  '(^|/)node_modules/(@types/)?(commander|vega[^/]*|csv-[^/]+|yaml|cli-progress|@resvg/[^/]+|jstat|tar)/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-import-cycle',
      severity: 'error',
      comment:
        'An import cycle in src/ (type-only imports included). Move what both modules need into a ' +
        'module of its own, or into the lower of the two, so that imports go one way.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'core-not-to-application',
      severity: 'error',
      comment:
        'The library (src/index.ts, tensor, device, native, safetensors, ops/, nn/) imports the ' +
        'application. The library is what other Node tools link: move the needed code into the ' +
        'library, or invert the dependency so that the application passes it in.',
      from: { path: CORE },
      to: { path: APPLICATION },
    },
    {
      name: 'core-not-to-application-packages',
      severity: 'error',
      comment:
        'The library imports an npm package only the application needs (commander, vega*, csv-*, ' +
        'yaml, cli-progress, @resvg/*, jstat, tar): move that code into the application.',
      from: { path: CORE },
      to: { path: APPLICATION_PACKAGES },
    },
    {
      name: 'library-loads-no-application-package',
      severity: 'error',
      comment:
        'Loading the library (src/index.ts, the package\'s only entry into the core) loads, through ' +
        'the modules it imports (src/util included), an npm package only the application needs. ' +
        'The path shows which import to move.',
      from: { path: '^src/index\\.ts$' },
      to: { path: APPLICATION_PACKAGES, reachable: true },
    },
    {
      name: 'util-not-to-application',
      severity: 'error',
      comment:
        'src/util is shared by the library and the application, so it imports nothing of the ' +
        'application: move the helper into the application, or what it needs into src/util.',
      from: { path: UTIL },
      to: { path: APPLICATION },
    },
    {
      name: 'nothing-imports-the-cli',
      severity: 'error',
      comment:
        'Only the CLI itself (src/cli.ts, src/cli/) imports the CLI. It is a thin adapter over the ' +
        'library and the application: move what is needed out of src/cli into the module it is about.',
      from: { path: '^src/', pathNot: CLI },
      to: { path: CLI },
    },
    {
      name: 'resolvable-imports',
      severity: 'error',
      comment:
        'An import in src/ that dependency-cruiser cannot resolve. Every rule above is checked on ' +
        'resolved paths, so an unresolved import would pass them unseen: fix the import, or the ' +
        'resolution settings in .dependency-cruiser.js.',
      from: { path: '^src/' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    // Resolve as tsc does (tsconfig.json: module commonjs, moduleResolution node).
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    // npm packages are leaves of the graph: their own imports are not read.
    doNotFollow: { path: '(^|/)node_modules/' },
    enhancedResolveOptions: {
      extensions: ['.ts', '.d.ts', '.js', '.json'],
      // The packages' main entries, as require() finds them from the compiled CommonJS.
      exportsFields: ['exports'],
      conditionNames: ['require', 'node', 'default', 'types'],
      mainFields: ['main', 'types', 'typings'],
    },
  },
};
