// src/native.ts declares the native module once: every export the binary has, by its real name,
// and nothing it lacks. A new export is declared before TypeScript can call it; a removed or
// renamed one fails here instead of at its first call.
import { NativeModule, nativeAddon } from '../src/native';

// Each key of NativeModule once: the compiler rejects a missing or an unknown name.
const DECLARED: Record<keyof NativeModule, true> = {
  NativeTensor: true,
  empty: true,
  buildInfo: true,
  cudaStatus: true,
  cudaDevices: true,
  synchronize: true,
  numThreads: true,
  setNumThreads: true,
  memoryStats: true,
  fill: true,
  scale: true,
  axpy: true,
  sum: true,
  sumSquares: true,
  reluForward: true,
  reluBackward: true,
  softmaxCrossEntropy: true,
  gaussianNoise: true,
  edgeNoise: true,
  translate: true,
  rotate: true,
  quadrantSwap: true,
  gatherBatch: true,
  denseForward: true,
  denseBackward: true,
  conv2dForward: true,
  conv2dBackwardInput: true,
  conv2dBackwardWeight: true,
  local2dForward: true,
  local2dBackwardInput: true,
  local2dBackwardWeight: true,
  convToLocal: true,
  localToConv: true,
  localDistances: true,
  referenceDistances: true,
  tieLocal: true,
  tiePenaltyBackward: true,
  maskInputs: true,
  lowRankMix: true,
  lowRankMixBackward: true,
  sgdUpdate: true,
  adamUpdate: true,
};

test('the declaration of the native module names exactly the exports of the binary', () => {
  const addon = nativeAddon();
  expect(Object.keys(addon).sort()).toEqual(Object.keys(DECLARED).sort());
  for (const name of Object.keys(DECLARED)) expect(typeof addon[name as keyof NativeModule]).toBe('function');
});
