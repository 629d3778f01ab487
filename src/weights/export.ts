// `wsr-native export`: one model's weights from a run's checkpoints as a weights-only safetensors
// file, under the names PyTorch state_dicts use (`conv1.weight`, `dense1.bias`, …) with the network
// spec, the run's settings and the layouts in the metadata.
import fs from 'fs';
import path from 'path';
import type { ModelName } from '../report';
import { CHECKPOINT_EXTENSION, readConfig, readRunState, runPaths } from '../train/runFiles';
import { checkpointName, readModelWeights } from '../train/trainer';
import { LowRankPlan, MaskPlan, parameterShapes, planNetwork } from '../nn/plan';
import type { NetworkSpec } from '../nn/spec';
import { lowRankMaterialize } from '../ops/lowrank';
import { vcpMask } from '../ops/sharing';
import { Tensor } from '../tensor';
import { writeSafetensors } from '../safetensors';

/** The `format` in a weights file's metadata. */
export const WEIGHTS_FORMAT = 'wsr-native-weights';

/** How each kind of tensor is laid out (row-major), as the metadata records it. */
export const WEIGHT_LAYOUTS: Readonly<Record<string, string>> = Object.freeze({
  'conv<i>.weight': '[K, C, KH, KW] (as torch.nn.Conv2d)',
  'conv<i>.bias': '[K]',
  'lc<i>.weight': '[OH, OW, K, C, KH, KW]: output position (OH, OW) has its own conv-shaped filter bank',
  'lc<i>.bias': '[OH, OW, K]',
  'lc<i>.tied': '[K, C, KH, KW]: the shared filter the layer was converted from (not trained)',
  'lc<i>.bases': '[R, K, C, KH, KW]: a low-rank layer\'s R basis banks (--lc-rank R)',
  'lc<i>.basisBias': '[R, K]: their biases',
  'lc<i>.logits': '[OH, OW, R]: each position\'s combining logits; its bank is Σ_r softmax(logits[i, j])_r · bases[r], its bias likewise',
  'dense<i>.weight': '[out, in] (as torch.nn.Linear); its input is the C-major flattening of [C, H, W]',
  'mask<i>.mask': '[C, H, W] of 0/1: the fixed input mask (--vcp) the next layer\'s input is multiplied by, for every image',
  'dense<i>.bias': '[out]',
});

/** Which checkpoint of a model to export: its best epoch, its latest one, or epoch N. */
export type ExportEpoch = 'best' | 'last' | number;

/** Options of {@link exportWeights}. */
export interface ExportOptions {
  model: ModelName;
  epoch: ExportEpoch;
  /** The output file (default `<run>/export/<model>-e<epoch>.safetensors`). */
  out?: string;
  /** Also write each low-rank layer's materialised banks and biases as `lc<i>.weight` and `lc<i>.bias`. */
  materialize?: boolean;
}

/** What {@link exportWeights} wrote. */
export interface ExportResult {
  file: string;
  /** The checkpoint it came from. */
  checkpoint: string;
  epoch: number;
  tensors: number;
  /** Trainable values (tied kernels not counted). */
  parameters: number;
}

function checkpointFile(runDir: string, model: ModelName, epoch: ExportEpoch): string {
  const paths = runPaths(runDir);
  const state = readRunState(paths);
  if (!state) throw new Error(`${paths.dir}: the run has completed no epoch yet, so it has no weights to export`);
  const models = state.models;
  const m = models[model];
  if (!m) throw new Error(`${paths.dir}: the run has no ${model.toUpperCase()} (it converts after the CNN phase; phase now: ${state.phase})`);
  if (epoch === 'last') return path.join(paths.checkpoints, m.file);
  if (epoch === 'best') {
    if (!m.bestFile) throw new Error(`${paths.dir}: the ${model} has no best epoch yet in its ${state.phase === 'cnn' ? 'phase' : 'branch'}; use --epoch last`);
    return path.join(paths.checkpoints, m.bestFile);
  }
  const file = path.join(paths.checkpoints, checkpointName(model, epoch));
  if (!fs.existsSync(file)) {
    const pattern = new RegExp(`^${model}-e(\\d+)${CHECKPOINT_EXTENSION.replace('.', '\\.')}$`);
    const kept = fs
      .readdirSync(paths.checkpoints)
      .map((name) => pattern.exec(name)?.[1])
      .filter((n): n is string => n !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
    throw new Error(
      `${paths.dir}: no checkpoint of the ${model} at epoch ${epoch}; the run keeps only the latest and the best ` +
        `(epochs ${kept.join(', ') || 'none'})`,
    );
  }
  return file;
}

/** The VCP input masks of a network (its `mask` layers), drawn again from their seeds: the function needs them. */
function inputMasks(network: NetworkSpec): { name: string; data: Float32Array; shape: number[] }[] {
  return planNetwork(network)
    .filter((plan): plan is MaskPlan => plan.kind === 'mask')
    .map((plan) => {
      const mask = vcpMask(plan.inputShape, plan.drop, plan.seed, 'cpu');
      try {
        return { name: `${plan.name}.mask`, data: mask.toArray(), shape: plan.inputShape };
      } finally {
        mask.dispose();
      }
    });
}

/** Each low-rank layer's banks and biases as a full locally connected layer's, mixed from its bases by its logits. */
function materializedBanks(network: NetworkSpec, weights: Map<string, Float32Array>): { name: string; data: Float32Array; shape: number[] }[] {
  const onCpu = (name: string, shape: number[]): Tensor => Tensor.from(weights.get(name)!, shape, { device: 'cpu' });
  return planNetwork(network)
    .filter((plan): plan is LowRankPlan => plan.kind === 'lowrank')
    .flatMap((plan) => {
      const [bases, basisBias, logits] = parameterShapes(plan).map(({ name, shape }) => onCpu(name, shape));
      try {
        const { weight, bias } = lowRankMaterialize(bases, basisBias, logits);
        const out = [
          { name: `${plan.name}.weight`, data: weight.toArray(), shape: weight.shape },
          { name: `${plan.name}.bias`, data: bias!.toArray(), shape: bias!.shape },
        ];
        weight.dispose();
        bias!.dispose();
        return out;
      } finally {
        for (const t of [bases, basisBias, logits]) t.dispose();
      }
    });
}

/**
 * Writes one model of a run as a weights-only safetensors file (atomically): every tensor of its
 * checkpoint's weights under its own name, no optimizer state; the metadata has `format`
 * (wsr-native-weights) and `version` as text, and as JSON text `model`, `epoch`, `network` (the
 * spec), `settings` (the run's), `layouts` and `source`.
 */
export function exportWeights(runDir: string, options: ExportOptions): ExportResult {
  const paths = runPaths(runDir);
  const config = readConfig(paths);
  const checkpoint = checkpointFile(runDir, options.model, options.epoch);
  const { meta, weights, shapes } = readModelWeights(checkpoint);
  if (meta.model !== options.model) throw new Error(`${checkpoint}: holds model ${meta.model}, expected ${options.model}`);
  const out = path.resolve(options.out ?? path.join(paths.dir, 'export', checkpointName(options.model, meta.epoch)));
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const tensors = [...weights].map(([name, data]) => ({ name, data, shape: shapes.get(name)! }));
  // The trainable values: the checkpoint's weights, not the tied kernels, masks or materialised banks.
  const parameters = tensors.filter((t) => !t.name.endsWith('.tied')).reduce((n, t) => n + t.data.length, 0);
  tensors.push(...inputMasks(meta.network));
  if (options.materialize) tensors.push(...materializedBanks(meta.network, weights));
  const json = JSON.stringify;
  writeSafetensors(out, tensors, {
    format: WEIGHTS_FORMAT,
    version: '1',
    model: json(meta.model),
    epoch: json(meta.epoch),
    network: json(meta.network),
    settings: json(config.settings),
    layouts: json(WEIGHT_LAYOUTS),
    source: json({ run: paths.dir, checkpoint: path.basename(checkpoint), package: config.package, exported: new Date().toISOString() }),
  });
  return { file: out, checkpoint, epoch: meta.epoch, tensors: tensors.length, parameters };
}
