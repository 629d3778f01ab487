// Every case the bench can time, filtered by the options: op × shape × batch, each with its
// contenders (ours, the tfjs baselines, and PyTorch with --torch).
import { oursContenders, tfjsContenders, OursFactory, TfjsFactory } from './contenders';
import {
  adamFlops,
  denseBackwardFlops,
  denseForwardFlops,
  distanceFlops,
  networkForwardFlops,
  sgdFlops,
  trainStepFlops,
  windowFlops,
} from './flops';
import { BenchOptions, shapeMatches } from './options';
import { denseWorkload } from './ours/dense';
import { distanceWorkload } from './ours/distance';
import { optimizerWorkload } from './ours/optim';
import { stepWorkload } from './ours/step';
import { WindowPass, windowWorkload } from './ours/windows';
import { NETWORKS, NetworkShape, denseShapes, windowShapes } from './shapes';
import { tfjsDenseWorkload } from './tfjs/dense';
import { tfjsDistanceWorkload } from './tfjs/distance';
import { Tfjs } from './tfjs/load';
import { tfjsStepWorkload } from './tfjs/network';
import { tfjsOptimizerWorkload } from './tfjs/optim';
import { tfjsWindowWorkload } from './tfjs/windows';
import { TorchCaseSpec, torchContenders } from './torch/contenders';
import { TorchHarness } from './torch/harness';
import { BenchCase, OpName } from './types';

/** The radii of the distance benchmark: the papers' two windows. */
export const BENCH_RADII = [1, 4];

const WINDOW_OPS: Partial<Record<OpName, { local: boolean; pass: WindowPass }>> = {
  conv_forward: { local: false, pass: 'forward' },
  conv_backward_input: { local: false, pass: 'backward_input' },
  conv_backward_weight: { local: false, pass: 'backward_weight' },
  lc_forward: { local: true, pass: 'forward' },
  lc_backward_input: { local: true, pass: 'backward_input' },
  lc_backward_weight: { local: true, pass: 'backward_weight' },
};

/** Parameter tensor sizes of a network, in the order the training step updates them. */
export function parameterSizes(net: NetworkShape, local: boolean): number[] {
  const sizes: number[] = [];
  for (const s of net.windows) {
    const positions = local ? s.oh * s.ow : 1;
    sizes.push(positions * s.k * s.c * s.kh * s.kw, positions * s.k);
  }
  for (const d of net.dense) sizes.push(d.inputs * d.outputs, d.outputs);
  return sizes;
}

/** Each network in its conv form ('<net>.cnn') and LC form ('<net>.fcn'). */
function networkForms(): { name: string; net: NetworkShape; local: boolean }[] {
  return NETWORKS.flatMap((net) => [
    { name: `${net.name}.cnn`, net, local: false },
    { name: `${net.name}.fcn`, net, local: true },
  ]);
}

export function buildCases(options: BenchOptions, t: Tfjs | null, torch: TorchHarness | null = null): BenchCase[] {
  const cases: BenchCase[] = [];
  const add = (
    op: OpName,
    shape: string,
    batch: number | null,
    flops: number,
    ours: OursFactory,
    theirs: TfjsFactory,
    torchSpec: TorchCaseSpec,
  ) => {
    if (!shapeMatches(shape, options.shapes)) return;
    const contenders = [
      ...oursContenders(options, ours),
      ...tfjsContenders(options, t, op, flops, theirs),
      ...torchContenders(options, torch, torchSpec),
    ];
    // Layout matters only where there are activations with channels.
    const spatial = WINDOW_OPS[op] !== undefined || op === 'train_step' || op === 'eval_step';
    if (!spatial) contenders.forEach((c) => (c.layout = null));
    cases.push({ op, shape, batch, flops, contenders });
  };
  for (const op of options.ops) {
    const win = WINDOW_OPS[op];
    if (win) {
      for (const batch of options.batches)
        for (const s of windowShapes())
          add(
            op,
            s.name,
            batch,
            windowFlops(s, batch),
            (device) => windowWorkload(s, batch, win.local, win.pass, device),
            (tf, backend) => tfjsWindowWorkload(tf, backend, s, batch, win.local, win.pass),
            { op, batch, shape: s },
          );
    } else if (op === 'dense_forward' || op === 'dense_backward') {
      const backward = op === 'dense_backward';
      for (const batch of options.batches)
        for (const s of denseShapes())
          add(
            op,
            s.name,
            batch,
            backward ? denseBackwardFlops(s, batch) : denseForwardFlops(s, batch),
            (device) => denseWorkload(s, batch, backward, device),
            (tf, backend) => tfjsDenseWorkload(tf, backend, s, batch, backward),
            { op, batch, shape: s },
          );
    } else if (op === 'adam_update' || op === 'sgd_update') {
      const adam = op === 'adam_update';
      for (const form of networkForms()) {
        const sizes = parameterSizes(form.net, form.local);
        const elements = sizes.reduce((a, b) => a + b, 0);
        add(
          op,
          form.name,
          null,
          adam ? adamFlops(elements) : sgdFlops(elements),
          (device) => optimizerWorkload(sizes, adam, device),
          (tf) => tfjsOptimizerWorkload(tf, sizes, adam),
          { op, sizes },
        );
      }
    } else if (op === 'distances') {
      for (const net of NETWORKS) {
        const s = net.windows[0];
        add(
          op,
          s.name,
          null,
          distanceFlops(s, BENCH_RADII),
          (device) => distanceWorkload(s, BENCH_RADII, device),
          (tf) => tfjsDistanceWorkload(tf, s, BENCH_RADII),
          { op, shape: s, radii: BENCH_RADII },
        );
      }
    } else {
      const train = op === 'train_step';
      for (const batch of options.batches)
        for (const form of networkForms())
          add(
            op,
            form.name,
            batch,
            train ? trainStepFlops(form.net, batch, form.local) : networkForwardFlops(form.net, batch),
            (device) => stepWorkload(form.net, batch, form.local, train, device),
            (tf, backend) => tfjsStepWorkload(tf, backend, form.net, batch, form.local, train),
            { op, batch, net: form.net, local: form.local },
          );
    }
  }
  return cases;
}
