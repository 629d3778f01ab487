#!/usr/bin/env node
// The "Against PyTorch on the CPU" section of bench/RESULTS.md, from the rounds bench/cpu_results.sh
// keeps: for each round NAME, NAME.json (the rows of `wsr-native bench --torch --json`) and NAME.log
// (its stderr: the report's header and sgemm ceiling, and the progress).
//   node bench/torch_results.js bench/results/torch_round1 bench/results/torch_round2
// Prints markdown: the first round's report header, one table of every case with ours and torch's
// time and their ratio in each round, and each round's sgemm ceiling.
'use strict';
const fs = require('fs');
const path = require('path');

const rounds = process.argv.slice(2).map((prefix) => ({
  name: path.basename(prefix),
  rows: JSON.parse(fs.readFileSync(`${prefix}.json`, 'utf8')),
  log: fs.existsSync(`${prefix}.log`) ? fs.readFileSync(`${prefix}.log`, 'utf8') : '',
}));
if (rounds.length === 0) {
  console.error('usage: node bench/torch_results.js ROUND_PREFIX...');
  process.exit(2);
}

/** The report's lines in a log: the header (from 'PyTorch contender' to the first blank line) and the sgemm section. */
function sections(log) {
  const lines = log.split('\n');
  const start = lines.findIndex((l) => l.startsWith('PyTorch contender'));
  const end = start < 0 ? -1 : lines.findIndex((l, i) => i > start && l.trim() === '');
  const header = start < 0 ? [] : lines.slice(start, end < 0 ? undefined : end);
  const s = lines.findIndex((l) => l.startsWith('sgemm ceiling'));
  const sgemm = s < 0 ? [] : lines.slice(s, lines.findIndex((l, i) => i > s && (l.trim() === '' || l.startsWith('bench:'))) >>> 0);
  return { header, sgemm };
}

const fmt = (ms) => (ms == null ? '–' : ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2));
const key = (r) => `${r.op}|${r.shape}|${r.batch}|${r.threads}`;

const first = rounds[0];
const out = [];
const { header } = sections(first.log);
if (header.length > 0) out.push(`The report's header (${first.name}):`, '', '```', ...header, '```', '');

const head = ['op', 'shape', 'batch', 'thr'];
for (const r of rounds) head.push(`ours ms (${r.name})`, `torch ms (${r.name})`, `torch / ours (${r.name})`);
head.push('what ran in torch');
out.push(`| ${head.join(' | ')} |`, `|${head.map(() => ' --- |').join('')}`);
const index = rounds.map((r) => new Map(r.rows.map((x) => [`${x.impl}|${key(x)}`, x])));
for (const ours of first.rows.filter((x) => x.impl === 'wsr-native')) {
  const cells = [ours.op, ours.shape, ours.batch ?? '–', ours.threads ?? '–'];
  let note = '';
  rounds.forEach((_, i) => {
    const o = index[i].get(`wsr-native|${key(ours)}`);
    const t = index[i].get(`torch|${key(ours)}`);
    const ratio = o?.ms && t?.ms ? `${(t.ms / o.ms).toFixed(2)}×` : '–';
    cells.push(fmt(o?.ms), fmt(t?.ms), ratio);
    note ||= t?.note ?? '';
  });
  cells.push(note);
  out.push(`| ${cells.join(' | ')} |`);
}
out.push('', 'torch / ours above 1: ours is faster.', '');
for (const r of rounds) {
  const { sgemm } = sections(r.log);
  if (sgemm.length > 0) out.push(`sgemm ceiling (${r.name}):`, '', '```', ...sgemm, '```', '');
}
process.stdout.write(`${out.join('\n').trimEnd()}\n`);
