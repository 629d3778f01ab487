// The experiment, top to bottom: the paper's protocol as named steps. runTraining reads as the
// protocol does — the data, the CNN phase, the conversion, the branches (the CNN continued beside
// its locally connected twin, interleaved epoch by epoch on the same data order and
// augmentations), the test — and every step below it is one function. A run is resumable after
// any completed epoch: its folder (runFolder.ts) holds the state that says where it stands.
import { datasetLabels } from '../data/datasets';
import { numThreads, resolveDevice, setNumThreads } from '../device';
import { Sequential } from '../nn/model';
import { type EpochRecord, type PhaseName, formatSummaryTable, summarize } from '../report';
import { Tensor } from '../tensor';
import { AugmentPlan, DeviceSplit, batchesPerEpoch, trainingOrder } from './batches';
import { freeWeightSharing } from './conversion';
import { RunData, loadRunData, onDevice } from './data';
import { Evaluator, RunColumns, epochRecord, layerDivergences, phaseEndLine, recordLine, runColumns } from './evaluate';
import { initModelFrom } from './initFrom';
import { NonFiniteLossError, Progress, ProgressStream, RunInterrupted, StopRequest, YieldPoint, progressFor, stoppedLine } from './progress';
import { checkSameData, describeStart, newConfig } from './runConfig';
import { ModelState, RunFolder, RunState } from './runFolder';
import { TrainSettings, checkSettings } from './settings';
import { fcnOptions } from './sharing';
import { ModelTrainer, makeOptimizer } from './trainer';

/** What {@link runTraining} is asked to do. */
export interface RunRequest {
  /** The run's settings (for a resumed run: those of its config.json, device and threads possibly changed). */
  settings: TrainSettings;
  /** The run folder. */
  runDir: string;
  /** Continue the run in runDir from its last completed epoch. */
  resume: boolean;
  /** The command line, for config.json. */
  argv: string[];
  /** Where progress goes (stderr); a bar when it is a terminal. */
  stderr: ProgressStream;
  /** Set by the SIGINT handler: the run stops at the next batch, keeping the last completed epoch. */
  stop: StopRequest;
  /** Stop cleanly after this many completed epochs (as if interrupted then); for tests. */
  stopAfterEpochs?: number | null;
  /** Write PNG figures beside the SVGs (default true; needs the optional renderer). */
  png?: boolean;
}

/** How a run ended (errors are thrown). */
export interface RunOutcome {
  /** 'finished': both phases done; 'interrupted': stopped by a signal; 'stopped': by stopAfterEpochs. */
  status: 'finished' | 'interrupted' | 'stopped';
  runDir: string;
  /** The last completed epoch, whose checkpoint is on disk (0: none). */
  completedEpoch: number;
  /** The CNN-vs-FCN summary table (when finished). */
  summary: string | null;
}

/** What every step of a run shares. */
interface Run {
  settings: TrainSettings;
  folder: RunFolder;
  device: string;
  train: DeviceSplit;
  validationSplit: DeviceSplit;
  validation: Evaluator;
  /** null without a test set (the paper split). */
  test: Evaluator | null;
  augment: AugmentPlan;
  /** The columns all its records share. */
  columns: RunColumns;
  progress: Progress;
  yieldPoint: YieldPoint;
  /** Takes `o`, to free it (last taken first) when the run ends. */
  own<T extends { dispose(): void }>(o: T): T;
  /** Called after each completed epoch; true stops the run there (stopAfterEpochs). */
  epochDone(epoch: number): boolean;
}

/** The two branches, after the conversion. */
interface Branches {
  cnn: ModelTrainer;
  fcn: ModelTrainer;
  conversionEpoch: number;
  completedEpoch: number;
  states: { cnn: ModelState; fcn: ModelState };
}

/**
 * Runs (or resumes) a training run, writing metrics, figures and checkpoints after every epoch.
 * Stops cleanly when `request.stop` is set (returns 'interrupted'). Throws on errors (missing
 * data, a locked folder, NaN loss, …), leaving the last good checkpoint.
 */
export async function runTraining(request: RunRequest): Promise<RunOutcome> {
  const { settings } = request;
  checkSettings(settings);
  const progress = progressFor(request.stderr);
  const warn = (m: string): void => progress.line(`warning: ${m}`);
  if (settings.threads !== null) setNumThreads(settings.threads);
  const device = resolveDevice(settings.device);
  // A lock lost to a takeover (this process frozen past its lease) stops the run like Ctrl-C.
  const onLost = (message: string): void => (warn(message), request.stop.request('lock lost'));
  const folder = RunFolder.open(request.runDir, { png: request.png, warn, onLost });
  const owned: { dispose(): void }[] = [];
  let completedEpoch = 0;
  let failed = true;
  const stopped = (status: 'stopped' | 'interrupted'): RunOutcome => {
    failed = false;
    progress.line(stoppedLine(status, completedEpoch, folder.paths.checkpoints, folder.paths.dir));
    return { status, runDir: folder.paths.dir, completedEpoch, summary: null };
  };
  try {
    // 1. The data: read, split leak-free, the same images as the run's when it resumes; then on the device.
    const data = await loadRunData(settings);
    const state = startFolder(folder, request, device, data, progress);
    completedEpoch = state?.completedEpoch ?? 0;
    let stopAfter = request.stopAfterEpochs ?? null;
    const epochDone = (epoch: number): boolean => {
      completedEpoch = epoch;
      if (stopAfter === null || epoch < stopAfter) return false;
      stopAfter = null;
      return true;
    };
    const own = <T extends { dispose(): void }>(o: T): T => (owned.push(o), o);
    const run: Run = { ...onDevice(settings, device, data, own), settings, columns: runColumns(settings), folder, device, progress, yieldPoint: new YieldPoint(request.stop), own, epochDone };

    let branches: Branches | null = null;
    if (state?.phase === 'done') progress.line('the run is already finished');
    else if (state?.phase === 'branch') branches = restoreBranches(run, state);
    else {
      // 2. The CNN phase: up to --cnn-epochs, or an early stop.
      const cnn = await cnnPhase(run, state);
      if (cnn === 'stopped') return stopped('stopped');
      // 3. The conversion: every convolution freed into a locally connected layer, checked to compute the same function.
      if (settings.fcnEpochs > 0) branches = await convert(run, cnn);
      else folder.saveState({ phase: 'done', completedEpoch: cnn.epoch, conversionEpoch: null, models: { cnn: folder.saveModel(cnn), fcn: null } });
    }
    // 4. The branches: the continued CNN and the FCN, epoch by epoch on the same batches.
    if (branches && (await branchPhase(run, branches)) === 'stopped') return stopped('stopped');

    // 5. The test: each model's restored best weights, measured when its phase or branch ended (testBest).
    folder.metrics.rebuild();
    const summary = formatSummaryTable(summarize(folder.metrics.records));
    progress.line(`finished: ${folder.paths.dir}`);
    failed = false;
    return { status: 'finished', runDir: folder.paths.dir, completedEpoch, summary };
  } catch (error) {
    if (error instanceof RunInterrupted) return stopped('interrupted');
    if (error instanceof NonFiniteLossError) error.lastGoodEpoch = completedEpoch;
    throw error;
  } finally {
    for (const o of owned.reverse()) o.dispose();
    await folder.close(failed);
  }
}

/** Creates the run's config.json, or resumes the run: returns the state of its last completed epoch (null: none). */
function startFolder(folder: RunFolder, request: RunRequest, device: string, data: RunData, progress: Progress): RunState | null {
  let state: RunState | null = null;
  if (!request.resume) folder.create(newConfig(request.settings, request.argv, device, data));
  else {
    const resumed = folder.resume((config) => checkSameData(config, data));
    state = resumed.state;
    const resumption = { at: new Date().toISOString(), fromEpoch: state?.completedEpoch ?? 0, device, threads: numThreads(), argv: request.argv };
    folder.updateConfig((config) => config.resumes.push(resumption));
    const dropped = resumed.droppedRecords ? `; dropped ${resumed.droppedRecords} record(s) of later epochs` : '';
    progress.line(state ? `resuming after epoch ${state.completedEpoch} (phase ${state.phase})${dropped}` : 'resuming a run that completed no epoch: starting from the beginning');
  }
  for (const line of describeStart(folder.paths.dir, device, { ...folder.config, settings: request.settings }, data)) progress.line(line);
  return state;
}

/** A fresh, seeded CNN of the dataset's network (ending in its labels' classes), with its optimizer. */
function newCnn(run: Run): ModelTrainer {
  const model = Sequential.create(datasetLabels(run.settings.dataset, run.settings.labels).network, { device: run.device, seed: run.settings.seed });
  return run.own(new ModelTrainer('cnn', model, makeOptimizer(run.settings), run.settings.patience));
}

/** Step 2: trains the CNN (from a resumed state, or --init-from), checkpointing every epoch. */
async function cnnPhase(run: Run, state: RunState | null): Promise<ModelTrainer | 'stopped'> {
  const { settings, folder } = run;
  const cnn = newCnn(run);
  if (state) folder.restoreModel(cnn, state.models.cnn, settings.patience);
  else if (settings.initFrom) {
    const initFrom = settings.initFrom;
    folder.updateConfig((config) => (config.initFrom = initModelFrom(cnn.model, initFrom, config.initFrom ?? null)));
    run.progress.line(`the CNN starts from ${initFrom} (SHA-256 ${folder.config.initFrom!.sha256})`);
  }
  for (let epoch = (state?.completedEpoch ?? 0) + 1; !cnn.finished && epoch <= settings.cnnEpochs; epoch++) {
    const [record] = await epochOf(run, [cnn], epoch, 'cnn', () => settings.cnnEpochs, () => `cnn epoch ${epoch}/${settings.cnnEpochs}`);
    folder.metrics.append([record]);
    folder.saveState({ phase: 'cnn', completedEpoch: epoch, conversionEpoch: null, models: { cnn: folder.saveModel(cnn), fcn: null } });
    if (run.epochDone(epoch)) return 'stopped';
  }
  folder.savePhaseCheckpoint(cnn);
  run.progress.line(`CNN phase done at epoch ${cnn.epoch}: ${folder.paths.cnnPhase}`);
  return cnn;
}

/** Step 3: converts the CNN into its locally connected twin, checks it, records the conversion point and starts both branches. */
async function convert(run: Run, cnn: ModelTrainer): Promise<Branches> {
  const { settings, folder } = run;
  const started = Date.now();
  const epoch = cnn.epoch;
  const converted = await freeWeightSharing(cnn.model, settings, run.validationSplit, run.validation, epoch);
  const fcn = run.own(new ModelTrainer('fcn', converted.fcn, makeOptimizer(settings), settings.patience, settings));
  fcn.epoch = epoch;
  const { check, lines } = converted;
  for (const line of lines) run.progress.line(line);
  // config.json keeps the numbers; the divergence maps (all zeros here) live in metrics.jsonl.
  folder.updateConfig((config) => (config.conversion = { ...check, layers: check.layers.map(({ divergenceMap: _map, ...rest }) => rest) }));
  const validation = await run.validation.evaluate(fcn.model, settings.robustness, run.yieldPoint);
  // The conversion point: the FCN before any training (no training loss of its own, hence NaN).
  const train = { loss: NaN, accuracy: NaN, tiePenalty: null };
  folder.metrics.append([epochRecord(run.columns, { epoch, model: 'fcn', phase: 'cnn', train, validation, testAccuracy: null, layers: check.layers, seconds: (Date.now() - started) / 1000 })]);

  const phaseTest = cnn.testAccuracy;
  cnn.beginPhase(settings.patience);
  fcn.beginPhase(settings.patience);
  if (settings.cnnContinueEpochs === 0) {
    cnn.finished = true;
    cnn.testAccuracy = phaseTest;
  }
  const states = { cnn: folder.saveModel(cnn), fcn: folder.saveModel(fcn) };
  folder.saveState({ phase: 'branch', completedEpoch: epoch, conversionEpoch: epoch, models: states });
  return { cnn, fcn, conversionEpoch: epoch, completedEpoch: epoch, states };
}

/** The branches of a run resumed after its conversion, from their checkpoints. */
function restoreBranches(run: Run, state: RunState): Branches {
  const { settings, folder } = run;
  if (!state.models.fcn || state.conversionEpoch === null) throw new Error(`${folder.paths.state}: a branch state without the FCN`);
  const cnn = newCnn(run);
  // The FCN's shell comes from converting the CNN (much cheaper than a fresh seeded initialisation);
  // every parameter and tied kernel is then overwritten by its checkpoint.
  const fcn = run.own(new ModelTrainer('fcn', cnn.model.toLocal(fcnOptions(settings, cnn.model.spec)), makeOptimizer(settings), settings.patience, settings));
  folder.restoreModel(fcn, state.models.fcn, settings.patience);
  folder.restoreModel(cnn, state.models.cnn, settings.patience);
  const states = { cnn: state.models.cnn, fcn: state.models.fcn };
  return { cnn, fcn, conversionEpoch: state.conversionEpoch, completedEpoch: state.completedEpoch, states };
}

/** Step 4: both branches, interleaved; a branch that ends (cap or early stop) stops while the other goes on. */
async function branchPhase(run: Run, b: Branches): Promise<'stopped' | 'done'> {
  const { settings, folder } = run;
  const caps = { cnn: settings.cnnContinueEpochs, fcn: settings.fcnEpochs };
  const states = { ...b.states };
  for (let epoch = b.completedEpoch + 1; ; epoch++) {
    const active = [b.cnn, b.fcn].filter((t) => !t.finished);
    if (active.length === 0) break;
    const label = (t: ModelTrainer): string => `${t.name} epoch ${epoch} (branch ${t.epochsInPhase + 1}/${caps[t.name]})`;
    folder.metrics.append(await epochOf(run, active, epoch, 'branch', (t) => caps[t.name], label));
    for (const t of active) states[t.name] = folder.saveModel(t);
    folder.saveState({ phase: 'branch', completedEpoch: epoch, conversionEpoch: b.conversionEpoch, models: states });
    if (run.epochDone(epoch)) return 'stopped';
  }
  const last = Math.max(states.cnn.epoch, states.fcn.epoch);
  folder.saveState({ phase: 'done', completedEpoch: last, conversionEpoch: b.conversionEpoch, models: states });
  return 'done';
}

/** Epoch `epoch` of each of `trainers` in turn, on the epoch's one order and augmented batches. */
async function epochOf(run: Run, trainers: ModelTrainer[], epoch: number, phase: PhaseName, cap: (t: ModelTrainer) => number, label: (t: ModelTrainer) => string): Promise<EpochRecord[]> {
  const { settings } = run;
  const indices = trainingOrder(settings.seed, epoch, run.train.count, settings.batchSize, run.augment);
  const order = Tensor.from(indices, [indices.length], { device: run.device, dtype: 'int32' });
  try {
    const records: EpochRecord[] = [];
    for (const t of trainers) records.push(await modelEpoch(run, t, epoch, order, phase, cap(t), label(t)));
    return records;
  } finally {
    order.dispose();
  }
}

/**
 * One epoch of one model: trains it, evaluates it (validation with robustness, divergence of its
 * LC layers), updates early stopping and, when its phase ends (`cap` epochs, or an early stop),
 * tests its restored best weights. Throws NonFiniteLossError before anything is recorded.
 */
async function modelEpoch(run: Run, t: ModelTrainer, epoch: number, order: Tensor, phase: PhaseName, cap: number, label: string): Promise<EpochRecord> {
  const { settings, progress, yieldPoint } = run;
  const started = Date.now();
  progress.epochStart(label, batchesPerEpoch(run.train.count, settings.batchSize));
  const onBatch = (done: number, total: number, loss: () => number): void => progress.batch(done, total, loss);
  const train = await t.trainEpoch({ train: run.train, order, epoch, batchSize: settings.batchSize, augment: run.augment, yieldPoint, onBatch });
  if (!Number.isFinite(train.loss)) throw new NonFiniteLossError(t.name, epoch, 'the training loss', train.loss);
  progress.evaluating();
  const validation = await run.validation.evaluate(t.model, settings.robustness, yieldPoint);
  if (!Number.isFinite(validation.loss)) throw new NonFiniteLossError(t.name, epoch, 'the validation loss', validation.loss);
  const layers = layerDivergences(t.model);
  const improved = t.noteValidation(validation.accuracy);
  const testAccuracy = t.stoppedEarly || t.epochsInPhase >= cap ? await testBest(run, t) : null;
  const record = epochRecord(run.columns, { epoch, model: t.name, phase, train, validation, testAccuracy, layers, seconds: (Date.now() - started) / 1000 });
  progress.epochEnd(recordLine(record, label, improved));
  if (t.finished) progress.line(phaseEndLine(t.name, t.stoppedEarly ? `early stop (patience ${settings.patience})` : `epoch cap ${cap}`, t.best, testAccuracy));
  return record;
}

/** Step 5, for one model: ends its phase or branch with its best weights restored, and measures their test accuracy. */
async function testBest(run: Run, t: ModelTrainer): Promise<number | null> {
  t.finish();
  t.testAccuracy = run.test ? (await run.test.evaluate(t.model, false, run.yieldPoint)).accuracy : null;
  return t.testAccuracy;
}
