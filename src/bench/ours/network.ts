// A whole network (conv or LC form) assembled from the ops, with every buffer allocated once, for
// the training-step and evaluation-step benchmarks: forward, softmax cross-entropy, backward, Adam.
import { Tensor } from '../../tensor';
import { relu, reluBackward, softmaxCrossEntropy } from '../../ops/activation';
import { dense, denseBackward } from '../../ops/dense';
import { local2dBackwardInputInto, local2dBackwardWeightInto, local2dForwardInto } from '../../ops/local';
import { Adam } from '../../ops/optim';
import { labelArray } from '../random';
import { NetworkShape, WindowShape } from '../shapes';
import { ConvExports, convExports, validGeometry } from './conv_exports';
import { glorotScale, randomTensor } from './tensors';

type F32 = Tensor<'float32'>;

interface Param {
  value: F32;
  grad: F32;
}

interface WindowLayer {
  shape: WindowShape;
  w: Param;
  b: Param;
  /** Output after ReLU, and its gradient. */
  y: F32;
  dy: F32;
}

interface DenseLayer {
  w: Param;
  b: Param;
  y: F32;
  dy: F32;
}

export class BenchNetwork {
  private readonly tensors: Tensor[] = [];
  private readonly windows: WindowLayer[];
  private readonly dense: DenseLayer[];
  private readonly x: F32;
  private readonly labels: Tensor;
  private readonly stats: F32;
  private readonly flat: F32;
  private readonly dflat: F32;
  private readonly lastWindowGrad: F32;
  private readonly conv: ConvExports | null;
  private readonly adam = new Adam({ lr: 1e-4 });

  constructor(
    private readonly net: NetworkShape,
    private readonly batch: number,
    private readonly local: boolean,
    device: string,
  ) {
    this.conv = local ? null : convExports();
    let seed = 1;
    const make = (shape: number[], scale = 1): F32 => {
      const t = randomTensor(shape, seed++, device, scale);
      this.tensors.push(t);
      return t;
    };
    const param = (shape: number[], scale: number): Param => ({ value: make(shape, scale), grad: make(shape) });
    try {
      const [c, h, w] = net.input;
      this.x = make([batch, c, h, w], 0.5);
      this.labels = Tensor.from(labelArray(batch, net.classes, 99), [batch], { dtype: 'uint8', device });
      this.tensors.push(this.labels);
      this.stats = make([2]);
      this.windows = net.windows.map((s) => {
        const bank = [s.k, s.c, s.kh, s.kw];
        const scale = glorotScale(s.c * s.kh * s.kw, s.k * s.kh * s.kw);
        return {
          shape: s,
          w: param(local ? [s.oh, s.ow, ...bank] : bank, scale),
          b: param(local ? [s.oh, s.ow, s.k] : [s.k], 0.01),
          y: make([batch, s.k, s.oh, s.ow]),
          dy: make([batch, s.k, s.oh, s.ow]),
        };
      });
      const last = this.windows[this.windows.length - 1];
      this.flat = last.y.reshape([batch, net.dense[0].inputs]) as F32;
      this.dflat = make([batch, net.dense[0].inputs]);
      this.lastWindowGrad = this.dflat.reshape(last.dy.shape) as F32;
      this.tensors.push(this.flat, this.lastWindowGrad);
      this.dense = net.dense.map((d) => ({
        w: param([d.outputs, d.inputs], glorotScale(d.inputs, d.outputs)),
        b: param([d.outputs], 0.01),
        y: make([batch, d.outputs]),
        dy: make([batch, d.outputs]),
      }));
    } catch (error) {
      this.dispose();
      throw error;
    }
  }

  private windowForward(layer: WindowLayer, input: F32): void {
    const s = layer.shape;
    if (this.conv) {
      this.conv.conv2dForward(input.native, layer.w.value.native, layer.b.value.native, layer.y.native, ...validGeometry(s.stride));
    } else {
      local2dForwardInto(input, layer.w.value, layer.b.value, layer.y, { stride: s.stride });
    }
    relu(layer.y, layer.y);
  }

  /** Gradients of one window layer from `dy` (post-ReLU already applied); dx into `dx` unless null. */
  private windowBackward(layer: WindowLayer, input: F32, dy: F32, dx: F32 | null): void {
    const s = layer.shape;
    const g = validGeometry(s.stride);
    if (this.conv) {
      this.conv.conv2dBackwardWeight(input.native, dy.native, layer.w.grad.native, layer.b.grad.native, ...g);
      if (dx) this.conv.conv2dBackwardInput(dy.native, layer.w.value.native, dx.native, ...g);
    } else {
      local2dBackwardWeightInto(input, dy, layer.w.grad, layer.b.grad, { stride: s.stride });
      if (dx) local2dBackwardInputInto(dy, layer.w.value, dx, { stride: s.stride });
    }
  }

  /** Forward pass to the logits. */
  private forward(): F32 {
    let a = this.x;
    for (const layer of this.windows) {
      this.windowForward(layer, a);
      a = layer.y;
    }
    let h = this.flat;
    this.dense.forEach((layer, i) => {
      dense(h, layer.w.value, layer.b.value, layer.y);
      if (i < this.dense.length - 1) relu(layer.y, layer.y);
      h = layer.y;
    });
    return h;
  }

  /** Forward and loss, no gradients (a validation batch). */
  evalStep(): void {
    const logits = this.forward();
    softmaxCrossEntropy(logits, this.labels, { stats: this.stats, accumulate: true, gradient: false });
  }

  /** Forward, loss, backward and one Adam update of every parameter. */
  trainStep(): void {
    const logits = this.forward();
    const lastDense = this.dense[this.dense.length - 1];
    softmaxCrossEntropy(logits, this.labels, { stats: this.stats, accumulate: true, dlogits: lastDense.dy });
    for (let i = this.dense.length - 1; i >= 0; i--) {
      const layer = this.dense[i];
      const input = i > 0 ? this.dense[i - 1].y : this.flat;
      const dx = i > 0 ? this.dense[i - 1].dy : this.dflat;
      denseBackward(input, layer.w.value, layer.dy, { dx, dw: layer.w.grad, db: layer.b.grad });
      reluBackward(input, dx, dx);
    }
    for (let i = this.windows.length - 1; i >= 0; i--) {
      const layer = this.windows[i];
      const dy = i === this.windows.length - 1 ? this.lastWindowGrad : layer.dy;
      const input = i > 0 ? this.windows[i - 1].y : this.x;
      const dx = i > 0 ? this.windows[i - 1].dy : null;
      this.windowBackward(layer, input, dy, dx);
      if (dx) reluBackward(input, dx, dx);
    }
    const params = this.parameters();
    this.adam.step(
      params.map((p) => p.value),
      params.map((p) => p.grad),
    );
  }

  parameters(): Param[] {
    return [...this.windows.flatMap((l) => [l.w, l.b]), ...this.dense.flatMap((l) => [l.w, l.b])];
  }

  dispose(): void {
    this.adam.dispose();
    for (const t of this.tensors ?? []) if (!t.disposed) t.dispose();
  }

  describe(): string {
    return `${this.net.name} ${this.local ? 'LC twin' : 'CNN'} at batch ${this.batch}`;
  }
}
