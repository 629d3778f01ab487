/**
 * The wsr-native library: what other Node tools link. Tensors on the CPU or a CUDA GPU, the ops
 * (convolution, locally connected, dense, activations and losses, optimizers, filter distances,
 * augmentation), layers and models with the CNN → locally connected conversion, and the
 * safetensors format. A deliberate list: test/core_api.test.ts pins it, so it grows only on
 * purpose. None of the application (training, data, reports, the run browser, sweeps, the CLI)
 * loads from here; each is a subpath: `wsr-native/train`, `wsr-native/data`,
 * `wsr-native/report`, `wsr-native/serve`, `wsr-native/sweep`, `wsr-native/weights`.
 *
 * @packageDocumentation
 */

// Tensors and devices.
export { Tensor } from './tensor';
export type { DType, TensorOptions } from './tensor';
export { devices, cudaStatus, defaultDevice, resolveDevice, numThreads, setNumThreads, synchronize, memoryStats } from './device';
export type { DeviceInfo, DeviceName } from './device';

// Window geometry shared by convolution and locally connected layers.
export { resolvePadding, resolveStride, outputSize, resolveWindow } from './ops/geometry';
export type { Padding, Padding2d, Stride, WindowOptions, WindowGeometry } from './ops/geometry';
export type { WindowBackwardOptions, WindowGradients } from './ops/window';

// Convolution.
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

// Locally connected (untied) layers, and the conversion of a kernel between the two.
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

// Dense layers, activations, losses and elementwise reductions.
export { dense, denseBackward } from './ops/dense';
export type { DenseGradients, DenseBackwardOptions } from './ops/dense';
export { relu, reluBackward, softmaxCrossEntropy, readLossStats, crossEntropyLoss } from './ops/activation';
export type { SoftmaxCrossEntropyOptions, SoftmaxCrossEntropyResult, LossStats } from './ops/activation';
export { fill, scale, axpy, sum, sumSquares, sumInto, sumSquaresInto } from './ops/elementwise';

// Batches from a uint8 dataset on the device, and the augmentation and robustness perturbations.
export { gatherBatch } from './ops/data';
export type { GatherBatchOptions, Batch } from './ops/data';
/** Data augmentation and the robustness perturbations (noise, edge noise, translation, rotation, swap). */
export * as augment from './ops/augment';

// Optimizers.
export { SGD, Adam, sgdUpdate, adamUpdate } from './ops/optim';
export type {
  SGDOptions,
  AdamOptions,
  SGDState,
  AdamState,
  SGDHyperparameters,
  AdamHyperparameters,
  Optimizer,
  OptimizerMeta,
  OptimizerStateArray,
} from './ops/optim';

// Distances between the filters of a locally connected layer (the papers' divergence measure).
export { localDistances, localDistancesTensor, referenceDistances, referenceDistanceArrays, PAPER_RADII } from './ops/distance';
export type { LocalDistance } from './ops/distance';

// Degrees of weight sharing in a locally connected layer: re-tying toward the mean bank, the
// soft-tying penalty, and fixed random input masks (variable connection probability).
export { tieLocal, tiePenaltyBackward, maskInputs, vcpMask } from './ops/sharing';

// Low-rank local connectivity (Elsayed et al. 2020): each position's bank a softmax-weighted mixture of
// R basis banks; the op, its gradients, the mixing on its own, and the conversion from a convolution.
export {
  lowRankLocal2d,
  lowRankLocal2dBackward,
  lowRankMaterialize,
  lowRankMaterializeBackward,
  convToLowRank,
} from './ops/lowrank';
export type { LowRankBackwardOptions, LowRankGradients, LowRankParameters } from './ops/lowrank';

// Models: the paper's networks, layers, Glorot initialisation, the Sequential model and its
// conversion to the locally connected twin (Sequential.toLocal).
export { CIFAR10_CNN, MNIST_CNN, copySpec, networkByName, toLocalSpec } from './nn/spec';
export type { LayerSpec, NetworkSpec, Size2d } from './nn/spec';
export { planNetwork, specParameterCount } from './nn/plan';
export type { LayerPlan } from './nn/plan';
export type { Layer, Parameter } from './nn/layers';
export { INIT_DOMAIN, glorotLimit, glorotUniform, kerasFans, uniformArray } from './nn/init';
export type { Fans, KernelKind } from './nn/init';
export { Sequential } from './nn/model';
export type { CreateOptions, LocalLayerView, ToLocalOptions } from './nn/model';

// Weights as files: the safetensors format (PyTorch, NumPy and JAX read it).
export { readSafetensors, readSafetensorsHeader, parseSafetensors, writeSafetensors, SafetensorsError } from './safetensors';
export type { NamedTensor, SafetensorsContents, SafetensorsEntry, SafetensorsHeader } from './safetensors';
