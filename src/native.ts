// Loads the compiled addon once. Each module that calls native code declares the exports it
// uses as an interface and asks for them with nativeAddon<Exports>().
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

export interface RuntimeExports {
  empty(shape: number[], dtype: string, device: string): NativeTensor;
  buildInfo(): { cuda: boolean; napiVersion: number };
  cudaStatus(): { compiled: boolean; deviceCount: number; reason: string };
  cudaDevices(): { index: number; name: string; totalMemory: number; computeCapability: string }[];
  synchronize(device: string): void;
  numThreads(): number;
  setNumThreads(threads: number): number;
  memoryStats(): { cpuAllocations: number; cpuBytes: number; cudaAllocations: number; cudaBytes: number };
}

/** The package root, from src/ (ts-jest) and from dist/ alike. */
export const packageRoot = path.join(__dirname, '..');

let addon: unknown;

function load(): unknown {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('node-gyp-build')(packageRoot);
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

/** The addon's exports, typed as the caller declares them. */
export function nativeAddon<Exports = RuntimeExports>(): Exports & RuntimeExports {
  if (addon === undefined) addon = load();
  return addon as Exports & RuntimeExports;
}
