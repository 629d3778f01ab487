// A split on the training device: its images as one uint8 tensor, its labels, and reusable batch
// buffers. Batches are gathered (and scaled to [0, 1]) on the device from an int32 index list.
import { CIFAR_CHANNELS, CIFAR_SIDE } from '../data';
import { gatherBatch } from '../ops/data';
import { Tensor } from '../tensor';

/** Device buffers of one batch size: the gathered batch, a second image buffer and the loss gradient. */
export interface BatchBuffers {
  /** float32 [n, 3, 32, 32]: the gathered batch. */
  x: Tensor<'float32'>;
  /** uint8 [n]: its labels. */
  y: Tensor<'uint8'>;
  /** float32 [n, 3, 32, 32]: a perturbed copy of x (robustness sets). */
  perturbed: Tensor<'float32'>;
  /** float32 [n, classes]: the gradient of the loss with respect to the logits. */
  dlogits: Tensor<'float32'>;
}

/** A labelled image set on a device. */
export class DeviceSplit {
  /** uint8 [count, 3, 32, 32]. */
  readonly images: Tensor<'uint8'>;
  /** uint8 [count]. */
  readonly labels: Tensor<'uint8'>;
  /** int32 [count]: 0 … count−1, the order of evaluation passes. */
  readonly identity: Tensor<'int32'>;
  private readonly buffers = new Map<number, BatchBuffers>();

  /**
   * Uploads `count` images (CHW bytes, one after another) and their labels to `device`.
   * @param name 'train', 'validation' or 'test' (for messages)
   */
  constructor(
    readonly name: string,
    images: Uint8Array,
    labels: Uint8Array,
    readonly count: number,
    readonly device: string,
    private readonly classes: number,
  ) {
    if (count < 1) throw new RangeError(`the ${name} set is empty`);
    const shape = [count, CIFAR_CHANNELS, CIFAR_SIDE, CIFAR_SIDE];
    this.images = Tensor.from(images.subarray(0, count * CIFAR_CHANNELS * CIFAR_SIDE * CIFAR_SIDE), shape, { device, dtype: 'uint8' });
    this.labels = Tensor.from(labels.subarray(0, count), [count], { device, dtype: 'uint8' });
    this.identity = Tensor.from(Int32Array.from({ length: count }, (_, i) => i), [count], { device, dtype: 'int32' });
  }

  /** The buffers for batches of `n` images (created once per size). */
  buffersFor(n: number): BatchBuffers {
    let b = this.buffers.get(n);
    if (!b) {
      const device = this.device;
      const imageShape = [n, CIFAR_CHANNELS, CIFAR_SIDE, CIFAR_SIDE];
      b = {
        x: Tensor.empty(imageShape, { device }),
        y: Tensor.empty([n], { device, dtype: 'uint8' }),
        perturbed: Tensor.empty(imageShape, { device }),
        dlogits: Tensor.empty([n, this.classes], { device }),
      };
      this.buffers.set(n, b);
    }
    return b;
  }

  /**
   * Gathers rows order[offset … offset+n) into the buffers for size n, scaled to [0, 1].
   * @param order int32 indices into this split, on its device
   */
  gather(order: Tensor, offset: number, n: number): BatchBuffers {
    const b = this.buffersFor(n);
    gatherBatch(this.images, this.labels, order, offset, n, { x: b.x, y: b.y });
    return b;
  }

  /** Frees the images, labels and buffers. */
  dispose(): void {
    for (const b of this.buffers.values()) for (const t of Object.values(b)) (t as Tensor).dispose();
    this.buffers.clear();
    this.images.dispose();
    this.labels.dispose();
    this.identity.dispose();
  }
}
