import { Tensor, devices, defaultDevice, cudaStatus, memoryStats, numThreads, setNumThreads } from '../src';
import { random } from './helpers/random';
import { describeCuda, testDevices } from './helpers/devices';

describe('Tensor', () => {
  test.each(testDevices)('round-trips float32 and uint8 data on %s', (device) => {
    const rnd = random();
    const values = rnd.uniform(3 * 5 * 7);
    const t = Tensor.from(values, [3, 5, 7], { device });
    expect(t.shape).toEqual([3, 5, 7]);
    expect(t.dtype).toBe('float32');
    expect(t.device).toBe(device === 'cpu' ? 'cpu' : 'cuda:0');
    expect(t.toArray()).toEqual(values);
    const bytes = Uint8Array.from({ length: 17 }, (_, i) => (i * 37) % 256);
    const u = Tensor.from(bytes, [17], { device });
    expect(u.dtype).toBe('uint8');
    expect(u.toArray()).toEqual(bytes);
    const order = Int32Array.from([5, -3, 2 ** 31 - 1]);
    const i = Tensor.from(order, [3], { device });
    expect(i.dtype).toBe('int32');
    expect(i.toArray()).toEqual(order);
    for (const x of [t, u, i]) x.dispose();
  });

  test('zeros, clone, copyFrom and reshape views', () => {
    const z = Tensor.zeros([2, 3], { device: 'cpu' });
    expect(Array.from(z.toArray())).toEqual([0, 0, 0, 0, 0, 0]);
    const a = Tensor.from([1, 2, 3, 4, 5, 6], [2, 3], { device: 'cpu' });
    const b = a.clone();
    expect(b.native.sharesMemory(a.native)).toBe(false);
    z.copyFrom(a);
    expect(Array.from(z.toArray())).toEqual([1, 2, 3, 4, 5, 6]);
    const v = a.reshape([3, 2]);
    expect(v.shape).toEqual([3, 2]);
    expect(v.native.sharesMemory(a.native)).toBe(true);
    a.dispose();
    expect(Array.from(v.toArray())).toEqual([1, 2, 3, 4, 5, 6]); // a view keeps shared memory alive
    for (const t of [z, b, v]) t.dispose();
  });

  test('rejects bad shapes, data and use after dispose with clear errors', () => {
    expect(() => Tensor.empty([2, -1], { device: 'cpu' })).toThrow(/shape\[1\] must be a non-negative integer, got -1/);
    expect(() => Tensor.empty([2, 1.5], { device: 'cpu' })).toThrow(/shape\[1\]/);
    expect(() => Tensor.empty([2 ** 30, 2 ** 30, 2], { device: 'cpu' })).toThrow(/more than 2\^40 elements/);
    expect(() => Tensor.from([1, 2, 3], [2, 2], { device: 'cpu' })).toThrow(/3 values do not fill shape \[2,2\]/);
    expect(() => Tensor.empty([2], { device: 'tpu' })).toThrow(/bad device 'tpu'/);
    expect(() => Tensor.empty([2], { device: 'cpu', dtype: 'float64' as 'float32' })).toThrow(/dtype must be 'float32', 'uint8' or 'int32'/);
    const t = Tensor.from([1, 2], [2], { device: 'cpu' });
    expect(() => t.write(new Float32Array(3))).toThrow(/array has 3 elements but the tensor of shape \[2\] has 2/);
    expect(() => t.reshape([3])).toThrow(/cannot view \[2\] as \[3\]/);
    t.dispose();
    expect(() => t.toArray()).toThrow(/disposed/);
    expect(() => t.device).toThrow(/disposed/);
    expect(t.toString()).toBe('Tensor(disposed)');
  });

  test('native memory is freed by dispose', () => {
    const before = memoryStats();
    const tensors = Array.from({ length: 10 }, () => Tensor.empty([1000], { device: 'cpu' }));
    expect(memoryStats().cpuAllocations).toBe(before.cpuAllocations + 10);
    expect(memoryStats().cpuBytes).toBe(before.cpuBytes + 10 * 4000);
    tensors.forEach((t) => t.dispose());
    expect(memoryStats()).toEqual(before);
  });
});

describe('devices', () => {
  test('lists the CPU first, and CUDA GPUs only when usable', () => {
    const list = devices();
    expect(list[0]).toMatchObject({ name: 'cpu', kind: 'cpu' });
    expect(list.length - 1).toBe(cudaStatus().deviceCount);
  });

  test('default device follows WSR_DEVICE, else cuda when usable, else cpu', () => {
    const saved = process.env.WSR_DEVICE;
    try {
      delete process.env.WSR_DEVICE;
      expect(defaultDevice()).toBe(cudaStatus().usable ? 'cuda:0' : 'cpu');
      process.env.WSR_DEVICE = 'cpu';
      expect(defaultDevice()).toBe('cpu');
      process.env.WSR_DEVICE = 'gpu';
      expect(() => defaultDevice()).toThrow(/WSR_DEVICE: bad device "gpu"/);
    } finally {
      if (saved === undefined) delete process.env.WSR_DEVICE;
      else process.env.WSR_DEVICE = saved;
    }
  });

  test('CPU thread count is settable and reported', () => {
    const original = numThreads();
    expect(original).toBeGreaterThanOrEqual(1);
    expect(setNumThreads(1)).toBe(1);
    expect(numThreads()).toBe(1);
    expect(() => setNumThreads(0)).toThrow(/threads must be in \[1, 1024\], got 0/);
    expect(() => setNumThreads(NaN)).toThrow(/threads must be an integer, got NaN/);
    setNumThreads(original);
    expect(numThreads()).toBe(original);
  });
});

describeCuda('CUDA tensors', () => {
  test('copy between devices preserves data', () => {
    const values = random().uniform(1000);
    const cpu = Tensor.from(values, [10, 100], { device: 'cpu' });
    const gpu = cpu.to('cuda:0');
    expect(gpu.device).toBe('cuda:0');
    expect(gpu.toArray()).toEqual(values);
    const back = Tensor.zeros([10, 100], { device: 'cpu' }).copyFrom(gpu);
    expect(back.toArray()).toEqual(values);
  });
});
