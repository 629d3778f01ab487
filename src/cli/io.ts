// Where a command writes: results to stdout, progress and errors to stderr. Tests pass their own.
import type { ProgressStream } from '../train/progress';

/** The output streams of a command. */
export interface CliIO {
  /** Results (tables, paths). */
  stdout: ProgressStream;
  /** Progress, messages and errors; a progress bar when it is a terminal. */
  stderr: ProgressStream;
}

/** The process's own streams. */
export function processIO(): CliIO {
  return { stdout: process.stdout, stderr: process.stderr };
}

/** Exit codes. */
export const EXIT = {
  ok: 0,
  /** An error: bad input, missing data, a locked run folder, a diverged run. */
  error: 1,
  /** Stopped by SIGINT or SIGTERM (128 + 2, as shells report Ctrl-C). */
  interrupted: 130,
} as const;

/** Holds the exit code a command's action decides. */
export interface CommandResult {
  exitCode: number;
}
