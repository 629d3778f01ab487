// Public API of wsr-native.
export { Tensor } from './tensor';
export type { DType, TensorOptions } from './tensor';
export {
  devices,
  cudaStatus,
  defaultDevice,
  resolveDevice,
  numThreads,
  setNumThreads,
  synchronize,
  memoryStats,
} from './device';
export type { DeviceInfo, DeviceName } from './device';
