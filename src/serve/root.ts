// The folder a server shows: every path it reads is resolved here, and only paths that stay under
// the folder (after following symbolic links) are allowed.
import fs from 'fs';
import path from 'path';

/** An error with the HTTP status it answers with. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

function inside(dir: string, file: string): boolean {
  const rel = path.relative(dir, file);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** The served folder. */
export class RootFolder {
  /** The folder's real absolute path. */
  readonly dir: string;

  /** @throws Error when `dir` is not an existing folder. */
  constructor(dir: string) {
    let real: string;
    try {
      real = fs.realpathSync(path.resolve(dir));
    } catch {
      throw new Error(`${dir}: no such folder`);
    }
    if (!fs.statSync(real).isDirectory()) throw new Error(`${dir}: not a folder`);
    this.dir = real;
  }

  /**
   * The real absolute path of `relative` ('/'-separated, percent-decoded) under the folder.
   *
   * @throws HttpError 403 for a path with '..', a NUL, or one that leaves the folder through a
   *   symbolic link; 404 when it does not exist.
   */
  resolve(relative: string): string {
    if (relative.includes('\0')) throw new HttpError(403, 'path refused: it holds a NUL character');
    const parts = relative.split(/[\\/]+/).filter((p) => p !== '' && p !== '.');
    if (parts.includes('..')) throw new HttpError(403, `path refused: '${relative}' climbs out of the served folder`);
    const joined = path.join(this.dir, ...parts);
    let real: string;
    try {
      real = fs.realpathSync(joined);
    } catch {
      throw new HttpError(404, `not found: ${relative}`);
    }
    if (!inside(this.dir, real)) throw new HttpError(403, `path refused: '${relative}' leads out of the served folder`);
    return real;
  }

  /** `file` (under the folder) relative to it, '/'-separated; '' for the folder itself. */
  relative(file: string): string {
    return path.relative(this.dir, file).split(path.sep).join('/');
  }
}
