// The experiment, top to bottom: the paper's protocol as named steps. runTraining reads as the
// protocol does — the data, the CNN phase, the conversion, the branches (the CNN continued beside
// its locally connected twin, interleaved epoch by epoch on the same data order and
// augmentations), the test — and every step below it is one function. A run is resumable after
// any completed epoch: its folder (runFolder.ts) holds the state that says where it stands.
import { datasetLabels } from '../data/datasets';
import { resolveDevice, setNumThreads } from '../device';
import { Sequential } from '../nn/model';
import { type EpochRecord, type PhaseName, formatSummaryTable, summarize } from '../report';
import { Tensor } from '../tensor';
import { AugmentPlan, DeviceSplit, batchesPerEpoch, trainingOrder } from './batches';
import { freeWeightSharing } from './conversion';
import { loadRunData, onDevice } from './data';
import { Evaluator, RunColumns, epochRecord, layerDivergences, phaseEndLine, recordLine, runColumns } from './evaluate';
import { initModelFrom } from './initFrom';
import { NonFiniteLossError, Progress, RunInterrupted, YieldPoint, progressFor, stoppedLine } from './progress';
import { ModelState, RunState } from './runFiles';
import { RunFolder } from './runFolder';
import { RunOutcome, RunRequest, startFolder } from './runStart';
import { TrainSettings, checkSettings } from './settings';
import { fcnOptions } from './sharing';
import { ModelTrainer, makeOptimizer } from './trainer';

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
  /** A CNN trajectory (runs fork from its epochs): it trains to its cap or early stop without ending the phase, which each fork does. */
  trajectory: boolean;
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
  const folder = RunFolder.open(request.runDir, { png: request.png, warn, onLost, keepEpochs: request.keepEpochs });
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
    const run: Run = { ...onDevice(settings, device, data, own), settings, columns: runColumns(settings), folder, device, progress, yieldPoint: new YieldPoint(request.stop), own, epochDone, trajectory: (request.keepEpochs?.length ?? 0) > 0 };

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
  for (let epoch = (state?.completedEpoch ?? 0) + 1; !cnn.finished && !cnn.stoppedEarly && epoch <= settings.cnnEpochs; epoch++) {
    const [record] = await epochOf(run, [cnn], epoch, 'cnn', () => settings.cnnEpochs, () => `cnn epoch ${epoch}/${settings.cnnEpochs}`);
    folder.metrics.append([record]);
    folder.saveState({ phase: 'cnn', completedEpoch: epoch, conversionEpoch: null, models: { cnn: folder.saveModel(cnn), fcn: null } });
    if (run.epochDone(epoch)) return 'stopped';
  }
  if (!cnn.finished && !run.trajectory) {
    // Forked from a CNN trajectory after this epoch: the phase ends here, as it did in that epoch of a standalone run.
    const test = await testBest(run, cnn, 'cnn');
    folder.metrics.amend((r) => r.model === 'cnn' && r.epoch === cnn.epoch, { test_accuracy: test });
    run.progress.line(phaseEndLine('cnn', cnn.stoppedEarly ? `early stop (patience ${settings.patience})` : `epoch cap ${settings.cnnEpochs}`, cnn.best, test));
    folder.saveState({ phase: 'cnn', completedEpoch: cnn.epoch, conversionEpoch: null, models: { cnn: folder.saveModel(cnn), fcn: null } });
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
  const ends = (t.stoppedEarly || t.epochsInPhase >= cap) && !(run.trajectory && phase === 'cnn');
  const testAccuracy = ends ? await testBest(run, t, phase) : null;
  const record = epochRecord(run.columns, { epoch, model: t.name, phase, train, validation, testAccuracy, layers, seconds: (Date.now() - started) / 1000 });
  progress.epochEnd(recordLine(record, label, improved));
  if (t.finished) progress.line(phaseEndLine(t.name, t.stoppedEarly ? `early stop (patience ${settings.patience})` : `epoch cap ${cap}`, t.best, testAccuracy));
  return record;
}

/**
 * Step 5, for one model: ends its phase or branch with its best weights restored, and measures their
 * test accuracy. With --convert last the CNN then takes back its last weights, which both branches start from.
 */
async function testBest(run: Run, t: ModelTrainer, phase: PhaseName): Promise<number | null> {
  const last = run.settings.convert === 'last' && phase === 'cnn' ? t.model.state() : null;
  t.finish();
  t.testAccuracy = run.test ? (await run.test.evaluate(t.model, false, run.yieldPoint)).accuracy : null;
  if (last) t.model.loadState(last);
  return t.testAccuracy;
}
