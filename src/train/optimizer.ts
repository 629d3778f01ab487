// The run's optimizer (Adam or SGD with momentum) and its state as checkpoint tensors.
import { Adam, SGD } from '../ops/optim';
import { TrainSettings } from './settings';

/** Either optimizer. */
export type Optimizer = Adam | SGD;

/** A new optimizer as the settings ask (Adam with Keras' defaults but lr; SGD with momentum). */
export function makeOptimizer(settings: Pick<TrainSettings, 'optimizer' | 'lr' | 'momentum'>): Optimizer {
  return settings.optimizer === 'sgd' ? new SGD({ lr: settings.lr, momentum: settings.momentum }) : new Adam({ lr: settings.lr });
}

/** The optimizer's kind and update count, for a checkpoint's meta. */
export interface OptimizerMeta {
  kind: 'adam' | 'sgd';
  step: number;
  /** Parameters the state covers (0 before the first step). */
  parameters: number;
}

const PREFIX = 'optimizer/';

/** The optimizer's state as named arrays (`optimizer/m/3`, …) and its meta. */
export function optimizerTensors(optimizer: Optimizer): { meta: OptimizerMeta; tensors: Map<string, Float32Array> } {
  const tensors = new Map<string, Float32Array>();
  if (optimizer instanceof Adam) {
    const s = optimizer.state();
    s.m.forEach((a, i) => tensors.set(`${PREFIX}m/${i}`, a));
    s.v.forEach((a, i) => tensors.set(`${PREFIX}v/${i}`, a));
    return { meta: { kind: 'adam', step: s.step, parameters: s.m.length }, tensors };
  }
  const s = optimizer.state();
  s.velocity.forEach((a, i) => tensors.set(`${PREFIX}velocity/${i}`, a));
  return { meta: { kind: 'sgd', step: s.step, parameters: s.velocity.length }, tensors };
}

/** Restores the state written by {@link optimizerTensors} into an optimizer of the same kind. */
export function loadOptimizerTensors(optimizer: Optimizer, meta: OptimizerMeta, tensors: Map<string, Float32Array>, file: string): void {
  const kind = optimizer instanceof Adam ? 'adam' : 'sgd';
  if (meta.kind !== kind) throw new Error(`${file}: the checkpoint holds ${meta.kind} state, the run uses ${kind}`);
  const list = (name: string): Float32Array[] =>
    Array.from({ length: meta.parameters }, (_, i) => {
      const a = tensors.get(`${PREFIX}${name}/${i}`);
      if (!a) throw new Error(`${file}: optimizer state ${name}/${i} is missing`);
      return a;
    });
  if (optimizer instanceof Adam) optimizer.loadState({ step: meta.step, m: list('m'), v: list('v') });
  else optimizer.loadState({ step: meta.step, velocity: list('velocity') });
}
