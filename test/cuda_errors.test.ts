// CUDA failures reach JavaScript as exceptions that carry the CUDA runtime's own error name and
// description, and leave the process usable: without a usable GPU, the runtime's reason for it; on a
// GPU, an allocation larger than the device.
import { Tensor, cudaStatus, memoryStats, resolveDevice, sum } from '../src';
import { describeCuda } from './helpers/devices';

const status = cudaStatus();

const describeNoGpu = status.usable ? describe.skip : describe;

describeNoGpu(`without a usable GPU${status.usable ? ' [skipped: a GPU is usable here]' : ''}`, () => {
  test('asking for CUDA is an error naming the device and the reason', () => {
    expect(status.reason).not.toBe('');
    expect(() => resolveDevice('cuda')).toThrow(/^device 'cuda' is not usable: /);
    expect(() => resolveDevice('cuda')).toThrow(status.reason); // a string: the message must contain it
    expect(() => Tensor.empty([1], { device: 'cuda:0' })).toThrow(/device 'cuda:0' is not usable: /);
    // The process carries on: the CPU still computes.
    const t = Tensor.from([1, 2, 3], [3], { device: 'cpu' });
    expect(sum(t)).toBe(6);
    t.dispose();
  });

  test('the reason is the CUDA runtime error when CUDA is compiled in, else the build', () => {
    if (status.compiled) {
      // e.g. "cudaErrorNoDevice: no CUDA-capable device is detected", or the driver's absence.
      expect(status.reason).toMatch(/^cudaError\w+: \S/);
    } else {
      expect(status.reason).toBe('wsr-native was built without CUDA');
    }
  });
});

describeCuda('CUDA errors on a GPU', () => {
  test('an allocation larger than the device is an error carrying cudaErrorMemoryAllocation', () => {
    const before = memoryStats();
    const bytes = 2 ** 40 * 4; // 4 TiB of float32: more than any device holds
    expect(() => Tensor.empty([2 ** 20, 2 ** 20], { device: 'cuda:0' })).toThrow(
      new RegExp(`out of memory on cuda:0 allocating ${bytes} bytes \\(cudaErrorMemoryAllocation: out of memory\\)`),
    );
    expect(memoryStats()).toEqual(before); // nothing half-allocated is left behind
    // The device still works after the failure.
    const t = Tensor.from([1, 2, 3], [3], { device: 'cuda:0' });
    expect(sum(t)).toBe(6);
    t.dispose();
  });
});
