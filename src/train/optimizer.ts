// The run's optimizer (Adam or SGD with momentum), seen through the Optimizer interface.
import { Adam, Optimizer, SGD } from '../ops/optim';
import { TrainSettings } from './settings';

export type { Optimizer, OptimizerMeta, OptimizerStateArray } from '../ops/optim';

/** A new optimizer as the settings ask (Adam with Keras' defaults but lr; SGD with momentum). */
export function makeOptimizer(settings: Pick<TrainSettings, 'optimizer' | 'lr' | 'momentum'>): Optimizer {
  return settings.optimizer === 'sgd' ? new SGD({ lr: settings.lr, momentum: settings.momentum }) : new Adam({ lr: settings.lr });
}
