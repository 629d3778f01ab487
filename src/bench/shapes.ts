// The layer shapes the benchmarks time: every layer of the paper's CIFAR-10 and MNIST networks
// (PROTOCOL.md, "Networks"; valid padding). Names are `<net>.<layer>`, e.g. `cifar.conv2`; a
// locally connected op on `cifar.conv2` times the LC twin of that conv layer.

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

function window(name: string, c: number, h: number, k: number, kernel: number, stride: number): WindowShape {
  const out = Math.floor((h - kernel) / stride) + 1;
  return { kind: 'window', name, c, h, w: h, k, kh: kernel, kw: kernel, stride, oh: out, ow: out };
}

/** A whole network: its layers in order, as the training-step benchmark builds them. */
export interface NetworkShape {
  name: string;
  classes: number;
  input: [number, number, number];
  windows: WindowShape[];
  dense: DenseShape[];
}

export const CIFAR_NET: NetworkShape = {
  name: 'cifar',
  classes: 10,
  input: [3, 32, 32],
  windows: [
    window('cifar.conv1', 3, 32, 64, 5, 2), // → 14×14×64
    window('cifar.conv2', 64, 14, 128, 5, 2), // → 5×5×128
    window('cifar.conv3', 128, 5, 256, 3, 1), // → 3×3×256
  ],
  dense: [
    { kind: 'dense', name: 'cifar.dense1', inputs: 2304, outputs: 1024 },
    { kind: 'dense', name: 'cifar.dense2', inputs: 1024, outputs: 10 },
  ],
};

export const MNIST_NET: NetworkShape = {
  name: 'mnist',
  classes: 10,
  input: [1, 28, 28],
  windows: [
    window('mnist.conv1', 1, 28, 32, 3, 2), // → 13×13×32
    window('mnist.conv2', 32, 13, 64, 3, 2), // → 6×6×64
    window('mnist.conv3', 64, 6, 128, 3, 1), // → 4×4×128
  ],
  dense: [
    { kind: 'dense', name: 'mnist.dense1', inputs: 2048, outputs: 1024 },
    { kind: 'dense', name: 'mnist.dense2', inputs: 1024, outputs: 10 },
  ],
};

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
