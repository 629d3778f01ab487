// The run browser in a real browser: Debian's chromium, driven headless by playwright-core, against
// `wsr-native serve` on 127.0.0.1. A real (tiny, synthetic-data) training run stops after epoch 3;
// the page opens on it, the run is resumed, and the page gains the next epoch without a reload; on
// the finished run the charts have a point per epoch and the heat-map slider redraws the maps.
// Then a sweep's page, and the `report --html` file opened from disk with no server.
//
// Skipped, with the reason, where /usr/bin/chromium is absent, except under CI=true (.ci/run
// installs it), where its absence fails the test.
import { spawn } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import type { Browser, Page } from 'playwright-core';
import { EpochRecord, MAP_EPOCH_PARAM, readMetricsJsonl } from '../src/report';
import { RunBrowserServer, startServer } from '../src/serve';
import { CHROMIUM, CHROMIUM_LAUNCH } from './helpers/chromium';
import { CHILD_BOOT, cli } from './helpers/cli';
import { writeFixtureSweep, writePartialSweep } from './helpers/runFolders';

const haveChromium = fs.existsSync(CHROMIUM);
const inCi = process.env.CI === 'true';
if (!haveChromium && !inCi) console.log(`browser tests skipped: ${CHROMIUM} is absent (apt-get install chromium; under CI=true this fails instead)`);
const describeBrowser = haveChromium || inCi ? describe : describe.skip;

const root = path.join(__dirname, '..');
// 512 training and 256 validation images, 2 CNN epochs then 2 of each branch.
const TINY = [
  '--dataset', 'synthetic', '--limit', '512', '--validation', '256', '--cnn-epochs', '2', '--fcn-epochs', '2',
  '--batch-size', '64', '--lr', '1e-3', '--threads', '2', '--device', 'cpu', '--no-png',
];

function train(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const proc = spawn(process.execPath, ['-e', CHILD_BOOT, '--', 'train', ...args], { cwd: root });
  let stderr = '';
  proc.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => proc.on('close', (code) => resolve({ code, stderr })));
}

/** The epochs at which a record of `model` has a finite `value`. */
function epochsWith(records: readonly EpochRecord[], model: 'cnn' | 'fcn', value: (r: EpochRecord) => number): number[] {
  return records.filter((r) => r.model === model && Number.isFinite(value(r))).map((r) => r.epoch);
}

/** The epochs of the points drawn for `series` in figure `figure` (Vega labels each point). */
function pointEpochs(page: Page, figure: string, series: string): Promise<number[]> {
  return page.$$eval(`[data-figure="${figure}"] path[aria-roledescription="point"]`, (nodes, s) =>
    nodes.map((n) => n.getAttribute('aria-label') ?? '').filter((l) => l.endsWith(`: ${s}`)).map((l) => Number(/^epoch: (\d+);/.exec(l)![1])), series);
}

/** Moves the heat-map slider: a range input cannot be typed into, so set it and fire the event Vega's binding listens to. */
async function moveSlider(page: Page, epoch: number): Promise<void> {
  await page.locator('[data-figure="divergence_map"] input[type="range"]').evaluate((input: { value: string; dispatchEvent(event: Event): boolean }, value: number) => {
    input.value = String(value);
    input.dispatchEvent(new Event('input', { bubbles: true }));
  }, epoch);
  await page.waitForFunction(`[...document.querySelectorAll('[data-figure="divergence_map"] svg text')].some((t) => t.textContent.endsWith('epoch ${epoch}'))`);
}

function cellFills(page: Page): Promise<string[]> {
  return page.$$eval('[data-figure="divergence_map"] path[aria-roledescription="rect mark"]', (nodes) => nodes.map((n) => n.getAttribute('fill') ?? ''));
}

async function mapTitle(page: Page): Promise<string> {
  return page.$eval('[data-figure="divergence_map"] svg', (svg) => [...svg.querySelectorAll('text')].map((t) => t.textContent).join(' | '));
}

describeBrowser('the run browser in chromium', () => {
  let tmp: string;
  let runs: string;
  let run: string;
  let server: RunBrowserServer;
  let browser: Browser;
  let page: Page;
  const requests: string[] = [];

  beforeAll(async () => {
    if (!haveChromium) throw new Error(`CI=true but ${CHROMIUM} is absent: .ci/run installs Debian's chromium for this test`);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wsr-browser-'));
    runs = path.join(tmp, 'runs');
    run = path.join(runs, 'tiny');
    const first = await train([...TINY, '--stop-after-epochs', '3', '--out', run]);
    if (first.code !== 0) throw new Error(`the training run failed:\n${first.stderr}`);
    writeFixtureSweep(path.join(runs, 'sweep'));
    await writePartialSweep(path.join(runs, 'partial'));
    server = await startServer({ root: runs, port: 0, pollMs: 250 });
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch(CHROMIUM_LAUNCH);
    page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
    page.on('request', (r) => requests.push(r.url()));
    page.on('pageerror', (e) => console.log(`page error: ${e.message}`));
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('a run stopped after epoch 3 shows its charts; resumed, the open page gains epochs without a reload', async () => {
    await page.goto(`${server.url}#/run/tiny`);
    await page.waitForSelector('body[data-ready] [data-run="tiny"][data-epochs="3"]', { timeout: 60_000 });
    for (const name of ['loss', 'accuracy', 'distances', 'robustness', 'divergence_map']) {
      await page.waitForSelector(`[data-figure="${name}"][data-rendered] svg`);
    }
    expect(await pointEpochs(page, 'loss', 'CNN train')).toEqual([1, 2, 3]);
    expect(await pointEpochs(page, 'loss', 'FCN train')).toEqual([3]);
    await page.evaluate('window.reloadMarker = 42');
    // The reader looks back at the conversion (epoch 2 of the maps of epochs 2 and 3).
    const slider = page.locator('[data-figure="divergence_map"] input[type="range"]');
    expect(await slider.getAttribute('max')).toBe('3');
    await moveSlider(page, 2);

    const resumed = train(['--resume', run]);
    // The next epoch appears on the same page (no reload: the marker survives), then the run finishes.
    await page.waitForSelector('[data-run="tiny"][data-epochs="4"]', { timeout: 240_000 });
    expect(await page.evaluate('window.reloadMarker')).toBe(42);
    // The slider now reaches epoch 4 and stays where the reader left it.
    await page.waitForFunction(`document.querySelector('[data-figure="divergence_map"] input[type="range"]').max === '4'`);
    expect(await slider.inputValue()).toBe('2');
    await moveSlider(page, 4);
    const r = await resumed;
    expect(r.code).toBe(0);
    await page.waitForSelector('[data-run="tiny"][data-status="finished"]', { timeout: 30_000 });
    await page.waitForFunction(`document.querySelectorAll('[data-figure="loss"] path[aria-roledescription="point"]').length >= ${4 + 4 + 2 + 3}`);
  }, 300_000);

  test('the finished run: a point per epoch in every curve, every LC layer charted, one heat map per layer', async () => {
    const records = readMetricsJsonl(path.join(run, 'metrics.jsonl')).records;
    expect(await pointEpochs(page, 'loss', 'CNN train')).toEqual(epochsWith(records, 'cnn', (r) => r.loss));
    expect(await pointEpochs(page, 'loss', 'CNN validation')).toEqual(epochsWith(records, 'cnn', (r) => r.val_loss));
    expect(await pointEpochs(page, 'loss', 'FCN train')).toEqual([3, 4]);
    expect(await pointEpochs(page, 'loss', 'FCN validation')).toEqual([2, 3, 4]);
    expect(await pointEpochs(page, 'accuracy', 'FCN validation')).toEqual([2, 3, 4]);
    expect(await pointEpochs(page, 'robustness', 'CNN')).toHaveLength(6 * 4);
    expect(await pointEpochs(page, 'robustness', 'FCN')).toHaveLength(6 * 3);
    const panels = await page.$$eval('[data-figure="distances"] text', (t) => t.map((x) => x.textContent));
    for (const layer of ['lc1', 'lc2', 'lc3']) expect(panels).toEqual(expect.arrayContaining([`${layer}: Euclidean distance`, `${layer}: Cosine distance`]));
    expect(await pointEpochs(page, 'distances', 'r = 1')).toHaveLength(3 * 2 * 3);
    expect(await cellFills(page)).toHaveLength(14 * 14 + 5 * 5 + 3 * 3);
    // The conversion is marked in the curves.
    expect(await page.$$eval('[data-figure="loss"] text', (t) => t.map((x) => x.textContent))).toContain('conversion (epoch 2)');
  });

  test('moving the heat-map slider redraws the maps of that epoch', async () => {
    const slider = page.locator(`[data-figure="divergence_map"] input[type="range"][name="${MAP_EPOCH_PARAM}"]`);
    expect(await slider.getAttribute('min')).toBe('2');
    expect(await slider.getAttribute('max')).toBe('4');
    expect(await slider.inputValue()).toBe('4');
    expect(await mapTitle(page)).toContain('epoch 4');
    const atFour = await cellFills(page);
    await moveSlider(page, 2);
    const atConversion = await cellFills(page);
    expect(atConversion).toHaveLength(atFour.length);
    expect(atConversion).not.toEqual(atFour);
    // At the conversion every filter is still the tied one: every cell has the same colour.
    expect(new Set(atConversion).size).toBeLessThanOrEqual(3);
    expect(new Set(atFour).size).toBeGreaterThan(3);
  });

  test("a sweep's aggregate tables print what aggregate.md prints: percent for accuracies, a few digits for distances, mean ± interval in one cell", async () => {
    await page.goto(`${server.url}#/sweep/partial`);
    await page.waitForSelector('body[data-ready] [data-sweep="partial"] [data-figure="distances"][data-rendered] svg');
    const table = (name: string) => page.$$eval(`table[data-table="${name}"] tbody tr`, (rows) => rows.map((r) => [...r.children].map((c) => c.textContent)));
    // Only noise=0.3 finished (both seeds); noise=0 has one point stopped in its branch and one never started.
    expect(await table('test_accuracy')).toEqual([
      ['noise=0', '0/2 (1 unfinished, 1 not started)', '–', '–', '–'],
      ['noise=0.3', '2/2', '51.00 ± 12.71%', '53.00 ± 25.41%', '+2.00 ± 12.71 pp'],
    ]);
    expect(await table('robustness')).toEqual([
      ['noise=0', 'no finished point', '–', '–', '–', '–', '–'],
      ['noise=0.3', 'CNN', '31.00 ± 12.71%', '90.00 ± 0.00%', '90.00 ± 0.00%', '90.00 ± 0.00%', '90.00 ± 0.00%'],
      ['noise=0.3', 'FCN', '33.00 ± 25.41%', '90.00 ± 0.00%', '90.00 ± 0.00%', '90.00 ± 0.00%', '90.00 ± 0.00%'],
      ['noise=0.3', 'FCN − CNN', '+2.00 ± 12.71 pp', '0.00 ± 0.00 pp', '0.00 ± 0.00 pp', '0.00 ± 0.00 pp', '0.00 ± 0.00 pp'],
    ]);
    const distances = await table('distances');
    expect(distances[0]).toEqual(['noise=0', 'no finished point', '–', '–', '–', '–']);
    expect(distances.slice(1).map((r) => r.slice(0, 3))).toEqual([['noise=0.3', 'lc1', '0.011 ± 0.01271'], ['noise=0.3', 'lc2', '0.022 ± 0.02541']]);
    // No raw fractions anywhere (they had 15 or more digits): four significant digits, or percent to two decimals.
    const cells = await page.$$eval('table.aggregate td', (tds) => tds.map((td) => td.textContent ?? ''));
    const digits = (n: string): number => n.replace('.', '').replace(/^0+/, '').length;
    expect(cells.filter((c) => (c.match(/\d+(\.\d+)?/g) ?? []).some((n: string) => digits(n) > 4 && !/^\d+\.\d\d$/.test(n)))).toEqual([]);
    // Each row is the row of aggregate.md.
    const md = fs.readFileSync(path.join(runs, 'partial', 'aggregate', 'aggregate.md'), 'utf8');
    for (const row of [...(await table('test_accuracy')), ...(await table('robustness')), ...distances]) expect(md).toContain(`| \`${row[0]}\` | ${row.slice(1).join(' | ')} |`);
    // Numbers right-aligned; the setting without a finished point greyed.
    const style = (selector: string, property: string): Promise<string[]> =>
      page.evaluate(`[...document.querySelectorAll(${JSON.stringify(selector)})].map((e) => getComputedStyle(e).${property})`);
    expect(await style('table[data-table="test_accuracy"] tbody tr:last-child td', 'textAlign')).toEqual(['left', 'right', 'right', 'right']);
    expect(await style('table[data-table="test_accuracy"] tr[data-status="none"]', 'fontStyle')).toEqual(['italic']);
    // The accuracy figure: the finished value's two means, the unfinished value marked.
    const points = await page.$$eval('[data-figure="accuracy"] path[aria-roledescription="point"]', (ps) => ps.map((p) => p.getAttribute('aria-label') ?? ''));
    expect(points.map((l) => /noise: ([\d.]+); .*series: (\w+)/.exec(l)!.slice(1))).toEqual([['0.3', 'CNN'], ['0.3', 'FCN']]);
    expect(await page.$$eval('[data-figure="accuracy"] text[aria-roledescription="text mark"]', (t) => t.map((x) => x.textContent))).toEqual(['0/2 seeds']);
  });

  test('a sweep aggregated before the tables were carried: its columns formatted alike; its figure and links to its points', async () => {
    await page.goto(`${server.url}#/sweep/sweep`);
    await page.waitForSelector('body[data-ready] [data-sweep="sweep"] [data-figure="test_accuracy"][data-rendered] svg');
    const cells = await page.$$eval('table.aggregate tbody tr', (rows) => rows.map((r) => [...r.children].map((c) => c.textContent)));
    expect(cells).toEqual([
      ['lr=0.001', '0.001', '1', '0', '48.12% (n=1)', '+0.89 pp (n=1)', '0.01235 (n=1)'],
      ['lr=0.0001', '0.0001', '0', '1', '–', '–', '–'],
    ]);
    expect(await page.$$eval('[data-figure="test_accuracy"] path[aria-roledescription="bar"]', (b) => b.length)).toBe(2);
    await page.click('ul.points a');
    await page.waitForSelector('body[data-ready] [data-run="sweep/lr=0.001_seed=1"] [data-figure="loss"][data-rendered] svg');
  });

  test('the page loaded nothing from outside the server', () => {
    expect(requests.length).toBeGreaterThan(5);
    expect(requests.filter((u) => !u.startsWith(server.url) && !u.startsWith('data:'))).toEqual([]);
  });

  test('`report --html` opens from disk (file://, no server) with its charts and slider', async () => {
    const r = await cli('report', run, '--no-png', '--html');
    expect(r.code).toBe(0);
    const offline = await browser.newPage();
    const loaded: string[] = [];
    offline.on('request', (q) => loaded.push(q.url()));
    try {
      await offline.goto(`file://${path.join(run, 'report.html')}`);
      await offline.waitForSelector('body[data-ready] [data-run=""][data-epochs="4"] [data-figure="divergence_map"][data-rendered] svg', { timeout: 60_000 });
      expect(await pointEpochs(offline, 'loss', 'CNN train')).toEqual([1, 2, 3, 4]);
      expect(await offline.locator('[data-figure="divergence_map"] input[type="range"]').count()).toBe(1);
      expect(loaded.filter((u) => !u.startsWith('file://') && !u.startsWith('data:'))).toEqual([]);
    } finally {
      await offline.close();
    }
  }, 120_000);
});
