// The run browser's server without a browser: what it lists and serves, what it refuses (paths
// outside its folder, other hosts, other methods), its event stream, the port errors, the CLI, and
// the offline page of `report --html`.
import { spawn, spawnSync } from 'child_process';
import fs from 'fs';
import http from 'http';
import net from 'net';
import os from 'os';
import path from 'path';
import zlib from 'zlib';
import { metricsJsonlLine } from '../src/report';
import { HOST, RunBrowserServer, startServer } from '../src/serve';
import type { IndexEntry, RunView, SweepView } from '../src/serve';
import { packageDir } from '../src/serve/assets';
import { LOCK_FILE, acquireRunLock, hostIdentity } from '../src/train/lock';
import { CHILD_BOOT, cli } from './helpers/cli';
import { syntheticRecords } from './helpers/records';
import { writeFixtureRun, writeFixtureSweep, writePartialSweep } from './helpers/runFolders';

const root = path.join(__dirname, '..');

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** Bytes on the wire. */
  size: number;
}

/** A GET with the path sent exactly as given (no normalisation), and a Host header of our choice. */
function request(server: RunBrowserServer, rawPath: string, options: { host?: string; method?: string; gzip?: boolean } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: HOST, port: server.port, path: rawPath, method: options.method ?? 'GET',
      headers: { host: options.host ?? `${HOST}:${server.port}`, ...(options.gzip ? { 'accept-encoding': 'gzip, deflate' } : {}) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const bytes = Buffer.concat(chunks);
        const body = (res.headers['content-encoding'] === 'gzip' ? zlib.gunzipSync(bytes) : bytes).toString('utf8');
        resolve({ status: res.statusCode!, headers: res.headers, body, size: bytes.length });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

const json = async <T>(server: RunBrowserServer, p: string): Promise<T> => {
  const r = await request(server, p);
  expect(r.status).toBe(200);
  return JSON.parse(r.body) as T;
};

let tmp: string;
let runs: string;
let outside: string;
let server: RunBrowserServer;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wsr-serve-'));
  runs = path.join(tmp, 'runs');
  outside = path.join(tmp, 'outside');
  fs.mkdirSync(outside);
  fs.writeFileSync(path.join(outside, 'secret.txt'), 'not for the page');
  writeFixtureRun(path.join(runs, 'a'));
  writeFixtureRun(path.join(runs, 'group', 'b'), syntheticRecords(3, 2), { csvOnly: true, done: false });
  writeFixtureRun(path.join(runs, 'copied'), syntheticRecords(2, 1), { csvOnly: true, state: false });
  writeFixtureSweep(path.join(runs, 'sweep1'));
  await writePartialSweep(path.join(tmp, 'partial'));
  writeFixtureRun(path.join(runs, '.hidden', 'c'));
  writeFixtureRun(path.join(runs, 'node_modules', 'd'));
  fs.symlinkSync(outside, path.join(runs, 'link-out'));
  fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(runs, 'a', 'secret-link.txt'));
  server = await startServer({ root: runs, port: 0, pollMs: 100 });
});

afterAll(async () => {
  await server?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('what the server lists and shows', () => {
  test('the index finds runs and sweeps at any depth, skipping hidden folders, node_modules and links', async () => {
    const index = await json<{ root: string; entries: IndexEntry[] }>(server, '/api/index');
    expect(index.root).toBe(fs.realpathSync(runs));
    expect(index.entries.map((e) => `${e.kind}:${e.path}:${e.status ?? ''}:${e.epochs ?? ''}`)).toEqual([
      'run:a:finished:10', 'run:copied:unknown:3', 'run:group/b:stopped:5', 'sweep:sweep1::', 'run:sweep1/lr=0.001_seed=1:finished:5',
    ]);
  });

  test('a run: its summary and every figure spec, with every epoch of the divergence maps', async () => {
    const view = await json<RunView>(server, '/api/run?path=a');
    expect(view).toMatchObject({ kind: 'run', path: 'a', name: 'a', status: 'finished', epochs: 10, records: 14, conversionEpoch: 6, problem: null });
    expect(view.figures.map((f) => f.name)).toEqual(['loss', 'accuracy', 'distances', 'robustness', 'divergence_map']);
    expect(view.skipped).toEqual([]);
    const map = view.figures[4].spec as unknown as { params: { bind: { min: number; max: number } }[]; data: { values: { epoch: number }[] }; config: { font: string } };
    expect(map.params[0].bind).toMatchObject({ min: 7, max: 10 });
    expect(new Set(map.data.values.map((v) => v.epoch))).toEqual(new Set([7, 8, 9, 10]));
    expect(map.config.font).toMatch(/DejaVu Sans/);
    expect(view.summary!.header).toEqual(['metric', 'CNN', 'FCN']);
    expect(view.files).toEqual(['config.json', 'metrics.jsonl']);
    expect(view.facts).toEqual(expect.arrayContaining(['dataset synthetic', 'noise σ 0.5']));

    const csvOnly = await json<RunView>(server, '/api/run?path=group%2Fb');
    expect(csvOnly).toMatchObject({ status: 'stopped', epochs: 5, records: 7 });
    expect(csvOnly.skipped.map((s) => s.name)).toEqual(['divergence_map']);
  });

  test('a sweep: its points, aggregate table and figures (specs read from the aggregate folder)', async () => {
    const view = await json<SweepView>(server, '/api/sweep?path=sweep1');
    expect(view.problems).toEqual([]);
    expect(view.points.map((p) => [p.name, p.path, p.status])).toEqual([
      ['lr=0.001_seed=1', 'sweep1/lr=0.001_seed=1', 'finished'],
      ['lr=0.0001_seed=1', null, null],
    ]);
    // An aggregate.json without formatted tables (written before they were): its columns and rows,
    // each mean and its interval one cell, in the units aggregate.md uses.
    expect(view.aggregate!.tables).toEqual([expect.objectContaining({
      columns: ['setting', 'lr', 'seeds finished', 'points missing or unfinished', 'CNN test accuracy', 'FCN − CNN test accuracy (paired)', 'lc1 final dist_1'],
      numeric: [false, false, false, false, true, true, true],
      rows: [
        { setting: 'lr=0.001', status: 'finished', cells: ['lr=0.001', '0.001', '1', '0', '48.12% (n=1)', '+0.89 pp (n=1)', '0.01235 (n=1)'] },
        { setting: 'lr=0.0001', status: 'none', cells: ['lr=0.0001', '0.0001', '0', '1', '–', '–', '–'] },
      ],
    })]);
    expect(view.aggregate!.files).toEqual(['aggregate/aggregate.json']);
    expect(view.aggregate!.figures).toEqual([expect.objectContaining({ name: 'test_accuracy', problem: null, spec: expect.objectContaining({ mark: 'bar' }) })]);

    // A figure whose spec path leaves the sweep is not read.
    const file = path.join(runs, 'sweep1', 'aggregate', 'aggregate.json');
    const saved = fs.readFileSync(file, 'utf8');
    try {
      fs.writeFileSync(file, saved.replace('figures/test_accuracy.vl.json', '../../../outside/secret.txt'));
      const bad = await json<SweepView>(server, '/api/sweep?path=sweep1');
      expect(bad.aggregate!.figures[0]).toMatchObject({ spec: null, problem: expect.stringMatching(/climbs out of the served folder/) });
    } finally {
      fs.writeFileSync(file, saved);
    }
  });

  test("a sweep aggregated by `aggregate`: the tables of aggregate.md, cell for cell, and the figures it drew", async () => {
    const partial = path.join(runs, 'partial');
    fs.cpSync(path.join(tmp, 'partial'), partial, { recursive: true });
    try {
      const view = await json<SweepView>(server, '/api/sweep?path=partial');
      expect(view.problems).toEqual([]);
      const agg = view.aggregate!;
      expect(agg.tables.map((t) => t.name)).toEqual(['test_accuracy', 'robustness', 'distances']);
      expect(agg.tables[0].rows).toEqual([
        { setting: 'noise=0', status: 'none', cells: ['noise=0', '0/2 (1 unfinished, 1 not started)', '–', '–', '–'] },
        { setting: 'noise=0.3', status: 'finished', cells: ['noise=0.3', '2/2', '51.00 ± 12.71%', '53.00 ± 25.41%', '+2.00 ± 12.71 pp'] },
      ]);
      expect(agg.tables[2].rows[0].cells).toEqual(['noise=0', 'no finished point', '–', '–', '–', '–']);
      expect(agg.tables[2].rows[1].cells.slice(0, 3)).toEqual(['noise=0.3', 'lc1', '0.011 ± 0.01271']);
      // Every cell is a line of aggregate.md.
      const md = fs.readFileSync(path.join(partial, 'aggregate', 'aggregate.md'), 'utf8');
      for (const t of agg.tables) for (const r of t.rows) expect(md).toContain(`| \`${r.cells[0]}\` | ${r.cells.slice(1).join(' | ')} |`);
      expect(agg.files).toEqual(['aggregate/aggregate.md', 'aggregate/aggregate.csv', 'aggregate/aggregate.json']);
      expect(agg.figures.map((f) => [f.name, f.problem])).toEqual([['accuracy', null], ['robustness', null], ['final_distances', null], ['distances', null]]);
      expect(agg.skipped).toEqual([]);
    } finally {
      fs.rmSync(partial, { recursive: true, force: true });
    }
  });

  test('a run whose lock a live process holds is running; once released, or left by a process that is gone, it is not', async () => {
    const dir = path.join(runs, 'group', 'b');
    const status = async () => (await json<RunView>(server, '/api/run?path=group%2Fb')).status;
    const lock = acquireRunLock(dir);
    try {
      expect(await status()).toBe('running');
    } finally {
      lock.release();
    }
    expect(await status()).toBe('stopped');
    // The record a process that exited (or was killed) left behind: its pid is gone.
    const gone = spawnSync(process.execPath, ['-e', '']).pid!;
    fs.writeFileSync(path.join(dir, LOCK_FILE), `${JSON.stringify({ format: 'wsr-native-lock', version: 1, ...hostIdentity(), pid: gone, pidStart: null, token: 'x', acquired: new Date().toISOString(), leaseMs: 120000 })}\n`);
    try {
      expect(await status()).toBe('stopped');
    } finally {
      fs.rmSync(path.join(dir, LOCK_FILE));
    }
  });

  test('files of the folder are served as they are, with a content type', async () => {
    const r = await request(server, '/files/a/config.json');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(r.body).format).toBe('wsr-native-run');
    expect((await request(server, '/files/a')).status).toBe(404); // a folder
    expect((await request(server, '/files/a/nothing.csv')).status).toBe(404);
    expect((await request(server, '/api/run?path=sweep1')).status).toBe(404); // a sweep, not a run
  });
});

describe('what the server refuses', () => {
  test.each([
    '/files/../outside/secret.txt',
    '/files/a/../../outside/secret.txt',
    '/files/..%2foutside%2fsecret.txt',
    '/files/%2e%2e/outside/secret.txt',
    '/files/a%2f..%2f..%2foutside%2fsecret.txt',
    '/files/link-out/secret.txt',
    '/files/a/secret-link.txt',
    '/files/a%00/config.json',
    '/api/run?path=..%2Foutside',
    '/api/events?kind=run&path=../outside',
  ])('a path out of the folder: %s', async (p) => {
    const r = await request(server, p);
    expect(r.status).toBe(403);
    expect(r.body).toMatch(/path refused/);
    expect(r.body).not.toContain('not for the page');
  });

  test('a Host other than 127.0.0.1 or localhost on our port, methods other than GET and HEAD, bad encodings', async () => {
    expect((await request(server, '/api/index', { host: 'attacker.example' })).status).toBe(403);
    expect((await request(server, '/api/index', { host: `127.0.0.1:${server.port + 1}` })).status).toBe(403);
    expect((await request(server, '/api/index', { host: `localhost:${server.port}` })).status).toBe(200);
    expect((await request(server, '/api/index', { method: 'POST' })).status).toBe(405);
    expect((await request(server, '/files/%E0%A4%A')).status).toBe(400);
    expect((await request(server, '/assets/../package.json')).status).toBe(404);
    expect((await request(server, '/api/events?kind=nonsense')).status).toBe(400);
  });

  test('it listens on 127.0.0.1 only', async () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/`);
    const external = Object.values(os.networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal);
    if (!external) {
      console.log('no non-loopback IPv4 interface here: only the bound address is checked');
      return;
    }
    const refused = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ host: external.address, port: server.port });
      socket.on('connect', () => {
        socket.destroy();
        resolve(false);
      });
      socket.on('error', () => resolve(true));
    });
    expect(refused).toBe(true);
  });

  test('a port in use is a clear error; --port 0 picks a free one', async () => {
    await expect(startServer({ root: runs, port: server.port })).rejects.toThrow(
      new RegExp(`port ${server.port} on 127\\.0\\.0\\.1 is already in use .*--port N, or --port 0 for a free one`),
    );
    await expect(startServer({ root: path.join(tmp, 'nowhere'), port: 0 })).rejects.toThrow(/nowhere: no such folder/);
    const other = await startServer({ root: runs, port: 0 });
    try {
      expect(other.port).not.toBe(server.port);
      expect(other.port).toBeGreaterThan(0);
    } finally {
      await other.close();
    }
  });
});

describe('the page and its scripts', () => {
  test('the page links only its own assets, which come from the package; nothing loads from elsewhere', async () => {
    const page = await request(server, '/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toMatch(/Content-Security-Policy" content="default-src 'self'/);
    const links = [...page.body.matchAll(/(?:src|href)="([^"]*)"/g)].map((m) => m[1]);
    expect(links.sort()).toEqual(['assets/app.js', 'assets/style.css', 'assets/vega-embed.min.js', 'assets/vega-lite.min.js', 'assets/vega.min.js', 'data:,']);
    for (const [asset, pkg, file] of [['vega.min.js', 'vega', 'build/vega.min.js'], ['vega-lite.min.js', 'vega-lite', 'build/vega-lite.min.js'], ['vega-embed.min.js', 'vega-embed', 'build/vega-embed.min.js']]) {
      const r = await request(server, `/assets/${asset}`);
      expect(r.status).toBe(200);
      expect(r.body).toBe(fs.readFileSync(path.join(packageDir(pkg), file), 'utf8'));
    }
    // Gzipped for a client that takes it (the libraries shrink to about a third).
    const plain = await request(server, '/assets/vega.min.js');
    const gzipped = await request(server, '/assets/vega.min.js', { gzip: true });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(gzipped.headers['content-encoding']).toBe('gzip');
    expect(gzipped.body).toBe(plain.body);
    expect(gzipped.size).toBeLessThan(plain.size / 2);
    const run = await request(server, '/api/run?path=a', { gzip: true });
    expect(run.headers['content-encoding']).toBe('gzip');
    expect(JSON.parse(run.body).name).toBe('a');
    const app = await request(server, '/assets/app.js');
    expect(app.body).not.toMatch(/https?:\/\//);
    expect((await request(server, '/assets/nothing.js')).status).toBe(404);
    // vega-embed 6 pairs with vega 5 (the 7.x line needs vega 6).
    const embed = JSON.parse(fs.readFileSync(path.join(packageDir('vega-embed'), 'package.json'), 'utf8')) as { version: string; peerDependencies: Record<string, string> };
    expect(embed.version).toMatch(/^6\./);
    expect(embed.peerDependencies.vega).toMatch(/\^5/);
  });
});

describe('live updates', () => {
  test('the event stream says when the open run gains a record', async () => {
    const run = writeFixtureRun(path.join(runs, 'live'), syntheticRecords(2, 0), { done: false });
    const events: string[] = [];
    const req = http.get({ host: HOST, port: server.port, path: '/api/events?kind=run&path=live', headers: { host: `${HOST}:${server.port}` } });
    const done = new Promise<void>((resolve, reject) => {
      req.on('error', reject);
      req.on('response', (res) => {
        expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          for (const m of chunk.matchAll(/^event: (\w+)$/gm)) events.push(m[1]);
          if (events[0] === 'hello' && events.length === 1) {
            fs.appendFileSync(path.join(run, 'metrics.jsonl'), metricsJsonlLine(syntheticRecords(3, 0)[2]));
          }
          if (events.includes('item')) resolve();
        });
      });
    });
    try {
      await done;
    } finally {
      req.destroy();
    }
    expect(events.slice(0, 2)).toEqual(['hello', 'item']);
    const view = await json<RunView>(server, '/api/run?path=live');
    expect(view.records).toBe(3);
  });
});

describe('the CLI', () => {
  function serveChild(args: string[]): { done: Promise<{ code: number | null; stdout: string; stderr: string }>; url: Promise<string>; kill(): void } {
    const proc = spawn(process.execPath, ['-e', CHILD_BOOT, '--', 'serve', ...args], { cwd: root });
    let stdout = '';
    let stderr = '';
    let gotUrl: (url: string) => void = () => undefined;
    const url = new Promise<string>((resolve) => (gotUrl = resolve));
    proc.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      const m = /^(http:\/\/127\.0\.0\.1:\d+\/)$/m.exec(stdout);
      if (m) gotUrl(m[1]);
    });
    proc.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => proc.on('close', (code) => resolve({ code, stdout, stderr })));
    return { done, url, kill: () => proc.kill('SIGINT') };
  }

  test('`serve DIR --port 0` prints its URL, serves, and stops cleanly on Ctrl-C', async () => {
    const child = serveChild([runs, '--port', '0']);
    const url = await child.url;
    const index = await new Promise<string>((resolve, reject) => {
      http.get(`${url}api/index`, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve(body));
      }).on('error', reject);
    });
    expect(JSON.parse(index).entries.length).toBeGreaterThanOrEqual(5);
    child.kill();
    const r = await child.done;
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/showing .* at http:\/\/127\.0\.0\.1:\d+\/ \(Ctrl-C stops\)/);
    expect(r.stderr).toMatch(/SIGINT: server stopped/);
  }, 60_000);

  test('`serve` on a port in use, a missing folder or a bad port exits 1 with the reason', async () => {
    let r = await serveChild([runs, '--port', String(server.port)]).done;
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`wsr-native: port ${server.port} on 127\\.0\\.0\\.1 is already in use`));
    r = await serveChild([path.join(tmp, 'nowhere'), '--port', '0']).done;
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/nowhere: no such folder/);
    const bad = await cli('serve', runs, '--port', '70000');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--port <n>' argument '70000' is invalid\. must be between 0 and 65535/);
  }, 60_000);

  test('`report RUN --html` writes one page with everything inlined: no script, style or data from elsewhere', async () => {
    const run = writeFixtureRun(path.join(tmp, 'html-run'));
    const r = await cli('report', run, '--no-png', '--html');
    expect(r.code).toBe(0);
    const file = path.join(run, 'report.html');
    expect(r.stderr).toContain(`wrote ${file}`);
    const html = fs.readFileSync(file, 'utf8');
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+stylesheet/);
    expect(html).toMatch(/Content-Security-Policy" content="default-src 'none'/);
    expect(html).toContain(fs.readFileSync(path.join(packageDir('vega'), 'build', 'vega.min.js'), 'utf8').slice(0, 2000));
    const data = /<script>window\.WSR_STATIC = (.*);<\/script>/.exec(html)![1];
    const embedded = JSON.parse(data) as { views: Record<string, RunView> };
    expect(embedded.views['run:'].figures.map((f) => f.name)).toEqual(['loss', 'accuracy', 'distances', 'robustness', 'divergence_map']);
    const elsewhere = path.join(tmp, 'elsewhere.html');
    expect((await cli('report', run, '--no-png', '--html', elsewhere)).code).toBe(0);
    expect(fs.existsSync(elsewhere)).toBe(true);
  }, 60_000);
});
