// An op that allocates its outputs and then fails in the native call frees them again: the live
// native allocation count (memoryStats) is the same before and after the throwing call, and
// buffers the caller passed in stay alive.
import {
  Tensor,
  conv2d,
  conv2dBackward,
  convToLocal,
  dense,
  denseBackward,
  local2d,
  local2dBackward,
  localToConv,
  memoryStats,
} from '../src';

const cpu = (shape: number[], dtype: 'float32' | 'uint8' = 'float32') => Tensor.zeros(shape, { device: 'cpu', dtype });

describe('a throwing native call leaks no tensor', () => {
  const live: Tensor[] = [];
  const t = (shape: number[], dtype: 'float32' | 'uint8' = 'float32') => {
    const tensor = cpu(shape, dtype);
    live.push(tensor);
    return tensor;
  };
  afterAll(() => live.forEach((tensor) => tensor.disposed || tensor.dispose()));

  // Each call passes the TypeScript checks (the shapes size the outputs) and fails in the binding.
  const cases: [string, () => Tensor[], (args: Tensor[]) => unknown, RegExp][] = [
    ['conv2d: uint8 input', () => [t([2, 3, 7, 6], 'uint8'), t([4, 3, 3, 3])], ([x, w]) => conv2d(x, w, null), /^conv2dForward: x must be float32/],
    ['conv2d: wrong bias', () => [t([2, 3, 7, 6]), t([4, 3, 3, 3]), t([5])], ([x, w, b]) => conv2d(x, w, b), /^conv2dForward: b must have shape/],
    ['conv2dBackward: wrong dy', () => [t([2, 3, 7, 6]), t([4, 3, 3, 3]), t([2, 4, 5, 5])], ([x, w, dy]) => conv2dBackward(x, w, dy), /^conv2dBackwardWeight: dy must have shape/],
    [
      'conv2dBackward: the input gradient fails after the weight gradient',
      () => [t([2, 3, 7, 6]), t([4, 3, 3, 3]), t([2, 4, 5, 4]), t([2, 3, 7, 6], 'uint8')],
      ([x, w, dy, dx]) => conv2dBackward(x, w, dy, {}, { out: { dx: dx as Tensor<'float32'> } }),
      /^conv2dBackwardInput: dx must be float32/,
    ],
    ['local2d: wrong bias', () => [t([2, 3, 8, 8]), t([6, 6, 4, 3, 3, 3]), t([6, 6, 5])], ([x, w, b]) => local2d(x, w, b), /^local2dForward: b must have shape/],
    ['local2d: wrong channels', () => [t([2, 3, 8, 8]), t([6, 6, 4, 2, 3, 3])], ([x, w]) => local2d(x, w, null), /^local2dForward: w has 2 input channels/],
    ['local2dBackward: wrong dy', () => [t([2, 3, 8, 8]), t([6, 6, 4, 3, 3, 3]), t([2, 4, 5, 6])], ([x, w, dy]) => local2dBackward(x, w, dy), /^local2dBackwardWeight: dy must have shape/],
    ['dense: wrong bias', () => [t([2, 3]), t([4, 3]), t([3])], ([x, w, b]) => dense(x, w, b), /^denseForward: b must have shape/],
    ['dense: rank-3 input', () => [t([2, 3, 1]), t([4, 3])], ([x, w]) => dense(x, w, null), /^denseForward: x must have 2 dimensions/],
    ['denseBackward: wrong dy', () => [t([2, 3]), t([4, 3]), t([2, 5])], ([x, w, dy]) => denseBackward(x, w, dy), /^denseBackward: dy must have shape/],
    ['convToLocal: wrong bias', () => [t([4, 3, 3, 3]), t([5])], ([w, b]) => convToLocal(w, b, 2, 2), /^convToLocal: convB must have shape/],
    ['localToConv: wrong bias', () => [t([2, 2, 4, 3, 3, 3]), t([2, 2, 3])], ([w, b]) => localToConv(w, b), /^localToConv: localB must have shape/],
  ];

  test.each(cases)('%s', (_, make, call, message) => {
    const args = make();
    const before = memoryStats();
    expect(() => call(args)).toThrow(message);
    const after = memoryStats();
    expect(after.cpuAllocations).toBe(before.cpuAllocations);
    expect(after.cpuBytes).toBe(before.cpuBytes);
    expect(args.every((a) => !a.disposed)).toBe(true); // the caller's tensors are its own
  });
});
