// `wsr-native serve`: the run browser's web server. It listens on 127.0.0.1 only, answers only
// requests addressed to that host (a page elsewhere cannot reach it through DNS rebinding), serves
// only files under its folder, and needs no network: the page and its libraries come from the
// package. A page that shows a run or sweep keeps an event stream open (Server-Sent Events); the
// server checks the item's files every second and says when they changed, and the page refetches.
import fs from 'fs';
import http from 'http';
import path from 'path';
import zlib from 'zlib';
import { asset } from './assets';
import { servedPage } from './page';
import { HttpError, RootFolder } from './root';
import { runStamp, runView } from './runView';
import { scanFolder } from './scan';
import { sweepStamp, sweepView } from './sweepView';

/** The port `serve` listens on unless told otherwise. */
export const DEFAULT_PORT = 8750;

/** The only address the server binds. */
export const HOST = '127.0.0.1';

/** Options of {@link startServer}. */
export interface ServeOptions {
  /** The folder whose runs and sweeps are shown. */
  root: string;
  /** 0 picks a free port (default {@link DEFAULT_PORT}). */
  port?: number;
  /** How often an open event stream checks its item's files, in ms (default 1000). */
  pollMs?: number;
}

/** A started server. */
export interface RunBrowserServer {
  /** e.g. 'http://127.0.0.1:8750/'. */
  url: string;
  port: number;
  /** The served folder's real path. */
  root: string;
  /** Ends the event streams and stops listening. */
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.json': 'application/json; charset=utf-8',
  '.jsonl': 'text/plain; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.html': 'text/plain; charset=utf-8', // shown as text: a run folder's HTML must not run as this origin's page
};

const COMMON_HEADERS = { 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'cache-control': 'no-store' };

interface Context {
  root: RootFolder;
  port: number;
  pollMs: number;
  streams: Set<http.ServerResponse>;
}

/** How a reply goes out: HEAD (headers only) and whether the client takes gzip. */
interface Reply {
  head: boolean;
  gzip: boolean;
}

/** The gzipped bytes of each asset, made once. */
const gzippedAssets = new Map<string, Buffer>();

/** Sends `body`, gzipped when the client takes it and it is worth it (`gzipped` supplies bytes made earlier). */
function send(res: http.ServerResponse, reply: Reply, status: number, type: string, body: string, gzipped?: () => Buffer): void {
  const headers: http.OutgoingHttpHeaders = { ...COMMON_HEADERS, 'content-type': type, vary: 'accept-encoding' };
  let bytes: string | Buffer = body;
  if (reply.gzip && body.length > 1024) {
    bytes = gzipped ? gzipped() : zlib.gzipSync(body, { level: 6 });
    headers['content-encoding'] = 'gzip';
  }
  headers['content-length'] = Buffer.byteLength(bytes);
  res.writeHead(status, headers);
  res.end(reply.head ? undefined : bytes);
}

function sendJson(res: http.ServerResponse, reply: Reply, value: unknown): void {
  send(res, reply, 200, 'application/json; charset=utf-8', JSON.stringify(value));
}

/** The request's path segments, percent-decoded but not normalised (a '..' stays and is refused). */
function segments(rawPath: string): string[] {
  try {
    return rawPath.split('/').filter((s) => s !== '').map((s) => decodeURIComponent(s));
  } catch {
    throw new HttpError(400, `bad percent-encoding in '${rawPath}'`);
  }
}

function hostAllowed(host: string | undefined, port: number): boolean {
  return host === `${HOST}:${port}` || host === `localhost:${port}`;
}

function itemDir(ctx: Context, params: URLSearchParams, marker: string): { dir: string; rel: string } {
  const rel = params.get('path') ?? '';
  const dir = ctx.root.resolve(rel);
  if (!fs.existsSync(path.join(dir, marker))) throw new HttpError(404, `${rel || '.'}: no ${marker} there`);
  return { dir, rel: ctx.root.relative(dir) };
}

function serveFile(ctx: Context, rel: string, res: http.ServerResponse, { head }: Reply): void {
  const file = ctx.root.resolve(rel);
  const stat = fs.statSync(file);
  if (!stat.isFile()) throw new HttpError(404, `not a file: ${rel}`);
  res.writeHead(200, {
    ...COMMON_HEADERS,
    'content-type': TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
    'content-length': stat.size,
  });
  if (head) res.end();
  else fs.createReadStream(file).on('error', () => res.destroy()).pipe(res);
}

function openEvents(ctx: Context, params: URLSearchParams, req: http.IncomingMessage, res: http.ServerResponse): void {
  const kind = params.get('kind');
  let stamp: () => string = () => '';
  if (kind === 'run') {
    const { dir } = itemDir(ctx, params, 'config.json');
    stamp = () => runStamp(dir);
  } else if (kind === 'sweep') {
    const { dir } = itemDir(ctx, params, 'sweep.json');
    stamp = () => sweepStamp(dir);
  } else if (kind !== null && kind !== 'index') {
    throw new HttpError(400, `events: kind must be run, sweep or index, not '${kind}'`);
  }
  const indexStamp = (): string => JSON.stringify(scanFolder(ctx.root));
  res.writeHead(200, { ...COMMON_HEADERS, 'content-type': 'text/event-stream; charset=utf-8', connection: 'keep-alive' });
  const event = (name: string, data: unknown): void => {
    res.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  let item = stamp();
  let index = indexStamp();
  res.write('retry: 2000\n\n');
  event('hello', { stamp: item });
  let ticks = 0;
  const timer = setInterval(() => {
    ticks++;
    try {
      const now = stamp();
      if (now !== item) event('item', { stamp: (item = now) });
      // The index (a walk of the folder) is checked less often; the comment line keeps proxies and
      // idle-timeouts from closing the stream.
      if (ticks % 5 === 0) {
        const nowIndex = indexStamp();
        if (nowIndex !== index) event('index', { changed: true });
        index = nowIndex;
        res.write(': still here\n\n');
      }
    } catch {
      // The item went away (a folder deleted under us): the page finds out when it refetches.
    }
  }, ctx.pollMs);
  ctx.streams.add(res);
  req.on('close', () => {
    clearInterval(timer);
    ctx.streams.delete(res);
  });
}

function route(ctx: Context, req: http.IncomingMessage, res: http.ServerResponse): void {
  if (!hostAllowed(req.headers.host, ctx.port)) throw new HttpError(403, `refused: Host '${req.headers.host ?? ''}' is not ${HOST}:${ctx.port}`);
  if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, `${req.method}: only GET and HEAD`);
  const reply: Reply = { head: req.method === 'HEAD', gzip: /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? '')) };
  const raw = req.url ?? '/';
  const q = raw.indexOf('?');
  const parts = segments(q < 0 ? raw : raw.slice(0, q));
  const params = new URLSearchParams(q < 0 ? '' : raw.slice(q + 1));
  const [first, ...rest] = parts;
  if (parts.length === 0 || (parts.length === 1 && first === 'index.html')) {
    send(res, reply, 200, 'text/html; charset=utf-8', servedPage(path.basename(ctx.root.dir)));
  } else if (first === 'assets' && rest.length === 1) {
    const name = rest[0];
    const found = asset(name);
    if (!found) throw new HttpError(404, `no asset '${name}'`);
    const gzipped = (): Buffer => {
      if (!gzippedAssets.has(name)) gzippedAssets.set(name, zlib.gzipSync(found.body, { level: 9 }));
      return gzippedAssets.get(name)!;
    };
    send(res, reply, 200, found.type, found.body, gzipped);
  } else if (first === 'files') {
    serveFile(ctx, rest.join('/'), res, reply);
  } else if (first === 'api' && rest.length === 1) {
    switch (rest[0]) {
      case 'index':
        return sendJson(res, reply, { root: ctx.root.dir, entries: scanFolder(ctx.root) });
      case 'run': {
        const { dir, rel } = itemDir(ctx, params, 'config.json');
        return sendJson(res, reply, runView(dir, rel));
      }
      case 'sweep': {
        const { dir } = itemDir(ctx, params, 'sweep.json');
        return sendJson(res, reply, sweepView(ctx.root, dir));
      }
      case 'events':
        return openEvents(ctx, params, req, res);
      default:
        throw new HttpError(404, `no API '${rest[0]}'`);
    }
  } else {
    throw new HttpError(404, `not found: ${raw}`);
  }
}

function listenError(error: NodeJS.ErrnoException, port: number): Error {
  if (error.code === 'EADDRINUSE') {
    return new Error(`port ${port} on ${HOST} is already in use (another wsr-native serve?): choose another with --port N, or --port 0 for a free one`);
  }
  if (error.code === 'EACCES') return new Error(`not allowed to listen on port ${port} of ${HOST} (ports below 1024 need privileges): choose another with --port N`);
  return new Error(`cannot listen on ${HOST}:${port}: ${error.message}`);
}

/**
 * Starts the run browser's server on 127.0.0.1 for the folder `options.root`.
 *
 * @throws Error when the folder does not exist, or the port is taken or not allowed.
 */
export async function startServer(options: ServeOptions): Promise<RunBrowserServer> {
  const root = new RootFolder(options.root);
  const ctx: Context = { root, port: options.port ?? DEFAULT_PORT, pollMs: options.pollMs ?? 1000, streams: new Set() };
  const server = http.createServer((req, res) => {
    try {
      route(ctx, req, res);
    } catch (error) {
      const status = error instanceof HttpError ? error.status : 500;
      if (res.headersSent) res.destroy();
      else send(res, { head: req.method === 'HEAD', gzip: false }, status, 'text/plain; charset=utf-8', `${(error as Error).message}\n`);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(listenError(error, ctx.port)));
    server.listen(ctx.port, HOST, () => resolve());
  });
  ctx.port = (server.address() as { port: number }).port;
  return {
    url: `http://${HOST}:${ctx.port}/`,
    port: ctx.port,
    root: root.dir,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of ctx.streams) res.end();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
