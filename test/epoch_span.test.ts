// The experiment stays readable: one training epoch runs code in at most six files of src/train,
// none over 300 lines. Measured, not declared: V8's precise coverage counts the functions that
// run between the end lines of two epochs of a real (tiny) run, once in the CNN phase and once in
// the branches, and the files they live in are the epoch's.
import fs from 'fs';
import { Session } from 'inspector';
import os from 'os';
import path from 'path';
import { runTrainJob } from '../src/train/job';

const TRAIN = path.join(__dirname, '..', 'src', 'train') + path.sep;

interface Coverage {
  result: { url: string; functions: { functionName: string; ranges: { count: number }[] }[] }[];
}

let session: Session;
const post = <T>(method: string, params: object = {}): Promise<T> =>
  new Promise((resolve, reject) => session.post(method, params, (error, result) => (error ? reject(error) : resolve(result as T))));

/**
 * The src/train files with a function that ran, and those functions. The run lock's lease renewal
 * (lock.ts) is left out: a timer runs it every 15 s whatever the run is doing, not the epoch.
 */
function trainFiles(coverage: Coverage): Map<string, string[]> {
  const files = new Map<string, string[]>();
  for (const script of coverage.result) {
    const file = script.url.replace(/^file:\/\//, '');
    if (!file.startsWith(TRAIN) || file === `${TRAIN}lock.ts`) continue;
    const ran = script.functions.filter((f) => f.functionName !== '' && f.ranges[0].count > 0).map((f) => f.functionName);
    if (ran.length > 0) files.set(path.relative(TRAIN, file), ran);
  }
  return files;
}

describe('one training epoch', () => {
  const windows: Map<string, string[]>[] = [];
  let tmp: string;

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wsr-epoch-span-'));
    session = new Session();
    session.connect();
    await post('Profiler.enable');
    await post('Profiler.startPreciseCoverage', { callCount: true, detailed: false });
    // Each epoch line ends a window: taking the coverage returns the counts since the last take.
    let lines = 0;
    let taken = Promise.resolve();
    const stderr = {
      write: (text: string): boolean => {
        if (/^(cnn|fcn) epoch \d+/m.test(text)) {
          const line = ++lines;
          taken = taken.then(async () => {
            const coverage = await post<Coverage>('Profiler.takePreciseCoverage');
            if (line === 3 || line === 6) windows.push(trainFiles(coverage)); // the CNN's third epoch; the branches' second
          });
        }
        return true;
      },
    };
    const settings = { dataset: 'synthetic' as const, device: 'cpu', limit: 256, validation: 64, batchSize: 64, cnnEpochs: 3, fcnEpochs: 2, seed: 1 };
    const code = await runTrainJob({ settings, runDir: path.join(tmp, 'run'), resume: false, png: false }, { stdout: { write: () => true }, stderr });
    await taken;
    await post('Profiler.stopPreciseCoverage');
    session.disconnect();
    expect(code).toBe(0);
  }, 300_000);

  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test('runs code in at most 6 files of src/train, in the CNN phase and in the branches', () => {
    expect(windows).toHaveLength(2);
    for (const files of windows) {
      // The window is a whole epoch: it trained, evaluated, checkpointed and reported.
      expect(files.get('trainer.ts')).toEqual(expect.arrayContaining(['trainEpoch', 'save']));
      expect(files.get('evaluate.ts')).toEqual(expect.arrayContaining(['evaluate', 'epochRecord']));
      expect(files.get('runFolder.ts')).toEqual(expect.arrayContaining(['saveState']));
      expect(files.size <= 6 ? files.size : [...files.keys()]).toBeLessThanOrEqual(6); // the files, when there are more
    }
  });

  test('none of those files is over 300 lines', () => {
    const files = new Set(windows.flatMap((w) => [...w.keys()]));
    for (const file of files) {
      const lines = fs.readFileSync(path.join(TRAIN, file), 'utf8').split('\n').length - 1;
      expect({ file, lines: Math.min(lines, 300) }).toEqual({ file, lines });
    }
  });
});
