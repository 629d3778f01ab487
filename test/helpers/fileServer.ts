// A local HTTP server (127.0.0.1, a random port) for the download tests: it serves named files
// with Range support, answers 404 under /dead/ and for names it does not hold, logs every request,
// and can cut a transfer short to test resuming. No internet needed.
import fs from 'fs';
import http from 'http';
import { AddressInfo } from 'net';
import path from 'path';

/** A running file server. */
export interface FileServer {
  /** http://127.0.0.1:PORT/files/ — a file's URL is this + its name. */
  base: string;
  /** Every request: its path and Range header. */
  requests: { path: string; range: string | undefined }[];
  /** What is served, by name; a test may replace entries. */
  files: Map<string, Buffer>;
  /**
   * The next whole-file request for `name` gets only its first `at` bytes: the connection drops once
   * `part` (the client's .part file) holds them all (node drops data it has received but not yet
   * handed on when a connection closes, so the test knows what is on disk).
   */
  cut(name: string, at: number, part: string): void;
  close(): Promise<void>;
}

/** Serves `files` (name → bytes) until closed. */
export async function serveFiles(files: Record<string, Buffer>): Promise<FileServer> {
  let cut: { name: string; at: number; part: string } | null = null;
  const state = { requests: [] as FileServer['requests'], files: new Map(Object.entries(files)) };
  const server = http.createServer((req, res) => {
    const url = req.url ?? '';
    state.requests.push({ path: url, range: req.headers.range });
    const name = path.basename(url);
    const body = url.startsWith('/dead/') ? undefined : state.files.get(name);
    if (!body) {
      res.writeHead(404).end();
      return;
    }
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (range) {
      const start = Number(range[1]);
      if (start >= body.length) {
        res.writeHead(416, { 'Content-Range': `bytes */${body.length}` }).end();
        return;
      }
      res.writeHead(206, { 'Content-Length': body.length - start, 'Content-Range': `bytes ${start}-${body.length - 1}/${body.length}` });
      res.end(body.subarray(start));
      return;
    }
    res.writeHead(200, { 'Content-Length': body.length, 'Accept-Ranges': 'bytes' });
    if (cut && cut.name === name) {
      const { at, part } = cut;
      cut = null;
      const deadline = Date.now() + 20_000;
      const dropWhenWritten = (): void => {
        let size = 0;
        try {
          size = fs.statSync(part).size;
        } catch {
          size = 0;
        }
        if (size >= at || Date.now() > deadline) res.socket?.destroy();
        else setTimeout(dropWhenWritten, 5);
      };
      res.write(body.subarray(0, at), dropWhenWritten);
      return;
    }
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}/files/`,
    requests: state.requests,
    files: state.files,
    cut: (name, at, part) => (cut = { name, at, part }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
