// Degrees of weight sharing as settings: --free, --tie-every, --tie-strength, --tie-penalty and
// --vcp are read by train's flags and checked by the settings table (a bad value or a combination
// that cannot run names the flag), and the FCN's network frees only the layers named, numbered as
// the convolutions they came from, with an input mask before each when VCP is on.
import { cli } from './helpers/cli';
import { CIFAR10_CNN, toLocalSpec } from '../src/nn/spec';
import { planNetwork } from '../src/nn/plan';
import { settingsFromFlags } from '../src/train/flags';
import { checkSettings, describeSettings, resolveSettings, savedSettings } from '../src/train/settings';
import { fcnOptions, freeLayersKind } from '../src/train/sharing';

const settings = (given: Parameters<typeof resolveSettings>[0]) => resolveSettings({ device: 'cpu', ...given });

describe('the sharing settings', () => {
  test('--free reads all or convolution numbers, kept sorted and each once', () => {
    expect(freeLayersKind.parse('all')).toBe('all');
    expect(freeLayersKind.parse('3, 2,3')).toBe('2,3');
    expect(() => freeLayersKind.parse('0')).toThrow(/expected all, or convolution numbers/);
    expect(() => freeLayersKind.parse('2-3')).toThrow(/expected all, or convolution numbers/);
    expect(freeLayersKind.problem('3,2')).toMatch(/increasing order/);
  });

  test('defaults are the plain experiment; a config.json from before them implies it', () => {
    const s = settings({});
    expect(s).toMatchObject({ free: 'all', tieEvery: 0, tieStrength: 1, tiePenalty: 0, vcp: 0 });
    const { free: _f, tieEvery: _e, tieStrength: _s, tiePenalty: _p, vcp: _v, ...old } = s;
    expect(savedSettings(old)).toEqual(s);
    expect(describeSettings(s)).not.toMatch(/tied|VCP|frees/);
    expect(describeSettings(settings({ free: '2,3', tieEvery: 10, tieStrength: 0.5, tiePenalty: 0.01, vcp: 0.25 }))).toMatch(
      /FCN frees conv 2,3 only, re-tied every 10 steps \(strength 0\.5\), tie penalty λ 0\.01, VCP masks p 0\.25/,
    );
  });

  test('combinations that cannot run are errors naming the flag', () => {
    expect(() => checkSettings(settings({ free: '4' }))).toThrow('--free 4: the network has convolutions 1 to 3, not 4');
    expect(() => checkSettings(settings({ fcnEpochs: 0, tieEvery: 5 }))).toThrow('--tie-every 5 sets the FCN branch, but there is none (--fcn-epochs 0)');
    expect(() => checkSettings(settings({ fcnEpochs: 0, vcp: 0.1 }))).toThrow(/--vcp 0\.1 sets the FCN branch/);
    expect(() => checkSettings(settings({ tieStrength: 0.5 }))).toThrow('--tie-strength 0.5 does nothing without --tie-every N');
    expect(() => checkSettings(settings({ tiePenalty: -1 }))).toThrow(/tiePenalty must be a finite number >= 0, got -1/);
    expect(() => checkSettings(settings({ vcp: 1 }))).toThrow(/vcp must be a finite number in \[0, 1\), got 1/);
    expect(() => checkSettings(settings({ free: '2', tieEvery: 3, tieStrength: 0.5, tiePenalty: 0.1, vcp: 0.5 }))).not.toThrow();
  });

  test('bad values on the command line name the flag before anything runs', async () => {
    const cases: [string[], RegExp][] = [
      [['--tie-strength', '1.5'], /option '--tie-strength <alpha>' argument '1\.5' is invalid\. must be in \[0, 1\]/],
      [['--tie-penalty', '-0.1'], /option '--tie-penalty <lambda>' argument '-0\.1' is invalid\. must be >= 0/],
      [['--vcp', '1'], /option '--vcp <p>' argument '1' is invalid\. must be in \[0, 1\)/],
      [['--tie-every', '2.5'], /option '--tie-every <steps>' argument '2\.5' is invalid/],
      [['--free', 'first'], /option '--free <layers>' argument 'first' is invalid\. expected all, or convolution numbers/],
      [['--free', '5', '--dataset', 'synthetic'], /--free 5: the network has convolutions 1 to 3, not 5/],
    ];
    for (const [args, message] of cases) {
      const r = await cli('train', '--device', 'cpu', '--out', '/nonexistent/never-made', ...args);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(message);
    }
  });

  test('a sweep point reads them like the command line', () => {
    const s = settingsFromFlags({ device: 'cpu', free: '2,3', tieEvery: 4, tieStrength: 0.5, tiePenalty: 0.01, vcp: 0.2 }, null, null);
    expect(s).toMatchObject({ free: '2,3', tieEvery: 4, tieStrength: 0.5, tiePenalty: 0.01, vcp: 0.2 });
  });
});

describe('the FCN network of these settings', () => {
  test('frees only the named convolutions, which keep their numbers', () => {
    const fcn = toLocalSpec(CIFAR10_CNN, fcnOptions(settings({ free: '2,3' }), CIFAR10_CNN));
    expect(planNetwork(fcn).filter((p) => p.kind === 'conv' || p.kind === 'local').map((p) => p.name)).toEqual(['conv1', 'lc2', 'lc3']);
    expect(planNetwork(toLocalSpec(CIFAR10_CNN)).filter((p) => p.kind === 'local').map((p) => p.name)).toEqual(['lc1', 'lc2', 'lc3']);
    expect(() => toLocalSpec(CIFAR10_CNN, { layers: [4] })).toThrow(/has no convolution numbered 4 \(its window layers are 1 to 3\)/);
  });

  test('with VCP, a mask of each freed layer\'s input shape before it, seeded per layer', () => {
    const fcn = toLocalSpec(CIFAR10_CNN, fcnOptions(settings({ free: '1,3', vcp: 0.3, seed: 7 }), CIFAR10_CNN));
    const plans = planNetwork(fcn);
    const masks = plans.filter((p) => p.kind === 'mask');
    expect(masks.map((m) => m.inputShape)).toEqual([[3, 32, 32], [128, 5, 5]]);
    expect(plans[plans.indexOf(masks[0]) + 1].name).toBe('lc1');
    expect(plans[plans.indexOf(masks[1]) + 1].name).toBe('lc3');
    const seeds = masks.map((m) => (m.kind === 'mask' ? m.seed : -1));
    expect(new Set(seeds).size).toBe(2);
    expect(toLocalSpec(CIFAR10_CNN, fcnOptions(settings({ free: '1,3', vcp: 0.3, seed: 7 }), CIFAR10_CNN))).toEqual(fcn);
  });
});
