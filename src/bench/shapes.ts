// The layer shapes the benchmarks time: every layer of the paper's CIFAR-10 and MNIST networks
// (PROTOCOL.md, "Networks"; valid padding), taken from their model specs. Names are
// `<net>.<layer>`, e.g. `cifar.conv2`; a locally connected op on `cifar.conv2` times the LC twin
// of that conv layer.
import { planNetwork } from '../nn/plan';
import { CIFAR10_CNN, MNIST_CNN, NetworkSpec } from '../nn/spec';

/** A conv layer and, equally, its locally connected twin (one filter bank per output position). */
export interface WindowShape {
  kind: 'window';
  name: string;
  /** Input channels, height, width (per sample). */
  c: number;
  h: number;
  w: number;
  /** Filters. */
  k: number;
  kh: number;
  kw: number;
  stride: number;
  /** Output height and width (valid padding). */
  oh: number;
  ow: number;
}

/** A dense layer: `inputs` → `outputs`. */
export interface DenseShape {
  kind: 'dense';
  name: string;
  inputs: number;
  outputs: number;
}

export type LayerShape = WindowShape | DenseShape;

/** A whole network: its layers in order, as the training-step benchmark builds them. */
export interface NetworkShape {
  name: string;
  classes: number;
  input: [number, number, number];
  windows: WindowShape[];
  dense: DenseShape[];
}

/**
 * The bench's view of one of the paper's networks, derived from the model spec it trains
 * (src/nn/spec.ts) so the two cannot disagree. Names are `<net>.<layer>`, e.g. `cifar.conv2`.
 */
function networkShape(name: string, spec: NetworkSpec): NetworkShape {
  const plans = planNetwork(spec);
  const windows = plans.flatMap((l): WindowShape[] => {
    if (l.kind !== 'conv') return [];
    const { kernel, stride, outputHeight, outputWidth } = l.geometry;
    if (stride[0] !== stride[1]) throw new Error(`bench shapes: ${l.name} has a non-square stride`);
    const [c, h, w] = l.inputShape;
    const [k] = l.weightShape;
    return [{ kind: 'window', name: `${name}.${l.name}`, c, h, w, k, kh: kernel[0], kw: kernel[1], stride: stride[0], oh: outputHeight, ow: outputWidth }];
  });
  const dense = plans.flatMap((l): DenseShape[] =>
    l.kind === 'dense' ? [{ kind: 'dense', name: `${name}.${l.name}`, inputs: l.inputShape[0], outputs: l.outputShape[0] }] : [],
  );
  const [c, h, w] = spec.inputShape;
  return { name, classes: spec.classes, input: [c, h, w], windows, dense };
}

export const CIFAR_NET: NetworkShape = networkShape('cifar', CIFAR10_CNN);
export const MNIST_NET: NetworkShape = networkShape('mnist', MNIST_CNN);

export const NETWORKS: readonly NetworkShape[] = [CIFAR_NET, MNIST_NET];

/** Parameter count of a network in its conv form (`local` false) or its LC twin (`local` true). */
export function parameterCount(net: NetworkShape, local: boolean): number {
  let total = 0;
  for (const s of net.windows) {
    const positions = local ? s.oh * s.ow : 1;
    total += positions * (s.k * s.c * s.kh * s.kw + s.k);
  }
  for (const d of net.dense) total += d.inputs * d.outputs + d.outputs;
  return total;
}

export function windowShapes(): WindowShape[] {
  return NETWORKS.flatMap((n) => n.windows);
}

export function denseShapes(): DenseShape[] {
  return NETWORKS.flatMap((n) => n.dense);
}
