// Device selection for tests: the CPU always; CUDA only where a GPU is usable.
import { cudaStatus, numThreads, setNumThreads } from '../../src/device';

const status = cudaStatus();

/** Test devices: ['cpu'] plus 'cuda:0' when a GPU is usable. */
export const testDevices: string[] = status.usable ? ['cpu', 'cuda:0'] : ['cpu'];

/**
 * A describe block that runs only with a usable GPU; otherwise it is reported as skipped with the
 * reason in its title (jest has no other place for a skip reason).
 */
export function describeCuda(name: string, body: () => void): void {
  if (status.usable) {
    describe(name, body);
  } else {
    const reason = status.compiled ? `no usable CUDA device: ${status.reason}` : 'built without CUDA';
    describe.skip(`${name} [skipped: ${reason}]`, body);
  }
}

/** run() at each CPU thread count in turn, the process's own count restored afterwards. */
export function atThreadCounts<T>(counts: number[], run: () => T): T[] {
  const original = numThreads();
  return counts.map((threads) => {
    setNumThreads(threads);
    try {
      return run();
    } finally {
      setNumThreads(original);
    }
  });
}
