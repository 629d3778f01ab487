// The native addon: one typed declaration of everything it exports, and the loader that finds the
// binary once. Callers name the export they call (nativeAddon().conv2dForward(...)), so searching for
// an export's name finds every caller; binding/*_exports.cc defines each one under the same name.
import path from 'path';

/** The native tensor handle; users hold a {@link Tensor} wrapping it. */
export interface NativeTensor {
  readonly shape: number[];
  readonly dtype: 'float32' | 'uint8' | 'int32';
  readonly device: string | null;
  readonly disposed: boolean;
  dispose(): void;
  read(): Float32Array | Uint8Array | Int32Array;
  write(data: Float32Array | Uint8Array | Int32Array): NativeTensor;
  copyFrom(other: NativeTensor): NativeTensor;
  to(device: string): NativeTensor;
  reshape(shape: number[]): NativeTensor;
  sharesMemory(other: NativeTensor): boolean;
}

/**
 * The trailing arguments of the windowed exports (conv2d*, local2d*): a geometry that the TypeScript
 * side has resolved (src/ops/geometry.ts); the binding checks it against the tensors.
 */
export type NativeWindowArgs = [strideH: number, strideW: number, padTop: number, padBottom: number, padLeft: number, padRight: number];

type T = NativeTensor;

/**
 * Every export of the addon. Outputs are caller-allocated tensors that the export overwrites; each
 * export checks its arguments and throws an Error whose message starts with its name.
 */
export interface NativeModule {
  /** The tensor class: instances come from empty() and tensor methods, never from `new`. */
  readonly NativeTensor: { readonly prototype: NativeTensor };

  // ---- runtime (binding/runtime_exports.cc) ----
  empty(shape: number[], dtype: string, device: string): T;
  buildInfo(): { cuda: boolean; napiVersion: number };
  cudaStatus(): { compiled: boolean; deviceCount: number; reason: string };
  cudaDevices(): { index: number; name: string; totalMemory: number; computeCapability: string }[];
  synchronize(device: string): void;
  numThreads(): number;
  setNumThreads(threads: number): number;
  memoryStats(): { cpuAllocations: number; cpuBytes: number; cudaAllocations: number; cudaBytes: number };

  // ---- elementwise (binding/elementwise_exports.cc) ----
  fill(t: T, value: number): void;
  scale(t: T, alpha: number): void;
  axpy(y: T, alpha: number, x: T): void;
  sum(x: T, out: T): void;
  sumSquares(x: T, out: T): void;

  // ---- activation and loss (binding/activation_loss_exports.cc) ----
  reluForward(x: T, y: T): void;
  reluBackward(y: T, dy: T, dx: T): void;
  softmaxCrossEntropy(logits: T, labels: T, dlogits: T | null, stats: T, accumulate: boolean): void;

  // ---- augmentation (binding/augment_exports.cc) ----
  gaussianNoise(x: T, y: T, sigma: number, seed: number, stream: number): void;
  edgeNoise(x: T, y: T, sigma: number, border: number, seed: number, stream: number): void;
  translate(x: T, y: T, maxFraction: number, seed: number, stream: number): void;
  rotate(x: T, y: T, maxDegrees: number, seed: number, stream: number): void;
  quadrantSwap(x: T, y: T): void;

  // ---- batches (binding/data_exports.cc) ----
  gatherBatch(images: T, labels: T, order: T, offset: number, count: number, scale: number, x: T, y: T): void;

  // ---- dense (binding/dense_exports.cc) ----
  denseForward(x: T, w: T, b: T | null, y: T): void;
  denseBackward(x: T, w: T, dy: T, dx: T | null, dw: T, db: T | null): void;

  // ---- convolution (binding/conv_exports.cc; arguments as binding/window_args.h describes) ----
  conv2dForward(x: T, w: T, b: T | null, y: T, ...geometry: NativeWindowArgs): void;
  conv2dBackwardInput(dy: T, w: T, dx: T, ...geometry: NativeWindowArgs): void;
  conv2dBackwardWeight(x: T, dy: T, dw: T, db: T | null, ...geometry: NativeWindowArgs): void;

  // ---- locally connected, and conversions from and to conv (binding/local_exports.cc) ----
  local2dForward(x: T, w: T, b: T | null, y: T, ...geometry: NativeWindowArgs): void;
  local2dBackwardInput(dy: T, w: T, dx: T, ...geometry: NativeWindowArgs): void;
  local2dBackwardWeight(x: T, dy: T, dw: T, db: T | null, ...geometry: NativeWindowArgs): void;
  convToLocal(convW: T, convB: T | null, localW: T, localB: T | null): void;
  localToConv(localW: T, localB: T | null, convW: T, convB: T | null): void;

  // ---- filter divergence (binding/distance_exports.cc) ----
  localDistances(w: T, radii: number[], out: T): void;
  referenceDistances(w: T, ref: T, out: T): void;

  // ---- degrees of weight sharing (binding/sharing_exports.cc) ----
  tieLocal(weight: T, bias: T | null, strength: number): void;
  tiePenaltyBackward(weight: T, bias: T | null, dweight: T, dbias: T | null, lambda: number, stats: T): void;
  maskInputs(x: T, mask: T, out: T): void;

  // ---- low-rank local connectivity (binding/lowrank_exports.cc) ----
  lowRankMix(bases: T, basisBias: T | null, logits: T, weight: T, bias: T | null): void;
  lowRankMixBackward(
    bases: T,
    basisBias: T | null,
    logits: T,
    dweight: T,
    dbias: T | null,
    dBases: T,
    dBasisBias: T | null,
    dLogits: T,
  ): void;

  // ---- optimizers (binding/optim_exports.cc) ----
  sgdUpdate(param: T, grad: T, velocity: T, lr: number, momentum: number, nesterov: boolean, weightDecay: number): void;
  adamUpdate(
    param: T,
    grad: T,
    m: T,
    v: T,
    lr: number,
    beta1: number,
    beta2: number,
    epsilon: number,
    step: number,
    weightDecay: number,
  ): void;
}

/** The package root, from src/ (ts-jest) and from dist/ alike. */
export const packageRoot = path.join(__dirname, '..');

let addon: NativeModule | undefined;

function load(): NativeModule {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('node-gyp-build')(packageRoot) as NativeModule;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(
      `wsr-native: no native binary loads on ${process.platform}-${process.arch} (Node ${process.version}).\n` +
        `  ${reason}\n` +
        `  Build one from source (needs CMake >= 3.18 and a C++17 compiler; CUDA is optional,\n` +
        `  WSR_CUDA=OFF skips it). npm 11 does not run a dependency's install script unless allowed, so run:\n` +
        `    cd ${packageRoot} && npm run build:native`,
    );
  }
}

/** The addon, loaded on first use (so importing the library needs no binary until an op runs). */
export function nativeAddon(): NativeModule {
  if (addon === undefined) addon = load();
  return addon;
}
