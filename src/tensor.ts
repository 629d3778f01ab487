// Tensor: float32 (values), uint8 (datasets) or int32 (index lists) memory owned by the native
// side, on the CPU or a CUDA GPU.
import { defaultDevice } from './device';
import { NativeTensor, nativeAddon } from './native';
import { checkOptions } from './util/options';

export type DType = 'float32' | 'uint8' | 'int32';
type ArrayOf<D extends DType> = D extends 'uint8' ? Uint8Array : D extends 'int32' ? Int32Array : Float32Array;

function typedArrayFor(dtype: DType, data: ArrayLike<number>): Float32Array | Uint8Array | Int32Array {
  if (dtype === 'uint8') return data instanceof Uint8Array ? data : Uint8Array.from(data);
  if (dtype === 'int32') return data instanceof Int32Array ? data : Int32Array.from(data);
  return data instanceof Float32Array ? data : Float32Array.from(data);
}

export interface TensorOptions<D extends DType = 'float32'> {
  dtype?: D;
  /** 'cpu', 'cuda' or 'cuda:N'; default: defaultDevice(). */
  device?: string;
}

const TENSOR_OPTIONS = ['dtype', 'device'] as const;

// Frees native memory of tensors that are garbage-collected without dispose().
const registry = new FinalizationRegistry<NativeTensor>((handle) => handle.dispose());

function checkShape(shape: readonly number[], what: string): number[] {
  if (!Array.isArray(shape)) throw new TypeError(`${what}: shape must be an array, got ${typeof shape}`);
  shape.forEach((d, i) => {
    if (!Number.isInteger(d) || d < 0) throw new RangeError(`${what}: shape[${i}] must be a non-negative integer, got ${d}`);
  });
  return [...shape];
}

export class Tensor<D extends DType = DType> {
  /** The native handle; pass it to native exports. */
  readonly native: NativeTensor;

  /** Wraps a native handle (used by ops that create tensors). */
  constructor(native: NativeTensor) {
    this.native = native;
    registry.register(this, native, this);
  }

  /** A tensor with uninitialised contents. */
  static empty<D extends DType = 'float32'>(shape: readonly number[], options: TensorOptions<D> = {}): Tensor<D> {
    const dims = checkShape(shape, 'Tensor.empty');
    options = checkOptions(options, TENSOR_OPTIONS, 'Tensor.empty');
    const native = nativeAddon().empty(dims, options.dtype ?? 'float32', options.device ?? defaultDevice());
    return new Tensor<D>(native);
  }

  /** A tensor of zeros. */
  static zeros<D extends DType = 'float32'>(shape: readonly number[], options: TensorOptions<D> = {}): Tensor<D> {
    const t = Tensor.empty<D>(shape, checkOptions(options, TENSOR_OPTIONS, 'Tensor.zeros'));
    const size = t.size;
    t.native.write(typedArrayFor(t.dtype, new Uint8Array(size)));
    return t;
  }

  /** A tensor holding a copy of `data` (a typed array or plain numbers) with the given shape. */
  static from<D extends DType = 'float32'>(
    data: ArrayLike<number>,
    shape: readonly number[],
    options: TensorOptions<D> = {},
  ): Tensor<D> {
    const dims = checkShape(shape, 'Tensor.from');
    options = checkOptions(options, TENSOR_OPTIONS, 'Tensor.from');
    const dtype: DType =
      options.dtype ?? (data instanceof Uint8Array ? 'uint8' : data instanceof Int32Array ? 'int32' : 'float32');
    const size = dims.reduce((a, b) => a * b, 1);
    if (data.length !== size) {
      throw new RangeError(`Tensor.from: ${data.length} values do not fill shape [${dims}] (${size} elements)`);
    }
    const array = typedArrayFor(dtype, data);
    const t = Tensor.empty<D>(dims, { ...options, dtype: dtype as D });
    t.native.write(array);
    return t;
  }

  get shape(): number[] {
    return this.native.shape;
  }
  get rank(): number {
    return this.native.shape.length;
  }
  get size(): number {
    return this.native.shape.reduce((a, b) => a * b, 1);
  }
  get dtype(): D {
    return this.native.dtype as D;
  }
  /** 'cpu' or 'cuda:N'; throws once disposed. */
  get device(): string {
    const device = this.native.device;
    if (device === null) throw new Error('tensor has been disposed');
    return device;
  }
  get disposed(): boolean {
    return this.native.disposed;
  }

  /** A copy of the contents in a new typed array (waits for pending GPU work). */
  toArray(): ArrayOf<D> {
    return this.native.read() as ArrayOf<D>;
  }

  /** Replaces the contents with a typed array of the same type and length. */
  write(data: ArrayOf<D>): this {
    this.native.write(data);
    return this;
  }

  /** Copies another tensor of the same shape and type into this one, from any device. */
  copyFrom(other: Tensor<D>): this {
    this.native.copyFrom(other.native);
    return this;
  }

  /** A copy on `device`. */
  to(device: string): Tensor<D> {
    return new Tensor<D>(this.native.to(device));
  }

  /** A copy on the same device. */
  clone(): Tensor<D> {
    return this.to(this.device);
  }

  /** A view of the same memory with another shape of the same size. */
  reshape(shape: readonly number[]): Tensor<D> {
    return new Tensor<D>(this.native.reshape(checkShape(shape, 'Tensor.reshape')));
  }

  /** Releases this tensor's memory now; later use throws. Views keep shared memory alive. */
  dispose(): void {
    registry.unregister(this);
    this.native.dispose();
  }

  toString(): string {
    return this.disposed ? 'Tensor(disposed)' : `Tensor(${this.dtype}[${this.shape}], ${this.device})`;
  }
}
