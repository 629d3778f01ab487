// Devices: what is usable, the default, and CPU threads.
import { nativeAddon } from './native';

export type DeviceName = 'cpu' | 'cuda' | `cuda:${number}`;

export interface DeviceInfo {
  /** 'cpu' or 'cuda:N'. */
  name: string;
  kind: 'cpu' | 'cuda';
  /** GPU model; for the CPU, the number of threads kernels use. */
  description: string;
  /** Bytes of device memory (GPUs only). */
  totalMemory?: number;
  /** Compute capability such as '9.0' (GPUs only). */
  computeCapability?: string;
}

/** Every usable device: 'cpu' first, then each CUDA GPU. */
export function devices(): DeviceInfo[] {
  const addon = nativeAddon();
  const list: DeviceInfo[] = [{ name: 'cpu', kind: 'cpu', description: `${addon.numThreads()} threads` }];
  for (const gpu of addon.cudaDevices()) {
    list.push({
      name: `cuda:${gpu.index}`,
      kind: 'cuda',
      description: gpu.name,
      totalMemory: gpu.totalMemory,
      computeCapability: gpu.computeCapability,
    });
  }
  return list;
}

/** Whether a CUDA GPU can be used, and why not when it cannot. */
export function cudaStatus(): { usable: boolean; compiled: boolean; deviceCount: number; reason: string } {
  const status = nativeAddon().cudaStatus();
  return { usable: status.deviceCount > 0, ...status };
}

const DEVICE_PATTERN = /^(cpu|cuda|cuda:\d{1,3})$/;

/** Checks a device name and that the device is usable; returns the canonical name ('cuda' → 'cuda:0'). */
export function resolveDevice(name: string): DeviceName {
  if (typeof name !== 'string' || !DEVICE_PATTERN.test(name)) {
    throw new Error(`bad device ${JSON.stringify(name)}: expected 'cpu', 'cuda' or 'cuda:N'`);
  }
  if (name === 'cpu') return 'cpu';
  const status = cudaStatus();
  if (!status.usable) throw new Error(`device '${name}' is not usable: ${status.reason}`);
  const index = name === 'cuda' ? 0 : Number(name.slice(5));
  if (index >= status.deviceCount) {
    throw new Error(`device '${name}' does not exist: ${status.deviceCount} CUDA device(s) found`);
  }
  return `cuda:${index}`;
}

/** WSR_DEVICE when set, else the first GPU when one is usable, else the CPU. */
export function defaultDevice(): DeviceName {
  const fromEnv = process.env.WSR_DEVICE;
  if (fromEnv) {
    try {
      return resolveDevice(fromEnv);
    } catch (error) {
      throw new Error(`WSR_DEVICE: ${(error as Error).message}`);
    }
  }
  return cudaStatus().usable ? 'cuda:0' : 'cpu';
}

/** Threads CPU kernels use (default: all cores). */
export function numThreads(): number {
  return nativeAddon().numThreads();
}

/** Sets the threads CPU kernels use; returns the new count. */
export function setNumThreads(threads: number): number {
  return nativeAddon().setNumThreads(threads);
}

/** Waits until every queued kernel on a device has finished (a no-op on the CPU). */
export function synchronize(device: string = defaultDevice()): void {
  nativeAddon().synchronize(device);
}

/** Live native allocations by device kind: for leak checks. */
export function memoryStats(): ReturnType<ReturnType<typeof nativeAddon>['memoryStats']> {
  return nativeAddon().memoryStats();
}
