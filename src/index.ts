// Public API of wsr-native: tensors and devices, then the ops, each on the CPU or a CUDA GPU.
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

export { resolvePadding, resolveStride, outputSize, resolveWindow } from './ops/geometry';
export {
  conv2d,
  conv2dBackward,
  conv2dForwardInto,
  conv2dBackwardInputInto,
  conv2dBackwardWeightInto,
  conv2dOutputShape,
  conv2dGeometry,
} from './ops/conv';
export type { Conv2dOptions, Conv2dStride, Conv2dPadding } from './ops/conv';
export type { Padding, Padding2d, Stride, WindowOptions, WindowGeometry } from './ops/geometry';
export type { WindowBackwardOptions, WindowGradients } from './ops/window';
export {
  local2d,
  local2dBackward,
  local2dForwardInto,
  local2dBackwardInputInto,
  local2dBackwardWeightInto,
  local2dGeometry,
  convToLocal,
  localToConv,
} from './ops/local';
export type { Local2dOptions } from './ops/local';
export { dense, denseBackward } from './ops/dense';
export type { DenseGradients, DenseBackwardOptions } from './ops/dense';
export { relu, reluBackward, softmaxCrossEntropy, readLossStats, crossEntropyLoss } from './ops/activation';
export type { SoftmaxCrossEntropyOptions, SoftmaxCrossEntropyResult, LossStats } from './ops/activation';
export { fill, scale, axpy, sum, sumSquares, sumInto, sumSquaresInto } from './ops/elementwise';
export { gatherBatch } from './ops/data';
export type { GatherBatchOptions, Batch } from './ops/data';
export { SGD, Adam, sgdUpdate, adamUpdate } from './ops/optim';
export type { SGDOptions, AdamOptions, SGDState, AdamState, SGDHyperparameters, AdamHyperparameters, Optimizer, OptimizerMeta, OptimizerStateArray } from './ops/optim';
export {
  localDistances,
  localDistancesTensor,
  referenceDistances,
  referenceDistanceArrays,
  PAPER_RADII,
} from './ops/distance';
export type { LocalDistance } from './ops/distance';
/** Data augmentation and the robustness perturbations (noise, edge noise, translation, rotation, swap). */
export * as augment from './ops/augment';
/** Run reports: metrics CSV/JSONL, SVG/PNG figures, summary tables. */
export * from './report';
export { writeFileAtomic, writeJsonAtomic } from './util/atomic';
/** Datasets (CIFAR-10, MNIST): reading, validation, download, leak-free splits, a synthetic stand-in, the dataset table. */
export * from './data';
/** Models: layers, the paper's networks, Glorot initialisation, CNN → locally connected conversion. */
export * from './nn';
/** Training: the two-phase protocol, epochs, evaluation, checkpoints and run folders. */
export * from './train';
export { readSafetensors, readSafetensorsHeader, writeSafetensors, SafetensorsError, exportWeights } from './weights';
export type { NamedTensor, SafetensorsContents, ExportOptions, ExportResult } from './weights';
export { startServer, writeRunHtml, scanFolder } from './serve';
export type { ServeOptions, RunBrowserServer, IndexEntry, RunStatus, RunView, SweepView } from './serve';
export { writeAggregate } from './sweep/aggregateWrite';
export type { WrittenAggregate } from './sweep/aggregateWrite';
export { estimate, pairedDifference } from './sweep/stats';
export type { Estimate } from './sweep/stats';
export { main } from './cli';
