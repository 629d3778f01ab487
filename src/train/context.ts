// What every part of a run shares: settings, folder, data on the device, evaluators, seeds,
// progress and the stop request; and the one-epoch step of a model that uses them.
import type { EpochRecord, ModelName, PhaseName } from '../report';
import { Tensor } from '../tensor';
import { AugmentPlan, trainingOrder } from './augmentBatch';
import { DeviceSplit } from './deviceData';
import { layerDivergences } from './divergence';
import { Evaluator } from './evaluate';
import { MetricsLog } from './metricsLog';
import { batchesPerEpoch } from './order';
import { Progress } from './progress';
import { epochRecord, recordLine } from './records';
import { RunPaths } from './runFolder';
import { TrainSettings } from './settings';
import { ModelTrainer } from './trainer';
import { YieldPoint } from './yieldPoint';

/** A model's loss became NaN or infinite: the run stops and keeps the last good checkpoint. */
export class NonFiniteLossError extends Error {
  /** The last completed epoch, whose checkpoint is kept (0: none); set by the run. */
  lastGoodEpoch = 0;

  constructor(
    readonly model: ModelName,
    readonly epoch: number,
    readonly what: string,
    readonly value: number,
  ) {
    super(`${model} epoch ${epoch}: ${what} is ${value}; training diverged`);
    this.name = 'NonFiniteLossError';
  }
}

/** The shared parts of a run. */
export interface RunContext {
  settings: TrainSettings;
  paths: RunPaths;
  device: string;
  train: DeviceSplit;
  validation: Evaluator;
  /** null without a test set (the paper split). */
  test: Evaluator | null;
  /** The validation images (for the conversion check). */
  validationSplit: DeviceSplit;
  /** The training augmentations and their seeds. */
  augment: AugmentPlan;
  progress: Progress;
  metrics: MetricsLog;
  yieldPoint: YieldPoint;
}

/** The epoch's order on the device (int32 [train count], swaps chosen); the caller disposes it. */
export function orderTensor(ctx: RunContext, epoch: number): Tensor {
  const order = trainingOrder(ctx.settings.seed, epoch, ctx.train.count, ctx.settings.batchSize, ctx.augment);
  return Tensor.from(order, [order.length], { device: ctx.device, dtype: 'int32' });
}

/** Test accuracy of the trainer's current weights, or null without a test set. */
export async function testAccuracy(ctx: RunContext, trainer: ModelTrainer): Promise<number | null> {
  if (!ctx.test) return null;
  return (await ctx.test.evaluate(trainer.model, false, ctx.yieldPoint)).accuracy;
}

/**
 * One epoch of one model: trains it, evaluates it (validation with robustness, divergence of its LC
 * layers), updates early stopping, and when its phase ends (`cap` epochs in the phase, or early
 * stopping) restores its best weights and measures test accuracy. Returns the epoch's record.
 * Throws {@link NonFiniteLossError} on a NaN or infinite loss, before anything is recorded.
 */
export async function runModelEpoch(
  ctx: RunContext,
  trainer: ModelTrainer,
  epoch: number,
  order: Tensor,
  phase: PhaseName,
  cap: number,
  label: string,
): Promise<EpochRecord> {
  const { settings, progress } = ctx;
  const started = Date.now();
  progress.epochStart(label, batchesPerEpoch(ctx.train.count, settings.batchSize));
  const train = await trainer.trainEpoch({
    train: ctx.train,
    order,
    epoch,
    batchSize: settings.batchSize,
    augment: ctx.augment,
    yieldPoint: ctx.yieldPoint,
    onBatch: (done, total, loss) => progress.batch(done, total, loss),
  });
  if (!Number.isFinite(train.loss)) throw new NonFiniteLossError(trainer.name, epoch, 'the training loss', train.loss);
  progress.evaluating();
  const validation = await ctx.validation.evaluate(trainer.model, settings.robustness, ctx.yieldPoint);
  if (!Number.isFinite(validation.loss)) throw new NonFiniteLossError(trainer.name, epoch, 'the validation loss', validation.loss);
  const layers = layerDivergences(trainer.model);
  const improved = trainer.noteValidation(validation.accuracy);
  let test: number | null = null;
  if (trainer.stoppedEarly || trainer.epochsInPhase >= cap) {
    trainer.finish();
    test = await testAccuracy(ctx, trainer);
    trainer.testAccuracy = test;
  }
  const record = epochRecord(settings, {
    epoch,
    model: trainer.name,
    phase,
    train,
    validation,
    testAccuracy: test,
    layers,
    seconds: (Date.now() - started) / 1000,
  });
  progress.epochEnd(recordLine(record, label, improved));
  if (trainer.finished) {
    const best = trainer.best;
    const why = trainer.stoppedEarly ? `early stop (patience ${settings.patience})` : `epoch cap ${cap}`;
    const acc = best.accuracy === null ? '-' : `${(100 * best.accuracy).toFixed(2)}%`;
    const testText = test === null ? 'no test set' : `test accuracy ${(100 * test).toFixed(2)}%`;
    progress.line(`${trainer.name}: ${why}; best validation accuracy ${acc} at epoch ${best.epoch} restored; ${testText}`);
  }
  return record;
}
