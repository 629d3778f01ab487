// A training job in a process of its own (what a sweep's local pool starts for each point, for
// isolation: its own memory, threads and signals): reads one TrainJob as JSON from stdin, runs it,
// and exits with its exit code. Its output is the run's, as `wsr-native train` would print it.
//
// It dies with its sweep: started with an IPC channel (as the pool starts it), it watches that
// channel, and when it closes — the sweep was killed (kill -9, an out-of-memory killer, a closed
// session) — it stops as after Ctrl-C, keeping its last completed epoch's checkpoint, and writes
// what it still has to say to the point's log (the `log` the sweep names beside the job) instead
// of the dead sweep's pipe. Without a channel (run by hand) it runs to the end.
import fs from 'fs';
import path from 'path';
import { packageRoot } from '../native';
import { EXIT, JobStreams, TrainJob, folderTaken, runTrainJob } from './job';
import { StopRequest } from './progress';

/** What the sweep writes on a job process's stdin: the job, and the log file its output goes to. */
export interface JobRequest extends TrainJob {
  /** The point's train.log: where the job's output goes once the sweep (which copies it there) is gone. */
  log?: string;
}

/**
 * The exit code of a job process whose run folder another process got to first (it holds the lock,
 * or made the run this job meant to start): the sweep looks at the point again instead of failing it.
 */
export const FOLDER_TAKEN_EXIT = 75;

/**
 * The script that runs a job in a child process: the package's compiled one (WSR_JOB_SCRIPT
 * names another, such as the tests' boot script of the TypeScript sources).
 */
export function jobProcessScript(): string {
  return process.env.WSR_JOB_SCRIPT || path.join(packageRoot, 'dist', 'train', 'jobProcess.js');
}

function readStdin(): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (chunk: string) => (text += chunk));
    process.stdin.on('end', () => resolve(text));
    process.stdin.on('error', reject);
  });
}

/**
 * The process's stdout and stderr while its parent lives; once `orphaned()` is called, the log file
 * `log` (appended to; nothing when there is none). Never throws: a write to a dead parent's pipe
 * fails with EPIPE, which must not end the run before it has stopped cleanly.
 */
function parentStreams(log: string | undefined): JobStreams & { orphaned(): void } {
  let gone = false;
  for (const s of [process.stdout, process.stderr]) s.on('error', () => {});
  const to = (stream: NodeJS.WriteStream) => ({
    write(text: string): boolean {
      try {
        if (!gone) return stream.write(text);
        if (log) fs.appendFileSync(log, text);
      } catch {
        // Nowhere left to write: the run goes on regardless.
      }
      return true;
    },
  });
  return { stdout: to(process.stdout), stderr: to(process.stderr), orphaned: () => (gone = true) };
}

/** Reads a job from stdin and runs it; returns the exit code. */
export async function jobProcessMain(): Promise<number> {
  // Watched from the start: a sweep killed while this process starts is noticed too.
  const stop = new StopRequest();
  let parentGone = false;
  let onGone = (): void => {};
  if (typeof process.send === 'function') {
    if (!process.connected) parentGone = true; // started with a channel that closed already
    process.channel?.unref(); // the channel alone keeps no finished job alive
    process.once('disconnect', () => {
      parentGone = true;
      onGone();
    });
  }
  let request: JobRequest;
  try {
    request = JSON.parse(await readStdin()) as JobRequest;
    if (typeof request !== 'object' || request === null || typeof request.runDir !== 'string' || typeof request.settings !== 'object') {
      throw new Error('expected {"settings": {…}, "runDir": "…", "resume": false}');
    }
  } catch (error) {
    process.stderr.write(`wsr-native: the training job on stdin is not valid: ${(error as Error).message}\n`);
    return EXIT.error;
  }
  const { log, ...job } = request;
  const io = parentStreams(log);
  onGone = () => {
    io.orphaned();
    stop.request('the sweep is gone');
    io.stderr.write(
      `\nthe sweep that started this run is gone (its channel to this process closed): stopping; the last completed epoch's checkpoint stays on disk, and a re-run of the sweep resumes it\n`,
    );
  };
  if (parentGone) onGone();
  let taken = false;
  const code = await runTrainJob(job, io, { stop, onError: (error) => (taken = folderTaken(error)) });
  return taken ? FOLDER_TAKEN_EXIT : code;
}

if (require.main === module) {
  jobProcessMain().then((code) => {
    process.exitCode = code;
  });
}
