import { mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'fs';
import os from 'os';
import path from 'path';
import { writeFileAtomic, writeJsonAtomic } from '../src/util/atomic';

describe('writeFileAtomic', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'wsr-atomic-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('writes text, bytes and chunk sequences, leaving no temporary file', () => {
    const file = path.join(dir, 'a.txt');
    writeFileAtomic(file, 'héllo\n');
    expect(readFileSync(file, 'utf8')).toBe('héllo\n');
    writeFileAtomic(file, Uint8Array.from([1, 2, 3]));
    expect([...readFileSync(file)]).toEqual([1, 2, 3]);
    writeFileAtomic(file, ['ab', Buffer.from('cd'), 'ef']);
    expect(readFileSync(file, 'utf8')).toBe('abcdef');
    expect(readdirSync(dir)).toEqual(['a.txt']);
  });

  test('a data source that fails midway leaves the old content and no temporary file', () => {
    const file = path.join(dir, 'metrics.csv');
    writeFileSync(file, 'old content\n');
    function* failing(): Generator<string> {
      yield 'new first half, ';
      throw new Error('source failed');
    }
    expect(() => writeFileAtomic(file, failing())).toThrow('source failed');
    expect(readFileSync(file, 'utf8')).toBe('old content\n');
    expect(readdirSync(dir)).toEqual(['metrics.csv']);
  });

  test('a failed rename (the target is a directory) removes the temporary file', () => {
    const target = path.join(dir, 'checkpoint');
    mkdirSync(target);
    writeFileSync(path.join(target, 'inside'), 'kept');
    expect(() => writeFileAtomic(target, 'data')).toThrow();
    expect(readdirSync(dir)).toEqual(['checkpoint']);
    expect(readFileSync(path.join(target, 'inside'), 'utf8')).toBe('kept');
  });

  test('a missing directory is an error, not a stray file', () => {
    expect(() => writeFileAtomic(path.join(dir, 'no', 'such', 'file'), 'x')).toThrow(/ENOENT/);
    expect(readdirSync(dir)).toEqual([]);
  });

  test('writeJsonAtomic writes indented JSON with a newline and refuses undefined', () => {
    const file = path.join(dir, 'config.json');
    writeJsonAtomic(file, { noise: 0.5, epochs: [100, 50] });
    const text = readFileSync(file, 'utf8');
    expect(text.endsWith('}\n')).toBe(true);
    expect(JSON.parse(text)).toEqual({ noise: 0.5, epochs: [100, 50] });
    expect(() => writeJsonAtomic(file, undefined)).toThrow(/not JSON-serialisable/);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ noise: 0.5, epochs: [100, 50] });
    expect(readdirSync(dir)).toEqual(['config.json']);
  });
});
