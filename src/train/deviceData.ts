// A split on the training device: its images as one uint8 tensor, its labels, and reusable batch
// buffers. Batches are gathered (and scaled to [0, 1]) on the device from an int32 index list.
import { ImageShape } from '../data';
import { gatherBatch } from '../ops/data';
import { Tensor } from '../tensor';
import { swappedCopies } from './swappedCopies';

/** Device buffers of one batch size: the gathered batch, a second image buffer and the loss gradient. */
export interface BatchBuffers {
  /** float32 [n, C, H, W]: the gathered batch. */
  x: Tensor<'float32'>;
  /** uint8 [n]: its labels. */
  y: Tensor<'uint8'>;
  /** float32 [n, C, H, W]: a perturbed copy of x (robustness sets, the geometric training augmentations). */
  perturbed: Tensor<'float32'>;
  /** float32 [n, classes]: the gradient of the loss with respect to the logits. */
  dlogits: Tensor<'float32'>;
}

/** A labelled image set on a device. */
export class DeviceSplit {
  /** uint8 [count, C, H, W], or [2·count, C, H, W] with the swapped copies after the images. */
  readonly images: Tensor<'uint8'>;
  /** uint8 [count] (or [2·count]: the copies' labels too). */
  readonly labels: Tensor<'uint8'>;
  /** int32 [count]: 0 … count−1, the order of evaluation passes. */
  readonly identity: Tensor<'int32'>;
  private readonly buffers = new Map<number, BatchBuffers>();

  /**
   * Uploads `count` images (CHW bytes of `imageShape`, one after another) and their labels to `device`.
   * @param name 'train', 'validation' or 'test' (for messages)
   * @param withSwapped also upload each image with its quarters swapped (rows count … 2·count−1), for the swap augmentation
   */
  constructor(
    readonly name: string,
    images: Uint8Array,
    labels: Uint8Array,
    readonly count: number,
    readonly device: string,
    private readonly classes: number,
    readonly imageShape: ImageShape,
    withSwapped = false,
  ) {
    if (count < 1) throw new RangeError(`the ${name} set is empty`);
    const rows = withSwapped ? 2 * count : count;
    const bytes = imageShape[0] * imageShape[1] * imageShape[2];
    const stored = withSwapped ? swappedCopies(images, count, imageShape) : images.subarray(0, count * bytes);
    const storedLabels = new Uint8Array(rows);
    for (let at = 0; at < rows; at += count) storedLabels.set(labels.subarray(0, count), at);
    this.images = Tensor.from(stored, [rows, ...imageShape], { device, dtype: 'uint8' });
    this.labels = Tensor.from(storedLabels, [rows], { device, dtype: 'uint8' });
    this.identity = Tensor.from(Int32Array.from({ length: count }, (_, i) => i), [count], { device, dtype: 'int32' });
  }

  /** The buffers for batches of `n` images (created once per size). */
  buffersFor(n: number): BatchBuffers {
    let b = this.buffers.get(n);
    if (!b) {
      const device = this.device;
      const batchShape = [n, ...this.imageShape];
      b = {
        x: Tensor.empty(batchShape, { device }),
        y: Tensor.empty([n], { device, dtype: 'uint8' }),
        perturbed: Tensor.empty(batchShape, { device }),
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
