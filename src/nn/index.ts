// The models API: network specs, layers, initialisation and the Sequential model.
export { CIFAR10_CNN, MNIST_CNN, copySpec, networkByName, toLocalSpec } from './spec';
export type { LayerSpec, NetworkSpec, Size2d } from './spec';
export { planNetwork, specParameterCount } from './plan';
export type { LayerPlan, WindowGeometry } from './plan';
export type { Layer, Parameter } from './layers';
export { INIT_DOMAIN, glorotLimit, glorotUniform, kerasFans, uniformArray } from './init';
export type { Fans, KernelKind } from './init';
export { Sequential } from './model';
export type { CreateOptions, LocalLayerView } from './model';
