#!/usr/bin/env node
// The run browser's screenshots in docs/browser.md: `wsr-native serve` on docs/runs/, opened in
// Debian's chromium through playwright-core with the browser test's launch settings.
//   node bench/browser_screenshots.js [runs] [sweeps]   (both when neither is named)
// writes docs/runs/exp3-short/browser-run.png (the run's page), browser-distances.png (every LC
// layer's distances), docs/runs/exp3-maps/browser-heatmap.png (the divergence maps, slider moved),
// and the pages of two sweeps, their tables and first figure: docs/runs/sweep-partial/browser-sweep.png
// (a sweep stopped halfway) and docs/runs/sweep-grid/browser-sweep.png (a sweep over two keys).
const path = require('path');
require('./tsRequire');

const root = path.join(__dirname, '..');
const { startServer } = require(path.join(root, 'src/serve/index.ts'));
const { CHROMIUM_LAUNCH } = require(path.join(root, 'test/helpers/chromium.ts'));
const { chromium } = require('playwright-core');

async function openRun(page, url, run) {
  await page.goto(`${url}#/run/${run}`);
  await page.waitForSelector(`body[data-ready] [data-run="${run}"] [data-figure="loss"][data-rendered] svg`, { timeout: 120000 });
}

async function openSweep(page, url, sweep) {
  await page.goto(`${url}#/sweep/${sweep}`);
  await page.waitForSelector(`body[data-ready] [data-sweep="${sweep}"] .figure[data-rendered] svg`, { timeout: 120000 });
}

async function main() {
  const runs = path.join(root, 'docs', 'runs');
  const server = await startServer({ root: runs, port: 0 });
  const browser = await chromium.launch(CHROMIUM_LAUNCH);
  const named = process.argv.slice(2);
  const take = (group) => named.length === 0 || named.includes(group);
  try {
    const page = await browser.newPage({ viewport: { width: 1360, height: 1240 }, deviceScaleFactor: 1 });
    if (take('runs')) await runScreenshots(page, server.url, runs);
    if (take('sweeps')) await sweepScreenshots(page, server.url, runs);
  } finally {
    await browser.close();
    await server.close();
  }
}

async function runScreenshots(page, url, runs) {
  await openRun(page, url, 'exp3-short');
  await page.screenshot({ path: path.join(runs, 'exp3-short', 'browser-run.png') });
  await page.locator('[data-figure="distances"]').screenshot({ path: path.join(runs, 'exp3-short', 'browser-distances.png') });

  await openRun(page, url, 'exp3-maps');
  const slider = page.locator('[data-figure="divergence_map"] input[type="range"]');
  const middle = Math.round((Number(await slider.getAttribute('min')) + Number(await slider.getAttribute('max'))) / 2);
  await slider.evaluate((input, value) => {
    input.value = String(value);
    input.dispatchEvent(new Event('input', { bubbles: true }));
  }, middle);
  await page.waitForFunction((e) => [...document.querySelectorAll('[data-figure="divergence_map"] svg text')].some((t) => t.textContent.endsWith(`epoch ${e}`)), middle);
  await page.locator('[data-figure="divergence_map"]').screenshot({ path: path.join(runs, 'exp3-maps', 'browser-heatmap.png') });
  console.log(`run screenshots written (slider at epoch ${middle})`);
}

async function sweepScreenshots(page, url, runs) {
  for (const sweep of ['sweep-partial', 'sweep-grid']) {
    await openSweep(page, url, sweep);
    await page.screenshot({ path: path.join(runs, sweep, 'browser-sweep.png') });
  }
  console.log('sweep screenshots written');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
