// 2,000 CPU training steps that create and dispose tensors every step keep native allocations
// constant and resident memory bounded (in a child process, so jest's own heap does not count).
import { execFileSync } from 'child_process';
import path from 'path';

interface Snapshot {
  rss: number;
  native: { cpuAllocations: number; cpuBytes: number; cudaAllocations: number; cudaBytes: number };
}

// Stated bound: after a 200-step warm-up, resident memory may grow by at most 24 MiB over the next
// 1,800 steps (a leak of one batch a step — 27 KiB of pixels alone — would add over 48 MiB), and
// the live native allocations must be exactly what they were.
const RSS_GROWTH_BOUND = 24 * 2 ** 20;

test('2,000 training steps keep RSS and the native allocation count within the bound', () => {
  const script = path.join(__dirname, 'memory', 'train_steps.js');
  const out = execFileSync(process.execPath, ['--expose-gc', script, '2000'], { encoding: 'utf8', timeout: 120_000 });
  const { warmup, end } = JSON.parse(out) as { warmup: Snapshot; end: Snapshot };
  expect(end.native.cpuAllocations).toBe(warmup.native.cpuAllocations);
  expect(end.native.cpuBytes).toBe(warmup.native.cpuBytes);
  expect(end.rss - warmup.rss).toBeLessThan(RSS_GROWTH_BOUND);
}, 150_000);
