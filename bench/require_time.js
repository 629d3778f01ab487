#!/usr/bin/env node
// Cold `require` time of the package's entry points: the core (`wsr-native`, dist/index.js) and
// each subpath of package.json `exports` (dist/<name>/index.js). Each sample is a fresh
// `node -e` process that times the require with process.hrtime inside it and counts the files it
// loaded; the parent also times the whole process (start to exit). Rounds alternate the entries
// (one process each per round) after one untimed round, so a drift in the machine's load spreads
// over all of them. Also timed: an empty `node -e ''` (the process alone) and the core followed by
// `devices()`, the first call that loads the native addon (the core's require does not).
// Runs against the built dist/ (`npm run build:ts` first). `--also LABEL=FILE` times another
// file in the same rounds (say, the main entry of an older build).
//   node bench/require_time.js [ROUNDS] [--also LABEL=FILE]...        (ROUNDS default 15)
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { performance } = require('perf_hooks');

const root = path.join(__dirname, '..');
const USAGE = 'usage: node bench/require_time.js [ROUNDS] [--also LABEL=FILE]...';
const args = process.argv.slice(2);
const also = [];
let rounds = 15;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--also' && /^[^=]+=.+/.test(args[i + 1] ?? '')) {
    const [label, ...file] = args[++i].split('=');
    also.push({ label, file: path.resolve(file.join('=')) });
  } else if (/^\d+$/.test(args[i]) && Number(args[i]) >= 1) {
    rounds = Number(args[i]);
  } else {
    console.error(USAGE);
    process.exit(2);
  }
}

const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const entries = Object.keys(manifest.exports ?? { '.': null }).filter((e) => e !== './package.json');

const CHILD = `
const t0 = process.hrtime.bigint();
const m = require(process.argv[1]);
const t1 = process.hrtime.bigint();
if (process.argv[2] === 'devices') m.devices();
const t2 = process.hrtime.bigint();
process.stdout.write(JSON.stringify({ requireMs: Number(t1 - t0) / 1e6, totalMs: Number(t2 - t0) / 1e6, files: Object.keys(require.cache).length }));
`;

/** The cases: a label, the node arguments, and whether the child reports an in-process time. */
const cases = [{ label: "node -e '' (no require)", args: ['-e', ''], timed: false }];
for (const entry of entries) {
  const file = path.join(root, 'dist', entry === '.' ? '' : entry.slice(2), 'index.js');
  if (!fs.existsSync(file)) {
    console.error(`${path.relative(root, file)} is missing: run \`npm run build:ts\` first`);
    process.exit(1);
  }
  const label = entry === '.' ? 'wsr-native (core)' : `wsr-native/${entry.slice(2)}`;
  cases.push({ label, args: ['-e', CHILD, file], timed: true });
  if (entry === '.') cases.push({ label: 'wsr-native, then devices()', args: ['-e', CHILD, file, 'devices'], timed: true });
}
for (const { label, file } of also) cases.push({ label, args: ['-e', CHILD, file], timed: true });

function sample(c) {
  const start = performance.now();
  const result = spawnSync(process.execPath, c.args, { cwd: root, encoding: 'utf8', env: { ...process.env, WSR_DEVICE: 'cpu' } });
  const wallMs = performance.now() - start;
  if (result.status !== 0) throw new Error(`${c.label}: exit ${result.status}\n${result.stderr}`);
  const inside = c.timed ? JSON.parse(result.stdout) : { totalMs: NaN, files: 0 };
  return { wallMs, ms: inside.totalMs, files: inside.files };
}

const samples = new Map(cases.map((c) => [c.label, []]));
for (const c of cases) sample(c); // untimed round: the files in the page cache
for (let r = 0; r < rounds; r++) for (const c of cases) samples.get(c.label).push(sample(c));

function stats(values) {
  const v = [...values].sort((a, b) => a - b);
  const mid = v.length >> 1;
  return { median: v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2, min: v[0], max: v[v.length - 1] };
}
const fmt = (x) => (Number.isNaN(x) ? '–' : x.toFixed(1));

console.log(`Cold require of each entry point: ${rounds} fresh processes each, alternating; milliseconds.`);
console.log(`Node ${process.version}, ${os.cpus()[0].model.trim()} × ${os.cpus().length}, load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log('');
console.log('| entry | require median | min | max | process wall median | min | max | files loaded |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
for (const c of cases) {
  const s = samples.get(c.label);
  const inside = stats(s.map((x) => x.ms));
  const wall = stats(s.map((x) => x.wallMs));
  const files = c.timed ? String(s[0].files) : '–';
  console.log(`| ${c.label} | ${fmt(inside.median)} | ${fmt(inside.min)} | ${fmt(inside.max)} | ${fmt(wall.median)} | ${fmt(wall.min)} | ${fmt(wall.max)} | ${files} |`);
}
