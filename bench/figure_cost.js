#!/usr/bin/env node
// The per-epoch cost of the run's figures: writeReport (metrics.csv + every figure as SVG and PNG)
// on a made-up 100-epoch record set (50 CNN-phase epochs, 50 of both branches, three LC layers
// with divergence maps), timed REPS times at the last epoch. Runs the TypeScript sources directly.
//   node bench/figure_cost.js [REPS]
const fs = require('fs');
const os = require('os');
const path = require('path');
require('./tsRequire');

const root = path.join(__dirname, '..');
const report = require(path.join(root, 'src/report/index.ts'));
// The report API was synchronous before the figures became Vega-Lite specs; await works on both.
const writeReport = report.writeReport;
const { syntheticRecords } = require(path.join(root, 'test/helpers/records.ts'));

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
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
main().catch((e) => { console.error(e); process.exit(1); });
