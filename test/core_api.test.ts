// The package's main entry (src/index.ts → dist/index.js) is the library core: a deliberate list of
// names, pinned here so that the surface grows only on purpose, and none of the application
// (training, data, reports, the run browser, sweeps, weights as files, the CLI, the benchmarks)
// or its dependencies loaded by requiring it. To add a name: export it from src/index.ts, document
// it there, and add it to the list below in the same change.
import { execFileSync } from 'child_process';
import path from 'path';
import ts from 'typescript';
import { TS_REQUIRE_HOOK } from '../src/util/tsRequireHook';

const root = path.join(__dirname, '..');
const CORE = path.join(root, 'src', 'index.ts');

/** The most names the core may export (runtime and type-only together). */
const MAX_NAMES = 150;

/** What `require('wsr-native')` holds: Object.keys of the module, sorted. */
const RUNTIME_NAMES = [
  'Adam',
  'CIFAR10_CNN',
  'INIT_DOMAIN',
  'MNIST_CNN',
  'PAPER_RADII',
  'SGD',
  'SafetensorsError',
  'Sequential',
  'Tensor',
  'adamUpdate',
  'augment',
  'axpy',
  'conv2d',
  'conv2dBackward',
  'conv2dBackwardInputInto',
  'conv2dBackwardWeightInto',
  'conv2dForwardInto',
  'conv2dGeometry',
  'conv2dOutputShape',
  'convToLocal',
  'convToLowRank',
  'copySpec',
  'crossEntropyLoss',
  'cudaStatus',
  'defaultDevice',
  'dense',
  'denseBackward',
  'devices',
  'fill',
  'gatherBatch',
  'glorotLimit',
  'glorotUniform',
  'kerasFans',
  'local2d',
  'local2dBackward',
  'local2dBackwardInputInto',
  'local2dBackwardWeightInto',
  'local2dForwardInto',
  'local2dGeometry',
  'localDistances',
  'localDistancesTensor',
  'localToConv',
  // Added on purpose (low-rank local connectivity, src/ops/lowrank.ts): convToLowRank, lowRankLocal2d,
  // lowRankLocal2dBackward, lowRankMaterialize, lowRankMaterializeBackward.
  'lowRankLocal2d',
  'lowRankLocal2dBackward',
  'lowRankMaterialize',
  'lowRankMaterializeBackward',
  // Added on purpose (degrees of weight sharing, src/ops/sharing.ts): maskInputs, tieLocal,
  // tiePenaltyBackward, vcpMask.
  'maskInputs',
  'memoryStats',
  'networkByName',
  'numThreads',
  'outputSize',
  'parseSafetensors',
  'planNetwork',
  'readLossStats',
  'readSafetensors',
  'readSafetensorsHeader',
  'referenceDistanceArrays',
  'referenceDistances',
  'relu',
  'reluBackward',
  'resolveDevice',
  'resolvePadding',
  'resolveStride',
  'resolveWindow',
  'scale',
  'setNumThreads',
  'sgdUpdate',
  'softmaxCrossEntropy',
  'specParameterCount',
  'sum',
  'sumInto',
  'sumSquares',
  'sumSquaresInto',
  'synchronize',
  'tieLocal',
  'tiePenaltyBackward',
  'toLocalSpec',
  'uniformArray',
  'vcpMask',
  'writeSafetensors',
];

/** The names src/index.ts exports for types only (interfaces, type aliases, `export type`), sorted. */
const TYPE_NAMES = [
  'AdamHyperparameters',
  'AdamOptions',
  'AdamState',
  'Batch',
  'Conv2dOptions',
  'Conv2dPadding',
  'Conv2dStride',
  'CreateOptions',
  'DType',
  'DenseBackwardOptions',
  'DenseGradients',
  'DeviceInfo',
  'DeviceName',
  'Fans',
  'GatherBatchOptions',
  'KernelKind',
  'Layer',
  'LayerPlan',
  'LayerSpec',
  'Local2dOptions',
  'LocalDistance',
  'LocalLayerView',
  'LossStats',
  // Added on purpose (low-rank local connectivity): LowRankBackwardOptions, LowRankGradients,
  // LowRankParameters (src/ops/lowrank.ts), ToLocalOptions (Sequential.toLocal's, src/nn/model.ts).
  'LowRankBackwardOptions',
  'LowRankGradients',
  'LowRankParameters',
  'NamedTensor',
  'NetworkSpec',
  'Optimizer',
  'OptimizerMeta',
  'OptimizerStateArray',
  'Padding',
  'Padding2d',
  'Parameter',
  'SGDHyperparameters',
  'SGDOptions',
  'SGDState',
  'SafetensorsContents',
  'SafetensorsEntry',
  'SafetensorsHeader',
  'Size2d',
  'SoftmaxCrossEntropyOptions',
  'SoftmaxCrossEntropyResult',
  'Stride',
  'TensorOptions',
  'ToLocalOptions',
  'WindowBackwardOptions',
  'WindowGeometry',
  'WindowGradients',
  'WindowOptions',
];

/** The `augment` namespace (data augmentation and the robustness perturbations) at runtime, sorted. */
const AUGMENT_NAMES = [
  'ROBUSTNESS_PERTURBATIONS',
  'RandomDomain',
  'applyAugmentation',
  'boxMuller',
  'draw',
  'edgeNoise',
  'gaussianAt',
  'gaussianNoise',
  'logUniform',
  'maxShift',
  'normal4',
  'philox4x32_10',
  'quadrantSwap',
  'rotate',
  'rotationDegrees',
  'sincosTurns',
  'translate',
  'translationShift',
  'uniformBelow',
  'uniformOpen0',
];

/** The application's dependencies (package.json `dependencies` and what they pull in); `*` is a wildcard. */
const APPLICATION_PACKAGES = [
  'vega',
  'vega-*',
  'commander',
  'csv-parse',
  'csv-stringify',
  'yaml',
  'cli-progress',
  '@resvg/*',
  'jstat',
  'tar',
];

/** The application's source folders under src/ (and the CLI's entry, src/cli.ts). */
const APPLICATION_SOURCES = ['train', 'data', 'report', 'serve', 'sweep', 'weights', 'cli', 'bench'];

/** The only packages the core may load: the addon's loader, and TypeScript for the test's require hook. */
const CORE_PACKAGES = ['node-gyp-build', 'typescript'];

const byCodeUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const sorted = (names: Iterable<string>): string[] => [...names].sort(byCodeUnit);

/** The package a loaded file belongs to (the part after its last node_modules/), or null for a file outside node_modules. */
function packageOf(file: string): string | null {
  const parts = file.split(path.sep);
  const at = parts.lastIndexOf('node_modules');
  if (at < 0 || at + 1 >= parts.length) return null;
  return parts[at + 1].startsWith('@') ? `${parts[at + 1]}/${parts[at + 2]}` : parts[at + 1];
}

function matches(name: string, pattern: string): boolean {
  return pattern.endsWith('*') ? name.startsWith(pattern.slice(0, -1)) : name === pattern;
}

/** The loaded files that belong to the application: its sources and its dependencies (paths relative to the repository). */
function applicationModules(loaded: readonly string[]): string[] {
  return loaded
    .filter((file) => {
      const pkg = packageOf(file);
      if (pkg !== null) return APPLICATION_PACKAGES.some((p) => matches(pkg, p));
      const rel = path.relative(root, file).split(path.sep).join('/');
      return rel === 'src/cli.ts' || APPLICATION_SOURCES.some((dir) => rel.startsWith(`src/${dir}/`));
    })
    .map((file) => path.relative(root, file).split(path.sep).join('/'));
}

interface Loaded {
  keys: string[];
  augment: string[] | null;
  /** Object.keys(require.cache) after the require: every file the process loaded. */
  files: string[];
}

/** Requires a TypeScript source in a fresh plain node process (no jest module registry) and reports what it loaded. */
function requireInChild(file: string): Loaded {
  const script = `${TS_REQUIRE_HOOK}
const m = require(process.argv[1]);
process.stdout.write(JSON.stringify({
  keys: Object.keys(m),
  augment: m.augment ? Object.keys(m.augment) : null,
  files: Object.keys(require.cache),
}));
`;
  const out = execFileSync(process.execPath, ['-e', script, file], { cwd: root, encoding: 'utf8', env: { ...process.env, WSR_DEVICE: 'cpu' } });
  return JSON.parse(out) as Loaded;
}

/** The names src/index.ts exports, from the type checker: those with a runtime value, and those for types only. */
function checkerExports(): { values: string[]; types: string[] } {
  const configFile = path.join(root, 'tsconfig.build.json');
  const config = ts.readConfigFile(configFile, (f) => ts.sys.readFile(f));
  if (config.error) throw new Error(ts.flattenDiagnosticMessageText(config.error.messageText, '\n'));
  const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, root, { noEmit: true }, configFile);
  const program = ts.createProgram({ rootNames: [CORE], options });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(CORE);
  if (!source) throw new Error(`${CORE} is not in the program`);
  const moduleSymbol = checker.getSymbolAtLocation(source);
  if (!moduleSymbol) throw new Error(`${CORE} is not a module`);
  const values: string[] = [];
  const types: string[] = [];
  for (const symbol of checker.getExportsOfModule(moduleSymbol)) {
    const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
    const typeOnly = (symbol.declarations ?? []).some((d) => ts.isTypeOnlyImportOrExportDeclaration(d));
    (target.flags & ts.SymbolFlags.Value && !typeOnly ? values : types).push(symbol.name);
  }
  return { values: sorted(values), types: sorted(types) };
}

describe('the core (main entry)', () => {
  let core: Loaded;
  let checked: { values: string[]; types: string[] };

  beforeAll(() => {
    core = requireInChild(CORE);
    checked = checkerExports();
  }, 120_000);

  test('the lists in this test are sorted and distinct', () => {
    for (const list of [RUNTIME_NAMES, TYPE_NAMES, AUGMENT_NAMES]) {
      expect(list).toEqual(sorted(new Set(list)));
    }
    expect(RUNTIME_NAMES.filter((n) => TYPE_NAMES.includes(n))).toEqual([]);
  });

  test('exports exactly the pinned runtime names', () => {
    expect(sorted(core.keys)).toEqual(RUNTIME_NAMES);
    // The type checker sees the same values: nothing exported at runtime is hidden from the types.
    expect(checked.values).toEqual(RUNTIME_NAMES);
  });

  test('exports exactly the pinned type-only names', () => {
    expect(checked.types).toEqual(TYPE_NAMES);
  });

  test('the augment namespace holds exactly the pinned names', () => {
    expect(core.augment && sorted(core.augment)).toEqual(AUGMENT_NAMES);
  });

  test(`exports at most ${MAX_NAMES} names`, () => {
    expect(checked.values.length + checked.types.length).toBeLessThanOrEqual(MAX_NAMES);
  });

  test('requiring it loads none of the application, its sources or its dependencies', () => {
    expect(applicationModules(core.files)).toEqual([]);
    const packages = sorted(new Set(core.files.map(packageOf).filter((p): p is string => p !== null)));
    expect(packages.filter((p) => !CORE_PACKAGES.includes(p))).toEqual([]);
    // It did load the core itself (the check looked at the right process).
    expect(core.files).toContain(CORE);
    expect(core.files).toContain(path.join(root, 'src', 'tensor.ts'));
  });

  test('the check notices the application when it is loaded: src/train/index.ts pulls it in', () => {
    const train = applicationModules(requireInChild(path.join(root, 'src', 'train', 'index.ts')).files);
    expect(train).toContain('src/train/index.ts');
    expect(train.filter((f) => f.includes('node_modules/')).length).toBeGreaterThan(0);
  }, 120_000);
});
