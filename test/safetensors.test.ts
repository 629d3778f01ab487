// The safetensors reader and writer: round trips; the files read back by an independent reader of
// the format (test/helpers/safetensors_reference.py: Python's standard library and NumPy) and the
// independent writer's files read by ours; every malformed file refused with its name and tensor.
import fs from 'fs';
import os from 'os';
import path from 'path';
import { NamedTensor, SafetensorsError, parseSafetensors, readSafetensors, readSafetensorsHeader, writeSafetensors } from '../src/safetensors';
import { random } from './helpers/random';
import { bitsOf, reference, referenceRead } from './helpers/safetensors';

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wsr-safetensors-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A file of raw bytes: the 8-byte length, `header` (text, or an object as JSON), then `data`. */
function rawFile(name: string, header: string | object, data: Uint8Array = new Uint8Array(0), length?: bigint): string {
  const text = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header), 'utf8');
  const head = Buffer.alloc(8);
  head.writeBigUInt64LE(length ?? BigInt(text.length));
  const file = path.join(tmp, name);
  fs.writeFileSync(file, Buffer.concat([head, text, data]));
  return file;
}

function oddTensors(): NamedTensor[] {
  const rnd = random();
  const special = Float32Array.from([NaN, -0, Infinity, -Infinity, 1e-45, -3.4028234663852886e38]);
  return [
    { name: 'conv1.weight', shape: [3, 2, 5, 1], data: Float32Array.from(rnd.uniform(30)) },
    { name: 'empty', shape: [0, 4], data: new Float32Array(0) },
    { name: 'scalar', shape: [], data: Float32Array.from([2.5]) },
    { name: 'special', shape: [2, 3], data: special },
    { name: 'lc1.bias', shape: [7, 1, 3], data: Float32Array.from(rnd.uniform(21)) },
  ];
}

describe('writing and reading', () => {
  test('tensors, shapes and metadata round-trip bit for bit; the data starts 8-aligned', () => {
    const file = path.join(tmp, 'a.safetensors');
    const tensors = oddTensors();
    writeSafetensors(file, tensors, { format: 'test', note: 'ü "quoted"' });
    const back = readSafetensors(file);
    expect(back.metadata).toEqual({ format: 'test', note: 'ü "quoted"' });
    expect([...back.tensors.keys()]).toEqual(tensors.map((t) => t.name));
    for (const t of tensors) {
      expect(back.tensors.get(t.name)!.shape).toEqual(t.shape);
      expect(bitsOf(back.tensors.get(t.name)!.data)).toEqual(bitsOf(t.data));
    }
    expect(readSafetensorsHeader(file).dataStart % 8).toBe(0);
    expect(parseSafetensors(fs.readFileSync(file), file).tensors.get('lc1.bias')!.data).toEqual(tensors[4].data);
    const some = readSafetensors(file, (n) => n === 'scalar');
    expect([...some.tensors.keys()]).toEqual(['scalar']);
  });

  test('the writer refuses bad names, shapes and metadata', () => {
    const file = path.join(tmp, 'bad-write.safetensors');
    const t = { name: 'x', shape: [2], data: new Float32Array(2) };
    expect(() => writeSafetensors(file, [t, t])).toThrow(/repeated tensor name "x"/);
    expect(() => writeSafetensors(file, [{ ...t, name: '__metadata__' }])).toThrow(/bad or repeated tensor name/);
    expect(() => writeSafetensors(file, [{ ...t, shape: [3] }])).toThrow(/tensor x has 2 values, which shape \[3\] does not hold/);
    expect(() => writeSafetensors(file, [t], { n: 3 as unknown as string })).toThrow(/metadata "n" must be a string/);
    expect(fs.existsSync(file)).toBe(false);
  });
});

describe('an independent reader of the format agrees', () => {
  test('Python reads every tensor of our file: names, dtype, shape, offsets and every value bit for bit', () => {
    const file = path.join(tmp, 'ours.safetensors');
    const tensors = oddTensors();
    writeSafetensors(file, tensors, { format: 'test', network: JSON.stringify({ name: 'n' }) });
    const read = referenceRead(file);
    expect(read.metadata).toEqual({ format: 'test', network: '{"name":"n"}' });
    expect(Object.keys(read.tensors).sort()).toEqual(tensors.map((t) => t.name).sort());
    let at = 0;
    for (const t of tensors) {
      const r = read.tensors[t.name];
      expect(r.dtype).toBe('F32');
      expect(r.shape).toEqual(t.shape);
      expect(r.data_offsets).toEqual([at, at + 4 * t.data.length]);
      expect(r.bits).toEqual(bitsOf(t.data));
      at += 4 * t.data.length;
    }
  });

  test("we read the independent writer's file: data in another order than the header, no padding", () => {
    const tensors = oddTensors().filter((t) => t.name !== 'empty');
    const spec = {
      tensors: tensors.map((t) => ({ name: t.name, shape: t.shape, bits: bitsOf(t.data) })),
      metadata: { made_by: 'python' },
      data_order: tensors.map((t) => t.name).reverse(),
      pad: false,
    };
    const specFile = path.join(tmp, 'spec.json');
    fs.writeFileSync(specFile, JSON.stringify(spec));
    const file = path.join(tmp, 'theirs.safetensors');
    reference('write', file, specFile);
    const back = readSafetensors(file);
    expect(back.metadata).toEqual({ made_by: 'python' });
    expect([...back.tensors.keys()]).toEqual(spec.data_order);
    for (const t of tensors) {
      expect(back.tensors.get(t.name)!.shape).toEqual(t.shape);
      expect(bitsOf(back.tensors.get(t.name)!.data)).toEqual(bitsOf(t.data));
    }
  });
});

describe('the reader is strict: every fault names the file and the tensor', () => {
  const f32 = (n: number): Uint8Array => new Uint8Array(new Float32Array(n).buffer);
  const entry = (begin: number, end: number, shape = [(end - begin) / 4], dtype = 'F32') => ({ dtype, shape, data_offsets: [begin, end] });

  const cases: [string, () => string, 'format' | 'truncated' | 'tensor', RegExp, string | null][] = [
    ['too short', () => shortFile(), 'format', /5 bytes is too short for a safetensors file/, null],
    ['an implausible header length', () => rawFile('len.st', 'rld, not safetensors', new Uint8Array(0), 0x6f77206f6c6c6568n), 'format', /header length \d+ is implausible: not a safetensors file/, null],
    ['a header past the end', () => rawFile('past.st', '{}', new Uint8Array(0), 1000n), 'truncated', /the 1000-byte header runs past the end of the file \(10 bytes\)/, null],
    ['a header that is not JSON', () => rawFile('json.st', '{"a": '), 'format', /the header is not a JSON object/, null],
    ['a header that does not start with {', () => rawFile('brace.st', ' {}'), 'format', /does not start with \{/, null],
    ['a JSON array header', () => rawFile('array.st', '[1]'), 'format', /does not start with \{|not a JSON object/, null],
    ['metadata that is not strings', () => rawFile('meta.st', { __metadata__: { epoch: 3 } }), 'format', /__metadata__ must map names to strings/, null],
    ['an unknown dtype', () => rawFile('dtype.st', { w: entry(0, 8, [2], 'F33') }, f32(2)), 'tensor', /tensor w: unknown dtype "F33"/, 'w'],
    ['a shape that disagrees with the offsets', () => rawFile('shape.st', { w: entry(0, 8, [3]) }, f32(2)), 'tensor', /tensor w: shape \[3\] of F32 needs 12 bytes, data_offsets \[0,8\] hold 8/, 'w'],
    ['a negative or fractional size', () => rawFile('neg.st', { w: entry(0, 8, [-2]) }, f32(2)), 'tensor', /tensor w: shape \[-2\] is not a list of sizes/, 'w'],
    ['reversed offsets', () => rawFile('rev.st', { w: { dtype: 'F32', shape: [2], data_offsets: [8, 0] } }, f32(2)), 'tensor', /tensor w: data_offsets \[8,0\] is not \[begin, end\]/, 'w'],
    ['overlapping tensors', () => rawFile('overlap.st', { a: entry(0, 8), b: entry(4, 12) }, f32(3)), 'tensor', /tensor b: its data \[4, 12\) overlaps that of a/, 'b'],
    ['a gap between tensors', () => rawFile('gap.st', { a: entry(0, 4), b: entry(8, 12) }, f32(3)), 'tensor', /tensor b: its data starts at 8, leaving bytes \[4, 8\) that belong to no tensor/, 'b'],
    ['offsets past the end (truncated data)', () => rawFile('trunc.st', { a: entry(0, 8), b: entry(8, 16) }, f32(3)), 'truncated', /tensor b: its data runs to byte \d+, the file has \d+/, 'b'],
    ['bytes after the last tensor', () => rawFile('extra.st', { a: entry(0, 8) }, f32(3)), 'format', /4 bytes after the last tensor belong to no tensor/, null],
    ['a tensor that is not float32', () => rawFile('f16.st', { half: entry(0, 4, [2], 'F16') }, f32(1)), 'tensor', /tensor half is F16; wsr-native reads float32 \(F32\) tensors only/, 'half'],
  ];

  function shortFile(): string {
    const file = path.join(tmp, 'short.st');
    fs.writeFileSync(file, 'abcde');
    return file;
  }

  test.each(cases)('%s', (_what, make, kind, message, tensor) => {
    const file = make();
    let error: unknown = null;
    try {
      readSafetensors(file);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SafetensorsError);
    const e = error as SafetensorsError;
    expect(e.message.startsWith(`${file}: `)).toBe(true);
    expect(e.message).toMatch(message);
    expect(e.kind).toBe(kind);
    expect(e.tensor).toBe(tensor);
  });

  test('a file written by us and then cut short anywhere is refused', () => {
    const file = path.join(tmp, 'cut.safetensors');
    writeSafetensors(file, oddTensors(), { a: 'b' });
    const bytes = fs.readFileSync(file);
    for (const at of [0, 3, 8, 20, bytes.length >> 1, bytes.length - 1]) {
      const cut = path.join(tmp, `cut-${at}.safetensors`);
      fs.writeFileSync(cut, bytes.subarray(0, at));
      expect(() => readSafetensors(cut)).toThrow(SafetensorsError);
    }
  });
});
