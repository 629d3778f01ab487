// Where a command writes (a training job's streams: results to stdout, progress and errors to
// stderr; tests pass their own), and the exit code its action decides.
import type { JobStreams } from '../train/job';

/** The output streams of a command. */
export type CliIO = JobStreams;

/** Holds the exit code a command's action decides. */
export interface CommandResult {
  exitCode: number;
}
