// Options objects from plain JavaScript: a value where the object goes, or a misspelt key, is an
// error naming the op and the key, never silently ignored.
import {
  Adam,
  SGD,
  Tensor,
  conv2d,
  denseBackward,
  gatherBatch,
  local2d,
} from '../src';
import { generateSynthetic, loadCifar, makeSplits, prepareData } from '../src/data';
import { checkOptions } from '../src/util/options';

// Calls as a JavaScript caller may make them, past the TypeScript types.
const untyped = (value: unknown): any => value;

describe('checkOptions', () => {
  test('accepts undefined, plain and null-prototype objects with known keys', () => {
    expect(checkOptions<{ a?: number }>(undefined, ['a'], 'op')).toEqual({});
    expect(checkOptions<{ a?: number }>({ a: 1 }, ['a'], 'op')).toEqual({ a: 1 });
    const bare = Object.assign(Object.create(null) as { a?: number }, { a: 2 });
    expect(checkOptions(bare, ['a'], 'op')).toBe(bare);
  });

  test.each([
    ['a string', 'cuda', /^op: options must be an object like \{ a, b \}, got the string 'cuda'/],
    ['a number', 3, /got number 3/],
    ['null', null, /got null/],
    ['an array', [1], /got an array/],
    ['a class instance', new Date(0), /got a Date object/],
  ])('rejects %s', (_, value, message) => {
    expect(() => checkOptions<{ a?: number; b?: number }>(untyped(value), ['a', 'b'], 'op')).toThrow(message);
  });

  test('rejects an unknown key, listing the known ones', () => {
    expect(() => checkOptions<{ stride?: number }>(untyped({ stirde: 2 }), ['stride'], 'conv2d')).toThrow(
      "conv2d: unknown option 'stirde' (known: stride)",
    );
  });
});

describe('the public API checks its options', () => {
  const x = Tensor.zeros([1, 1, 4, 4], { device: 'cpu' });
  const w = Tensor.zeros([1, 1, 3, 3], { device: 'cpu' });
  const lw = Tensor.zeros([2, 2, 1, 1, 3, 3], { device: 'cpu' });
  afterAll(() => [x, w, lw].forEach((t) => t.dispose()));

  test('tensors: a device string where the options go is an error, not a CPU tensor', () => {
    expect(() => Tensor.zeros([2], untyped('cuda'))).toThrow(/^Tensor\.zeros: options must be an object like \{ dtype, device \}, got the string 'cuda'/);
    expect(() => Tensor.empty([2], untyped({ devcie: 'cpu' }))).toThrow(/^Tensor\.empty: unknown option 'devcie'/);
    expect(() => Tensor.from([1], [1], untyped({ type: 'uint8' }))).toThrow(/^Tensor\.from: unknown option 'type'/);
  });

  test('ops and optimisers', () => {
    expect(() => conv2d(x, w, null, untyped({ strides: 2 }))).toThrow(/^conv2d: unknown option 'strides' \(known: stride, padding\)/);
    expect(() => local2d(x, lw, null, untyped({ pad: 'same' }))).toThrow(/^local2d: unknown option 'pad'/);
    const dy = Tensor.zeros([1, 2], { device: 'cpu' });
    const dw = Tensor.zeros([2, 3], { device: 'cpu' });
    const xi = Tensor.zeros([1, 3], { device: 'cpu' });
    expect(() => denseBackward(xi, dw, dy, untyped({ needInput: false }))).toThrow(/^denseBackward: unknown option 'needInput'/);
    [dy, dw, xi].forEach((t) => t.dispose());
    const images = Tensor.zeros([2, 3], { device: 'cpu', dtype: 'uint8' });
    const labels = Tensor.zeros([2], { device: 'cpu', dtype: 'uint8' });
    const order = Tensor.from(new Int32Array([0, 1]), [2], { device: 'cpu' });
    expect(() => gatherBatch(images, labels, order, 0, 2, untyped({ scaling: 1 }))).toThrow(/^gatherBatch: unknown option 'scaling'/);
    [images, labels, order].forEach((t) => t.dispose());
    expect(() => new SGD(untyped({ learningRate: 0.1 }))).toThrow(/^SGD: unknown option 'learningRate'/);
    expect(() => new Adam(untyped(0.001))).toThrow(/^Adam: options must be an object/);
  });

  test('data', async () => {
    const data = generateSynthetic({ trainPerFile: 20, testCount: 10 });
    expect(() => generateSynthetic(untyped({ count: 5 }))).toThrow(/^generateSynthetic: unknown option 'count'/);
    expect(() => makeSplits(data, untyped({ validationSize: 5 }))).toThrow(/^makeSplits: unknown option 'validationSize'/);
    await expect(loadCifar(untyped({ dir: '/nowhere' }))).rejects.toThrow(/^loadCifar: unknown option 'dir'/);
    await expect(prepareData(untyped({ dataset: 'synthetic', validaton: 5 }))).rejects.toThrow(/^prepareData: unknown option 'validaton'/);
    // Known keys pass through to the functions they belong to.
    const prepared = await prepareData({ dataset: 'synthetic', validation: 50, synthetic: { trainPerFile: 20 } });
    expect(prepared.validation.indices.length).toBe(50);
  });
});
