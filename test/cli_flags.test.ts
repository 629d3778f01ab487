// The command line rejects bad input before any work: each bad flag, unknown flag and unknown
// command exits non-zero with a message naming the flag and the bad value. Run in-process through
// main(argv), and once as a child process for the real exit code.
import { spawnSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { CHILD_BOOT, cli } from './helpers/cli';
import { cudaStatus } from '../src/device';

const root = path.join(__dirname, '..');

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wsr-cli-flags-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('bad flags', () => {
  const cases: [string[], RegExp][] = [
    [['--noise', '-1'], /option '--noise <sigma>' argument '-1' is invalid\. must be >= 0/],
    [['--noise', 'lots'], /option '--noise <sigma>' argument 'lots' is invalid\. expected a number/],
    [['--cnn-epochs', 'abc'], /option '--cnn-epochs <n>' argument 'abc' is invalid\. expected a whole number/],
    [['--cnn-epochs', '0'], /option '--cnn-epochs <n>' argument '0' is invalid\. must be >= 1/],
    [['--fcn-epochs', '2.5'], /option '--fcn-epochs <n>' argument '2\.5' is invalid/],
    [['--batch-size', '0'], /option '--batch-size <n>' argument '0' is invalid\. must be >= 1/],
    [['--device', 'tpu'], /option '--device <name>' argument 'tpu' is invalid\. expected cpu, cuda or cuda:N/],
    [['--optimizer', 'rmsprop'], /option '--optimizer <name>' argument 'rmsprop' is invalid\. expected one of adam, sgd/],
    [['--lr', '0'], /option '--lr <rate>' argument '0' is invalid\. must be > 0/],
    [['--momentum', '1'], /option '--momentum <m>' argument '1' is invalid\. must be in \[0, 1\)/],
    [['--seed', '-3'], /option '--seed <n>' argument '-3' is invalid/],
    [['--seed', '4294967296'], /option '--seed <n>' argument '4294967296' is invalid\. must be between 0 and 4294967295/],
    [['--patience', '0'], /option '--patience <n>' argument '0' is invalid/],
    [['--threads', 'many'], /option '--threads <n>' argument 'many' is invalid/],
    [['--dataset', 'imagenet'], /option '--dataset <name>' argument 'imagenet' is invalid\. expected one of cifar10, cifar100, mnist, fashion-mnist, synthetic/],
    [['--labels', 'medium'], /option '--labels <which>' argument 'medium' is invalid\. expected one of fine, coarse/],
    [['--split', 'random'], /option '--split <mode>' argument 'random' is invalid\. expected one of standard, paper/],
    [['--limit', '-5'], /option '--limit <n>' argument '-5' is invalid/],
    [['--validation', 'x'], /option '--validation <n>' argument 'x' is invalid/],
    [['--frobnicate'], /unknown option '--frobnicate'/],
    [['--noise'], /option '--noise <sigma>' argument missing/],
  ];
  test.each(cases)('train %j exits non-zero and says why', async (args, message) => {
    const r = await cli('train', ...args);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });

  test('experiment ids, unknown commands and missing arguments', async () => {
    let r = await cli('experiment', '7');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/argument 'id' .*'7' is invalid|command-argument value '7' is invalid for argument 'id'/);
    r = await cli('trian');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/unknown command 'trian'/);
    expect(r.stderr).toMatch(/train/);
    r = await cli('report');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/missing required argument 'run'/);
    r = await cli('experiment', '2', '--batch-size', '-1');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/--batch-size <n>' argument '-1' is invalid/);
  });

  test('settings that clash, a missing run folder, an unusable device, missing data', async () => {
    let r = await cli('train', '--split', 'paper', '--validation', '100', '--device', 'cpu', '--out', path.join(tmp, 'a'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/validation sets the held-out count of the standard split/);

    r = await cli('train', '--resume', path.join(tmp, 'nothing-here'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/nothing-here: no config\.json/);

    if (!cudaStatus().usable) {
      r = await cli('train', '--device', 'cuda', '--out', path.join(tmp, 'b'));
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/device 'cuda' is not usable/);
    }

    const empty = path.join(tmp, 'no-data');
    fs.mkdirSync(empty);
    const out = path.join(tmp, 'c');
    r = await cli('train', '--device', 'cpu', '--data-dir', empty, '--out', out);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/CIFAR-10 not found in .*no-data/);
    expect(r.stderr).toMatch(/npx wsr-native download --data-dir/);
    expect(fs.existsSync(out)).toBe(false); // no empty run folder left behind
  });

  test('--version and --help exit 0 on stdout', async () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
    let r = await cli('--version');
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
    r = await cli('train', '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--cnn-continue-epochs <n>/);
    expect(r.stdout).not.toMatch(/--stop-after-epochs/);
    r = await cli('--help');
    expect(r.stdout).toMatch(/train[\s\S]*experiment[\s\S]*download[\s\S]*report[\s\S]*devices/);
    r = await cli('devices');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^cpu /);
  });
});

describe('as a child process', () => {
  test('a bad flag exits 1 with the message on stderr; --version exits 0', () => {
    const bad = spawnSync(process.execPath, ['-e', CHILD_BOOT, '--', 'train', '--batch-size', '0'], { cwd: root, encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/option '--batch-size <n>' argument '0' is invalid/);
    expect(bad.stdout).toBe('');
    const version = spawnSync(process.execPath, ['-e', CHILD_BOOT, '--', '--version'], { cwd: root, encoding: 'utf8' });
    expect(version.status).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});
