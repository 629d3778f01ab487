// The native convolution exports, looked up at run time: a build without them (an older addon)
// still benchmarks everything else.
import { NativeTensor, nativeAddon } from '../../native';
import { Unsupported } from '../types';

type Geometry6 = [number, number, number, number, number, number];

export interface ConvExports {
  conv2dForward(x: NativeTensor, w: NativeTensor, b: NativeTensor | null, y: NativeTensor, ...g: Geometry6): void;
  conv2dBackwardInput(dy: NativeTensor, w: NativeTensor, dx: NativeTensor, ...g: Geometry6): void;
  conv2dBackwardWeight(x: NativeTensor, dy: NativeTensor, dw: NativeTensor, db: NativeTensor | null, ...g: Geometry6): void;
}

/** Whether the loaded addon has the conv kernels. */
export function hasConv(): boolean {
  const addon = nativeAddon<Partial<ConvExports>>();
  return typeof addon.conv2dForward === 'function' && typeof addon.conv2dBackwardWeight === 'function';
}

/** The conv exports, or {@link Unsupported} when this build lacks them. */
export function convExports(): ConvExports {
  if (!hasConv()) throw new Unsupported('this build of the addon has no conv kernels');
  return nativeAddon<ConvExports>();
}

/** Native geometry arguments of a valid-padding layer with a square stride. */
export function validGeometry(stride: number): Geometry6 {
  return [stride, stride, 0, 0, 0, 0];
}
