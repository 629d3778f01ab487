#!/usr/bin/env node
// The per-epoch cost of the run's figures: writeReport (metrics.csv + every figure as SVG and PNG)
// on a made-up 100-epoch record set (50 CNN-phase epochs, 50 of both branches, three LC layers
// with divergence maps), timed REPS times at the last epoch; then the same rebuild the way a run
// schedules it (FigureUpdates), and how long it keeps the main thread busy: the thread that drives
// the training loop. Runs the TypeScript sources directly.
//   node bench/figure_cost.js [REPS]
const fs = require('fs');
const { execSync } = require('child_process');
const { performance } = require('perf_hooks');
const os = require('os');
const path = require('path');
require('./tsRequire');

const root = path.join(__dirname, '..');
const report = require(path.join(root, 'src/report/index.ts'));
// The report API was synchronous before the figures became Vega-Lite specs; await works on both.
const writeReport = report.writeReport;
const { syntheticRecords } = require(path.join(root, 'test/helpers/records.ts'));

const TICKS_PER_SECOND = Number(execSync('getconf CLK_TCK', { encoding: 'utf8' }));

/** CPU time of this process's main thread alone (Linux: /proc/self/task/<pid>/stat, utime + stime), in ms. */
function mainThreadCpuMs() {
  const fields = fs.readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}

function withMaps(records) {
  for (const r of records) {
    for (const [i, l] of r.layers.entries()) {
      const size = [14, 5, 3][i];
      if (!l.divergenceMap) l.divergenceMap = { height: size, width: size, values: Array.from({ length: size * size }, (_, k) => l.divergence * (1 + k / (size * size))) };
    }
    if (r.layers.length === 2) r.layers.push({ ...r.layers[1], layer: 'lc3', divergenceMap: { height: 3, width: 3, values: Array(9).fill(r.layers[1].divergence) } });
  }
  return records;
}

async function main() {
  const reps = Number(process.argv[2] ?? 5);
  const records = withMaps(syntheticRecords(50, 50));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wsr-figure-cost-'));
  try {
    // A run renders through one FigureRenderer (compiled views kept from epoch to epoch) where there is one.
    const renderer = report.FigureRenderer ? new report.FigureRenderer() : undefined;
    for (const png of [false, true]) {
      const wall = [];
      const cpu = [];
      for (let i = 0; i <= reps; i++) {
        const t0 = process.hrtime.bigint();
        const c0 = process.cpuUsage();
        const written = await writeReport(dir, records, { png, renderer, warn: (m) => console.error(m) });
        const c = process.cpuUsage(c0);
        if (written.figureError) throw written.figureError;
        if (i === 0) continue; // the first call warms up (module loading, font loading)
        wall.push(Number(process.hrtime.bigint() - t0) / 1e6);
        cpu.push((c.user + c.system) / 1000);
      }
      const median = (xs) => xs.sort((a, b) => a - b)[xs.length >> 1].toFixed(0);
      console.log(`${records.length} records (100 epochs), ${png ? 'SVG + PNG' : 'SVG only'}: median wall ${median(wall)} ms, median CPU ${median(cpu)} ms over ${reps} calls`);
    }
    for (const png of [false, true]) {
      const wall = [];
      const busy = [];
      const call = [];
      const updates = new report.FigureUpdates(dir, { png, warn: (m) => console.error(m) });
      for (let i = 0; i <= reps; i++) {
        const t0 = performance.now();
        const c0 = mainThreadCpuMs();
        updates.update(records);
        const t1 = performance.now();
        await updates.idle();
        const c = mainThreadCpuMs() - c0;
        if (i === 0) continue;
        wall.push(performance.now() - t0);
        busy.push(c);
        call.push(t1 - t0);
      }
      const median = (xs) => xs.sort((a, b) => a - b)[xs.length >> 1].toFixed(1);
      // The thread's clock ticks are 10 ms: the mean over every rebuild resolves less than a tick.
      const mean = (busy.reduce((a, b) => a + b, 0) / reps).toFixed(1);
      console.log(`through FigureUpdates, ${png ? 'SVG + PNG' : 'SVG only'}: main-thread CPU ${mean} ms per rebuild (mean; ${median(wall)} ms wall, update() returns after ${median(call)} ms, medians) over ${reps}`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
main().catch((e) => { console.error(e); process.exit(1); });
