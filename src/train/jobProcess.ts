// A training job in a process of its own (what a sweep's local pool starts for each point, for
// isolation: its own memory, threads and signals): reads one TrainJob as JSON from stdin, runs it,
// and exits with its exit code. Its output is the run's, as `wsr-native train` would print it.
import path from 'path';
import { packageRoot } from '../native';
import { EXIT, TrainJob, runTrainJob } from './job';

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

/** Reads a job from stdin and runs it; returns the exit code. */
export async function jobProcessMain(): Promise<number> {
  let job: TrainJob;
  try {
    job = JSON.parse(await readStdin()) as TrainJob;
    if (typeof job !== 'object' || job === null || typeof job.runDir !== 'string' || typeof job.settings !== 'object') {
      throw new Error('expected {"settings": {…}, "runDir": "…", "resume": false}');
    }
  } catch (error) {
    process.stderr.write(`wsr-native: the training job on stdin is not valid: ${(error as Error).message}\n`);
    return EXIT.error;
  }
  return runTrainJob(job);
}

if (require.main === module) {
  jobProcessMain().then((code) => {
    process.exitCode = code;
  });
}
