// The paper's protocol: the CNN phase, the conversion, and the two branches (the CNN continued and
// the converted FCN) interleaved epoch by epoch under the same data order and augmentations.
import { Sequential } from '../nn/model';
import { datasetInfo } from '../data/datasets';
import type { EpochRecord } from '../report';
import { RunContext, orderTensor, runModelEpoch } from './context';
import { checkConversion, describeConversion } from './conversion';
import { layerDivergences } from './divergence';
import { makeOptimizer } from './optimizer';
import { epochRecord } from './records';
import { ModelState, RunConfig, RunState, pruneCheckpoints, writeConfig, writeRunState } from './runFolder';
import { ModelTrainer, writePhaseCheckpoint } from './trainer';
import { initModelFrom } from '../weights/initFrom';

/** Called after each completed epoch; returns true to stop the run there. */
export type EpochDone = (epoch: number) => boolean;

/** The two branches, ready to train. */
export interface BranchState {
  cnn: ModelTrainer;
  fcn: ModelTrainer;
  conversionEpoch: number;
  completedEpoch: number;
  /** The current run-state entry of each model. */
  states: { cnn: ModelState; fcn: ModelState };
}

/** What the CNN phase left: stopped on request, or the branches to run (null when there are none). */
export interface CnnPhaseResult {
  stopped: boolean;
  branchState: BranchState | null;
}

function newTrainer(ctx: RunContext, name: 'cnn', cleanup: { dispose(): void }[]): ModelTrainer {
  const { settings } = ctx;
  const model = Sequential.create(datasetInfo(settings.dataset).network, { device: ctx.device, seed: settings.seed });
  const trainer = new ModelTrainer(name, model, makeOptimizer(settings), settings.patience);
  cleanup.push(trainer);
  return trainer;
}

function saveState(ctx: RunContext, state: Omit<RunState, 'format' | 'version' | 'updated'>): void {
  const full: RunState = { format: 'wsr-native-run-state', version: 1, ...state, updated: new Date().toISOString() };
  writeRunState(ctx.paths, full);
  pruneCheckpoints(ctx.paths, full);
}

/**
 * The CNN phase (or, for a run resumed after it, the restored branches): trains the CNN up to
 * --cnn-epochs or early stop, checkpointing every epoch, then converts it.
 */
export async function runCnnPhase(
  ctx: RunContext,
  state: RunState | null,
  config: RunConfig,
  onEpochDone: EpochDone,
  cleanup: { dispose(): void }[],
): Promise<CnnPhaseResult> {
  const { settings, paths } = ctx;
  if (state?.phase === 'done') {
    ctx.progress.line('the run is already finished');
    return { stopped: false, branchState: null };
  }
  if (state?.phase === 'branch') return { stopped: false, branchState: restoreBranches(ctx, state, cleanup) };

  const cnn = newTrainer(ctx, 'cnn', cleanup);
  if (state) cnn.restore(paths, state.models.cnn, settings.patience);
  else if (settings.initFrom) {
    config.initFrom = initModelFrom(cnn.model, settings.initFrom, config.initFrom ?? null);
    writeConfig(paths, config);
    ctx.progress.line(`the CNN starts from ${settings.initFrom} (SHA-256 ${config.initFrom.sha256})`);
  }
  for (let epoch = (state?.completedEpoch ?? 0) + 1; !cnn.finished && epoch <= settings.cnnEpochs; epoch++) {
    const order = orderTensor(ctx, epoch);
    let record: EpochRecord;
    try {
      record = await runModelEpoch(ctx, cnn, epoch, order, 'cnn', settings.cnnEpochs, `cnn epoch ${epoch}/${settings.cnnEpochs}`);
    } finally {
      order.dispose();
    }
    ctx.metrics.append([record]);
    saveState(ctx, { phase: 'cnn', completedEpoch: epoch, conversionEpoch: null, models: { cnn: cnn.save(paths), fcn: null } });
    if (onEpochDone(epoch)) return { stopped: true, branchState: null };
  }
  writePhaseCheckpoint(paths.cnnPhase, cnn);
  ctx.progress.line(`CNN phase done at epoch ${cnn.epoch}: ${paths.cnnPhase}`);
  if (settings.fcnEpochs === 0) {
    saveState(ctx, { phase: 'done', completedEpoch: cnn.epoch, conversionEpoch: null, models: { cnn: cnn.save(paths), fcn: null } });
    return { stopped: false, branchState: null };
  }
  return { stopped: false, branchState: await convert(ctx, cnn, config, cleanup) };
}

/** Converts the CNN into its locally connected twin, checks it, records the conversion point and starts both branches. */
async function convert(ctx: RunContext, cnn: ModelTrainer, config: RunConfig, cleanup: { dispose(): void }[]): Promise<BranchState> {
  const { settings, paths } = ctx;
  const started = Date.now();
  const epoch = cnn.epoch;
  const fcnModel = cnn.model.toLocal();
  const fcn = new ModelTrainer('fcn', fcnModel, makeOptimizer(settings), settings.patience);
  cleanup.push(fcn);
  fcn.epoch = epoch;
  const layers = layerDivergences(fcnModel);
  const check = checkConversion(cnn.model, fcnModel, ctx.validationSplit, settings.batchSize, epoch, layers);
  ctx.progress.line(describeConversion(check));
  // config.json keeps the numbers; the divergence maps (all zeros here) live in metrics.jsonl.
  config.conversion = { ...check, layers: check.layers.map(({ divergenceMap: _map, ...rest }) => rest) };
  writeConfig(paths, config);
  const validation = await ctx.validation.evaluate(fcnModel, settings.robustness, ctx.yieldPoint);
  // The conversion point: the FCN before any training (no training loss of its own, hence NaN).
  const record = epochRecord(settings, {
    epoch,
    model: 'fcn',
    phase: 'cnn',
    train: { loss: NaN, accuracy: NaN },
    validation,
    testAccuracy: null,
    layers,
    seconds: (Date.now() - started) / 1000,
  });
  ctx.metrics.append([record]);

  const phaseTest = cnn.testAccuracy;
  cnn.beginPhase(settings.patience);
  fcn.beginPhase(settings.patience);
  if (settings.cnnContinueEpochs === 0) {
    cnn.finished = true;
    cnn.testAccuracy = phaseTest;
  }
  const states = { cnn: cnn.save(paths), fcn: fcn.save(paths) };
  saveState(ctx, { phase: 'branch', completedEpoch: epoch, conversionEpoch: epoch, models: states });
  return { cnn, fcn, conversionEpoch: epoch, completedEpoch: epoch, states };
}

function restoreBranches(ctx: RunContext, state: RunState, cleanup: { dispose(): void }[]): BranchState {
  const { settings, paths } = ctx;
  if (!state.models.fcn || state.conversionEpoch === null) throw new Error(`${paths.state}: a branch state without the FCN`);
  const cnn = newTrainer(ctx, 'cnn', cleanup);
  // The FCN's shell comes from converting the CNN (much cheaper than a fresh seeded initialisation);
  // every parameter and tied kernel is then overwritten by its checkpoint.
  const fcn = new ModelTrainer('fcn', cnn.model.toLocal(), makeOptimizer(settings), settings.patience);
  cleanup.push(fcn);
  fcn.restore(paths, state.models.fcn, settings.patience);
  cnn.restore(paths, state.models.cnn, settings.patience);
  return {
    cnn,
    fcn,
    conversionEpoch: state.conversionEpoch,
    completedEpoch: state.completedEpoch,
    states: { cnn: state.models.cnn, fcn: state.models.fcn },
  };
}

/**
 * Both branches, interleaved: in epoch e the continued CNN trains, then the FCN, on the same order
 * and augmented batches. A branch that ends (cap or early stop) stops while the other goes on.
 */
export async function runBranchPhase(ctx: RunContext, b: BranchState, onEpochDone: EpochDone): Promise<{ stopped: boolean }> {
  const { settings, paths } = ctx;
  const caps = { cnn: settings.cnnContinueEpochs, fcn: settings.fcnEpochs };
  const states = { ...b.states };
  for (let epoch = b.completedEpoch + 1; ; epoch++) {
    const active = [b.cnn, b.fcn].filter((t) => !t.finished);
    if (active.length === 0) break;
    const order = orderTensor(ctx, epoch);
    const records: EpochRecord[] = [];
    try {
      for (const t of active) {
        const label = `${t.name} epoch ${epoch} (branch ${t.epochsInPhase + 1}/${caps[t.name]})`;
        records.push(await runModelEpoch(ctx, t, epoch, order, 'branch', caps[t.name], label));
      }
    } finally {
      order.dispose();
    }
    ctx.metrics.append(records);
    for (const t of active) states[t.name] = t.save(paths);
    saveState(ctx, { phase: 'branch', completedEpoch: epoch, conversionEpoch: b.conversionEpoch, models: states });
    if (onEpochDone(epoch)) return { stopped: true };
  }
  const last = Math.max(states.cnn.epoch, states.fcn.epoch);
  saveState(ctx, { phase: 'done', completedEpoch: last, conversionEpoch: b.conversionEpoch, models: states });
  return { stopped: false };
}
