// Without the TensorFlow.js packages (a plain `npm install wsr-native` has no devDependencies)
// the bench says in one line that the baselines are skipped and how to get them, and still times ours.
jest.mock('../src/bench/tfjs/load', () => {
  const actual = jest.requireActual('../src/bench/tfjs/load');
  return { ...actual, loadTfjs: async () => new Error("Cannot find module '@tensorflow/tfjs-core'\nRequire stack: ...") };
});

import { benchMain } from '../src/bench/main';
import { captureOutput } from './helpers/capture';

test('missing tfjs: one line on stderr, our rows still printed', async () => {
  const { code, out, err } = await captureOutput(() =>
    benchMain(['--op', 'sgd_update', '--shape', 'mnist.cnn', '--repeats', '1', '--warmup', '0', '--json']),
  );
  expect(code).toBe(0);
  const notice = err.split('\n').filter((l) => l.includes('baselines skipped'));
  expect(notice).toHaveLength(1);
  expect(notice[0]).toContain("Cannot find module '@tensorflow/tfjs-core'");
  expect(notice[0]).toContain('npm install --no-save @tensorflow/tfjs-core@4.22');
  const rows = JSON.parse(out) as { impl: string; ms: number }[];
  expect(rows.map((r) => r.impl)).toEqual(['wsr-native']);
  expect(rows[0].ms).toBeGreaterThan(0);
});
