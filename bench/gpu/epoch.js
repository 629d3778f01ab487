#!/usr/bin/env node
// Times CIFAR-10-sized training epochs of the CNN and the FCN through the real training loop
// (`wsr-native train`), on a synthetic dataset written in the official binary layout (the GPU
// machine has no network and the real data is too large to carry). Runs the paper's two phases
// for one epoch each (CNN, then the continued CNN and the converted FCN), once with the robustness
// evaluations and once without (--no-robustness), and reads each epoch's wall time from the run
// folder's metrics.jsonl. Writes a JSON object to --out; writes {"skipped": why} and exits 75
// when the compiled CLI has no train command yet.
// With --data-dir it trains on the CIFAR-10 found there instead (the official 50,000 training
// images); with --limit N, on N images of the CLI's small built-in synthetic set (a smoke run,
// scaled to 45,000 images).
// Usage: node bench/gpu/epoch.js --out epoch.json [--device cuda] [--validation 5000]
//        [--timeout-s 240] [--data-dir DIR | --limit N] [--threads N]
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const root = path.join(__dirname, '..', '..');
const cli = path.join(root, 'dist', 'cli.js');

function parseArgs(argv) {
  const args = { out: null, device: 'cuda', validation: 5000, timeoutS: 240, dataDir: null, limit: null, threads: null };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    if (flag === '--out') args.out = value;
    else if (flag === '--device') args.device = value;
    else if (flag === '--limit') args.limit = Number(value);
    else if (flag === '--validation') args.validation = Number(value);
    else if (flag === '--timeout-s') args.timeoutS = Number(value);
    else if (flag === '--data-dir') args.dataDir = value;
    else if (flag === '--threads') args.threads = value;
    else throw new Error(`unknown flag ${flag}`);
  }
  if (!args.out) throw new Error('--out is required');
  return args;
}

function write(file, result) {
  fs.writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  process.stderr.write(`epoch: ${JSON.stringify(result)}\n`);
}

function trainCommandMissing() {
  if (!fs.existsSync(cli)) return 'dist/cli.js is missing (compile the TypeScript first)';
  const help = spawnSync(process.execPath, [cli, 'train', '--help'], { encoding: 'utf8' });
  if (help.status !== 0 || !help.stdout.includes('--data-dir')) return 'the compiled CLI has no train command yet';
  return null;
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  const missing = trainCommandMissing();
  if (missing) {
    process.exitCode = 75;
    return write(args.out, { skipped: missing });
  }
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'wsr-epoch-'));
  let data;
  let trainImages = 50000 - args.validation;
  if (args.limit) {
    data = ['--dataset', 'synthetic', '--limit', String(args.limit)];
    trainImages = args.limit;
  } else if (args.dataDir) {
    data = ['--dataset', 'cifar10', '--data-dir', args.dataDir];
  } else {
    // Official-size files (10,000 records each), so the CIFAR-10 reader takes them as the real thing.
    const dataDir = path.join(work, 'data');
    // eslint-disable-next-line global-require
    const { writeSynthetic } = require(path.join(root, 'dist', 'data'));
    writeSynthetic(path.join(dataDir, 'cifar-10-batches-bin'), { trainPerFile: 10000, testCount: 10000 });
    data = ['--dataset', 'cifar10', '--data-dir', dataDir];
  }
  const result = {
    device: args.device,
    data: args.limit ? `synthetic, ${args.limit} images` : args.dataDir ? `CIFAR-10 in ${args.dataDir}` : 'synthetic, 50,000 images',
    train_images: trainImages,
    validation_images: args.validation,
    runs: {},
  };
  const started = Date.now();
  for (const robustness of [true, false]) {
    const name = robustness ? 'with_robustness' : 'without_robustness';
    const out = path.join(work, name);
    const flags = [
      cli, 'train', ...data, '--cnn-epochs', '1', '--fcn-epochs', '1',
      '--validation', String(args.validation), '--device', args.device, '--out', out, '--no-png',
      ...(robustness ? [] : ['--no-robustness']),
      ...(args.threads ? ['--threads', args.threads] : []),
    ];
    const left = args.timeoutS * 1000 - (Date.now() - started);
    if (left < 5000) {
      result.runs[name] = { skipped: 'out of time' };
      continue;
    }
    const run = spawnSync(process.execPath, flags, { stdio: ['ignore', process.stderr, process.stderr], timeout: left });
    const jsonl = path.join(out, 'metrics.jsonl');
    if (run.status !== 0 || !fs.existsSync(jsonl)) {
      result.runs[name] = { failed: `exit ${run.status}${run.signal ? ` (${run.signal})` : ''}` };
      continue;
    }
    const records = fs.readFileSync(jsonl, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    // Trained epochs only (the FCN's conversion record has no training loss); the branch phase's,
    // which follow the CNN phase's first epoch (warm-up) when there are any.
    const seconds = (model) => {
      const trained = records.filter((r) => r.model === model && typeof r.loss === 'number');
      const branch = trained.filter((r) => r.phase === 'branch');
      return (branch.length ? branch : trained).map((r) => r.seconds);
    };
    const scale = 45000 / trainImages;
    const cnn = seconds('cnn');
    const fcn = seconds('fcn');
    result.runs[name] = {
      cnn_seconds: cnn,
      fcn_seconds: fcn,
      // Per 45,000 training images (the real CIFAR-10 epoch), scaled linearly when fewer were used.
      cnn_epoch_s: cnn.length ? Math.min(...cnn) * scale : null,
      fcn_epoch_s: fcn.length ? Math.min(...fcn) * scale : null,
    };
  }
  fs.rmSync(work, { recursive: true, force: true });
  return write(args.out, result);
}

try {
  main();
} catch (error) {
  process.stderr.write(`epoch: ${error.stack || error}\n`);
  process.exitCode = 1;
}
