// `sweep-task SWEEP INDEX`: what one Slurm array task runs. It trains point INDEX of the sweep, or
// resumes it after a requeue or preemption, as a training job in this process (so Slurm's SIGTERM
// reaches it directly and stops it after its last completed epoch), writing the run's output to
// its train.log. A point whose folder another host still holds (a preempted task being killed on
// its old node) is waited for until that lock's lease expires.
import fs from 'fs';
import { JobStreams, runTrainJob } from '../train/job';
import { hostIdentity, lockHolder } from '../train/lock';
import { pointDir, pointLog, pointStatus, readSweepFile } from './folder';
import { pointJob, pointLogHeader } from './launch';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits while another host holds `runDir` with a live lease (at most its lease and a minute). */
async function waitForOtherHost(runDir: string, say: (m: string) => void, pollMs = 5_000): Promise<void> {
  const { host } = hostIdentity();
  const started = Date.now();
  for (let told = false; ; told = true) {
    const holder = lockHolder(runDir);
    const record = holder?.record;
    if (!holder || holder.stale !== null || !record || record.host === host) return;
    if (Date.now() - started > record.leaseMs + 60_000) return; // train's own lock check says what is wrong
    if (!told) say(`waiting for the lock of ${record.host} (pid ${record.pid}) to be released or its lease to expire`);
    await sleep(pollMs);
  }
}

/** The CPUs Slurm gave this task (--cpus-per-task, else the job's CPUs on this node), or null outside Slurm. */
function allocatedCpus(): number | null {
  for (const v of [process.env.SLURM_CPUS_PER_TASK, process.env.SLURM_JOB_CPUS_PER_NODE]) {
    const n = Number.parseInt(v ?? '', 10); // SLURM_JOB_CPUS_PER_NODE reads like '2' or '2(x3)'
    if (Number.isInteger(n) && n > 0) return n;
  }
  return null;
}

/** Runs point `index` of the sweep in `sweepDir`; returns the training job's exit code. */
export async function runSweepTask(sweepDir: string, index: number, io: JobStreams): Promise<number> {
  const sweep = readSweepFile(sweepDir);
  if (!sweep) throw new Error(`${sweepDir}: no sweep.json (is it a sweep folder?)`);
  const point = sweep.points[index];
  if (!point) throw new Error(`${sweepDir} has points 0 to ${sweep.points.length - 1}; there is no point ${index}`);
  const status = pointStatus(sweepDir, point);
  if (status === 'finished') {
    io.stdout.write(`point ${index} (${point.name}) finished before: nothing to do\n`);
    return 0;
  }
  const job = pointJob(sweepDir, sweep.spec, point, status, { threads: allocatedCpus() });
  const dir = pointDir(sweepDir, point);
  fs.mkdirSync(dir, { recursive: true });
  await waitForOtherHost(dir, (m) => io.stdout.write(`point ${index} (${point.name}): ${m}\n`));
  const log = pointLog(sweepDir, point);
  const fd = fs.openSync(log, 'a');
  try {
    const restart = process.env.SLURM_RESTART_COUNT ? ` (restart ${process.env.SLURM_RESTART_COUNT})` : '';
    const slurmJob = process.env.SLURM_JOB_ID ? `, Slurm job ${process.env.SLURM_ARRAY_JOB_ID ?? process.env.SLURM_JOB_ID}_${index}${restart}` : '';
    fs.writeSync(fd, pointLogHeader(job, slurmJob));
    io.stdout.write(`point ${index} (${point.name}): ${status === 'new' ? 'train' : 'resume'}; log: ${log}\n`);
    const write = (s: string): boolean => (fs.writeSync(fd, s), true);
    const code = await runTrainJob(job, { stdout: { write }, stderr: { write } });
    io.stdout.write(`point ${index} (${point.name}): exit ${code}\n`);
    return code;
  } finally {
    fs.closeSync(fd);
  }
}
