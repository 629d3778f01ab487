// Regressions for what the N-API fuzzer (test/fuzz/fuzz_exports.js) found at the native boundary.
// Cases that used to kill the process run in a child process, so a regression fails this test
// instead of taking the jest worker down.
import { spawnSync } from 'child_process';
import { nativeAddon, packageRoot } from '../src/native';

type Fn = (...args: unknown[]) => unknown;
interface Addon {
  NativeTensor: { prototype: Record<string, Fn> };
  empty(shape: unknown, dtype: string, device: string): NativeHandle;
  fill(...args: unknown[]): void;
  localDistances(...args: unknown[]): void;
}
interface NativeHandle {
  readonly shape: number[];
  readonly disposed: boolean;
  dispose(): void;
  read(): Float32Array;
  write(a: unknown): NativeHandle;
  copyFrom(t: unknown): NativeHandle;
  reshape(shape: unknown): NativeHandle;
}
const addon = () => nativeAddon() as unknown as Addon;

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

const loadAddon =
  `const addon = require(require.resolve('node-gyp-build', { paths: [${JSON.stringify(packageRoot)}] }))(` +
  `${JSON.stringify(packageRoot)});\n`;

/** Runs `code` (with `addon` loaded) in a fresh node process, optionally under a shell `ulimit`. */
function inChild(code: string, ulimit?: string): { signal: NodeJS.Signals | null; status: number | null; output: string } {
  const script = loadAddon + code;
  const r = ulimit
    ? spawnSync('/bin/sh', ['-c', `ulimit ${ulimit} && exec "$0" -e "$1"`, process.execPath, script], { encoding: 'utf8', timeout: 60_000 })
    : spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60_000 });
  return { signal: r.signal, status: r.status, output: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

/** Prints each case's error (or 'no error') on its own line in the child. */
const report = `
function attempt(label, fn) {
  try { fn(); console.log(label + ': no error'); }
  catch (e) { console.log(label + ': ' + (e instanceof Error ? e.constructor.name + ': ' + e.message : 'non-Error ' + String(e))); }
}
`;

function resvgLoads(): boolean {
  try {
    require(require.resolve('@resvg/resvg-js', { paths: [packageRoot] }));
    return true;
  } catch {
    return false;
  }
}

describe('objects that are not tensors', () => {
  (resvgLoads() ? test : test.skip)("another addon's wrapped object given NativeTensor.prototype is rejected (was a segfault)", () => {
    // instanceof said yes and ObjectWrap::Unwrap returned the other addon's pointer as a Tensor.
    const r = inChild(`${report}
      const { Resvg } = require(require.resolve('@resvg/resvg-js', { paths: [${JSON.stringify(packageRoot)}] }));
      const o = new Resvg('<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>');
      Object.setPrototypeOf(o, addon.NativeTensor.prototype);
      attempt('fill', () => addon.fill(o, 1));
      attempt('read', () => addon.NativeTensor.prototype.read.call(o));
      attempt('shape', () => Object.getOwnPropertyDescriptor(addon.NativeTensor.prototype, 'shape').get.call(o));
      const t = addon.empty([1], 'float32', 'cpu');
      attempt('copyFrom', () => t.copyFrom(o));`);
    expect(r.signal).toBeNull();
    expect(r.output).toContain('fill: TypeError: fill: t must be a tensor, got an object');
    expect(r.output).toContain('read: TypeError: tensor.read: called on an object that is not a NativeTensor');
    expect(r.output).toContain('shape: TypeError: tensor.shape: called on an object that is not a NativeTensor');
    expect(r.output).toContain('copyFrom: TypeError: tensor.copyFrom: expected a tensor');
    expect(r.status).toBe(0);
  });

  test('Object.create(NativeTensor.prototype) and the prototype itself are not tensors (was "Invalid argument")', () => {
    const { NativeTensor } = addon();
    expect(() => addon().fill(Object.create(NativeTensor.prototype), 1)).toThrow(/^fill: t must be a tensor, got an object$/);
    expect(() => addon().fill(NativeTensor.prototype, 1)).toThrow(/^fill: t must be a tensor, got an object$/);
    const t = addon().empty([2], 'float32', 'cpu');
    expect(() => t.copyFrom(Object.create(NativeTensor.prototype))).toThrow(/^tensor\.copyFrom: expected a tensor$/);
    t.dispose();
  });

  test('methods and getters called on anything but a tensor throw a TypeError naming the member', () => {
    // They used to throw V8's "Illegal invocation" (methods) or N-API's "Invalid argument" (getters).
    const proto = addon().NativeTensor.prototype;
    for (const self of [{}, 1, null, 'cpu', [], Object.create(proto)]) {
      for (const method of ['read', 'write', 'copyFrom', 'to', 'reshape', 'sharesMemory', 'dispose']) {
        expect(() => proto[method].call(self)).toThrow(new RegExp(`^tensor\\.${method}: called on .*; call it on a NativeTensor$`));
      }
      for (const getter of ['shape', 'dtype', 'device', 'disposed']) {
        const get = Object.getOwnPropertyDescriptor(proto, getter)?.get as Fn;
        // (Errors made by the addon come from Node's realm, not jest's: compare names, not classes.)
        expect(caught(() => get.call(self))).toMatchObject({ name: 'TypeError', message: expect.stringMatching(`^tensor\\.${getter}: called on`) });
      }
    }
    expect(() => proto.shape).toThrow(/^tensor\.shape: called on an object that is not a NativeTensor/);
  });
});

describe('typed arrays and allocation failure', () => {
  test('write accepts a typed array over a SharedArrayBuffer (was "Invalid argument")', () => {
    const t = addon().empty([3], 'float32', 'cpu');
    const shared = new Float32Array(new SharedArrayBuffer(16), 4, 3);
    shared.set([1, 2, 3]);
    t.write(shared);
    expect(Array.from(t.read())).toEqual([1, 2, 3]);
    t.dispose();
  });

  (process.platform === 'linux' ? test : test.skip)(
    'a read whose copy cannot be allocated throws a RangeError (was a V8 fatal error: process abort)',
    () => {
      // Under an address-space limit a tensor takes 60% of what is left, so the copy cannot fit:
      // napi_create_arraybuffer aborted the process there ("FATAL ERROR: v8::ArrayBuffer::New
      // Allocation failed"). Nothing is touched: the tensor's pages are never written.
      const limitKiB = 4 * 1024 * 1024;
      const r = inChild(
        `${report}
        const vm = Number(require('fs').readFileSync('/proc/self/status', 'utf8').match(/VmSize:\\s*(\\d+)/)[1]);
        const bytes = Math.floor(((${limitKiB} - vm) * 1024 * 0.6) / 4) * 4;
        let t;
        attempt('empty', () => { t = addon.empty([bytes / 4], 'float32', 'cpu'); });
        if (t) {
          attempt('read', () => t.read());
          attempt('to', () => t.to('cpu'));
          t.dispose();
        }
        attempt('empty twice the space', () => addon.empty([bytes / 2], 'float32', 'cpu'));`,
        `-v ${limitKiB}`,
      );
      expect(r.signal).toBeNull();
      expect(r.output).toContain('empty: no error');
      expect(r.output).toMatch(/read: RangeError: tensor\.read: cannot make a typed array of \d+ elements \(\d+ bytes\): Array buffer allocation failed/);
      expect(r.output).toMatch(/to: Error: tensor\.to: out of memory on cpu allocating \d+ bytes/);
      expect(r.output).toMatch(/empty twice the space: Error: empty: out of memory on cpu allocating \d+ bytes/);
      expect(r.status).toBe(0);
    },
  );
});

describe('JavaScript that runs during a call', () => {
  // Reading an array's elements runs its getters: the only JavaScript an export can run.
  function getterArray(values: number[], get: () => number): number[] {
    const a = values.slice();
    Object.defineProperty(a, 0, { get, enumerable: true });
    return a;
  }

  test('a radii getter that disposes the weight cannot free it under the kernel (was a segfault)', () => {
    const r = inChild(`${report}
      const w = addon.empty([3, 3, 2], 'float32', 'cpu');
      addon.fill(w, 1);
      const out = addon.empty([1, 2], 'float32', 'cpu');
      const radii = [0];
      Object.defineProperty(radii, 0, { get() { w.dispose(); return 1; } });
      attempt('localDistances', () => addon.localDistances(w, radii, out));`);
    expect(r.signal).toBeNull();
    expect(r.output).toContain('localDistances: TypeError: localDistances: w is a disposed tensor');
    expect(r.status).toBe(0);
  });

  test('a shape getter that disposes the tensor being reshaped (was a view without memory)', () => {
    const t = addon().empty([2, 3], 'float32', 'cpu');
    const shape = getterArray([0, 2], () => {
      t.dispose();
      return 3;
    });
    expect(() => t.reshape(shape)).toThrow(/^tensor\.reshape: the tensor has been disposed$/);
  });

  test('whatever a getter throws becomes an Error naming the export, with the thrown value as its cause', () => {
    const boom = new RangeError('boom');
    const thrown = (value: unknown) => {
      try {
        addon().empty(
          getterArray([0], () => {
            throw value;
          }),
          'float32',
          'cpu',
        );
      } catch (e) {
        return e as Error & { cause?: unknown };
      }
      throw new Error('empty did not throw');
    };
    const e1 = thrown(boom);
    expect(e1.message).toBe('empty: boom');
    expect(e1.cause).toBe(boom);
    const e2 = thrown('a string');
    expect(Object.prototype.toString.call(e2)).toBe('[object Error]');
    expect(e2.message).toBe("empty: threw 'a string'");
    expect(e2.cause).toBe('a string');
    const symbol = Symbol('s');
    expect(thrown(symbol).message).toBe('empty: threw a symbol');
    const t = addon().empty([2], 'float32', 'cpu');
    expect(() =>
      t.reshape(
        getterArray([0], () => {
          throw 'a string';  // eslint-disable-line no-throw-literal
        }),
      ),
    ).toThrow(/^tensor\.reshape: threw 'a string'$/);
    t.dispose();
  });
});
