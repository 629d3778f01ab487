// Low-rank locally connected layers in networks: the spec and the plan (names, shapes, the rank limit),
// the CNN → low-rank conversion (Sequential.toLocal({ rank, seed }): the CNN's function exactly, as the
// full conversion), the layer's materialised banks in localLayers() kept current after optimizer steps,
// training, clone, state and loadState, and a low-rank network made from scratch.
import { Sequential } from '../src/nn/model';
import { parameterShapes, planNetwork, specParameterCount } from '../src/nn/plan';
import { NetworkSpec, toLocalSpec, windowSeed } from '../src/nn/spec';
import { softmaxCrossEntropy, readLossStats } from '../src/ops/activation';
import { convToLowRank, lowRankMaterialize } from '../src/ops/lowrank';
import { Adam } from '../src/ops/optim';
import { Tensor } from '../src/tensor';
import { expectClose } from './helpers/compare';
import { testDevices } from './helpers/devices';
import { SMALL_CNN } from './helpers/networks';
import { random } from './helpers/random';

function input(n: number, device: string, seed?: number): Tensor {
  const [c, h, w] = SMALL_CNN.inputShape;
  return Tensor.from(random(seed).uniform(n * c * h * w, 0, 1), [n, c, h, w], { device });
}

/** A CNN whose biases are not zero, so the conversion of biases shows. */
function trainedLikeCnn(device: string, seed: number): Sequential {
  const cnn = Sequential.create(SMALL_CNN, { device, seed });
  const rng = random(seed);
  for (const p of cnn.parameters()) if (p.name.endsWith('.bias')) p.value.write(rng.uniform(p.value.size, -0.1, 0.1));
  return cnn;
}

describe('spec and plan', () => {
  test('toLocalSpec with a rank: lowrank layers named lc<N>, shapes, parameter names and count', () => {
    const spec = toLocalSpec(SMALL_CNN, { rank: 3 });
    expect(spec.name).toBe('small-lrlc3');
    expect(spec.layers[0]).toEqual({ type: 'lowrank', filters: 4, kernel: 3, stride: 2, rank: 3 });
    expect(spec.layers[2]).toEqual({ type: 'lowrank', filters: 5, kernel: 2, padding: 'same', rank: 3 });
    const plans = planNetwork(spec);
    expect(plans.map((p) => p.name)).toEqual(['lc1', 'relu1', 'lc2', 'relu2', 'flatten', 'dense1', 'relu3', 'dense2']);
    const lc2 = plans[2];
    if (lc2.kind !== 'lowrank') throw new Error('expected a lowrank plan');
    expect([lc2.rank, lc2.basesShape, lc2.basisBiasShape, lc2.logitsShape]).toEqual([3, [3, 5, 4, 2, 2], [3, 5], [4, 5, 3]]);
    expect([lc2.weightShape, lc2.biasShape, lc2.outputShape]).toEqual([[4, 5, 5, 4, 2, 2], [4, 5, 5], [5, 4, 5]]);
    expect(parameterShapes(lc2).map((p) => p.name)).toEqual(['lc2.bases', 'lc2.basisBias', 'lc2.logits']);
    // lc1: 3·(4·3·3·3 + 4) + 20·3; lc2: 3·(5·4·2·2 + 5) + 20·3; dense: 100·6 + 6 + 6·3 + 3.
    expect(specParameterCount(spec)).toBe(3 * 112 + 60 + 3 * 85 + 60 + 606 + 21);
    // Freed layers keep their window numbers whatever their form; masks take the number of the layer they precede.
    const part = toLocalSpec(SMALL_CNN, { layers: [2], rank: 2, mask: { drop: 0.5, seed: 1 } });
    expect(planNetwork(part).map((p) => p.name).slice(0, 4)).toEqual(['conv1', 'relu1', 'mask2', 'lc2']);
    expect(toLocalSpec(toLocalSpec(SMALL_CNN, { layers: [1], rank: 2 }), { layers: [2] }).layers.map((l) => l.type).slice(0, 3)).toEqual([
      'lowrank', 'relu', 'local',
    ]);
  });

  test('rank limits: an integer >= 1, at most the positions of the layer (named with its limit)', () => {
    expect(() => toLocalSpec(SMALL_CNN, { rank: 0 })).toThrow(/^toLocalSpec: rank must be an integer >= 1, got 0$/);
    expect(() => toLocalSpec(SMALL_CNN, { rank: 2.5 })).toThrow(/^toLocalSpec: rank must be an integer >= 1, got 2.5$/);
    expect(planNetwork(toLocalSpec(SMALL_CNN, { rank: 20 }))[0].name).toBe('lc1'); // rank = positions
    expect(() => planNetwork(toLocalSpec(SMALL_CNN, { rank: 21 }))).toThrow(
      /^network "small-lrlc21": layers\[0\] \(lc1\): rank 21 exceeds the layer's 4x5 = 20 output positions; at most 20/,
    );
    const spec: NetworkSpec = { ...SMALL_CNN, layers: [{ type: 'lowrank', filters: 4, kernel: 3, stride: 2, rank: 0 }, ...SMALL_CNN.layers.slice(1)] };
    expect(() => planNetwork(spec)).toThrow(/layers\[0\] \(lc1\): rank must be an integer >= 1, got 0/);
  });
});

describe.each(testDevices)('low-rank networks on %s', (device) => {
  test('toLocal({ rank, seed }) computes exactly what the full conversion does, and so the CNN', () => {
    const cnn = trainedLikeCnn(device, 5);
    const fcn = cnn.toLocal();
    const lr = cnn.toLocal({ rank: 3, seed: 17 });
    const x = input(4, device);
    try {
      expect(lr.spec.name).toBe('small-lrlc3');
      expect(lr.layers.map((l) => l.kind).slice(0, 3)).toEqual(['lowrank', 'relu', 'lowrank']);
      const logits = lr.forward(x, false).toArray();
      expect(logits).toEqual(fcn.forward(x, false).toArray()); // bit for bit: the materialised banks are convToLocal's
      expectClose(logits, cnn.forward(x, false).toArray(), 'low-rank vs CNN logits', { rtol: 1e-5, atol: 1e-6 });
      // The views: materialised banks equal to the full conversion's, tied kernels the conv kernels.
      const [views, full] = [lr.localLayers(), fcn.localLayers()];
      expect(views.map((v) => [v.name, v.kind])).toEqual([['lc1', 'lowrank'], ['lc2', 'lowrank']]);
      views.forEach((v, i) => {
        expect(v.weight.shape).toEqual(full[i].weight.shape);
        expect(v.weight.toArray()).toEqual(full[i].weight.toArray());
        expect(v.bias.toArray()).toEqual(full[i].bias.toArray());
        expect(v.tied?.toArray()).toEqual(full[i].tied?.toArray());
      });
      // Parameters: bases copies of the kernel, logits convToLowRank's from windowSeed(seed, layer number).
      const state = lr.state();
      expect([...state.keys()]).toEqual([
        'lc1.bases', 'lc1.basisBias', 'lc1.logits', 'lc2.bases', 'lc2.basisBias', 'lc2.logits',
        'dense1.weight', 'dense1.bias', 'dense2.weight', 'dense2.bias', 'lc1.tied', 'lc2.tied',
      ]);
      const conv2 = cnn.parameters()[2];
      const expected = convToLowRank(conv2.value, cnn.parameters()[3].value, 4, 5, 3, windowSeed(17, 2));
      expect(state.get('lc2.logits')).toEqual(expected.logits.toArray());
      expect(state.get('lc2.bases')).toEqual(expected.bases.toArray());
      expect(state.get('lc1.logits')).toEqual(convToLowRank(conv2.value, null, 4, 5, 3, windowSeed(17, 1)).logits.toArray());
      expect(state.get('lc1.logits')).not.toEqual(state.get('lc2.logits'));
      expect(lr.parameterCount()).toBe(3 * 112 + 60 + 3 * 85 + 60 + 606 + 21);
    } finally {
      x.dispose();
      [cnn, fcn, lr].forEach((m) => m.dispose());
    }
  });

  test('training steps reduce the loss; the bases come apart; localLayers() shows the banks after each update', () => {
    const cnn = trainedLikeCnn(device, 6);
    const model = cnn.toLocal({ rank: 2, seed: 3 });
    const rng = random();
    const x = input(12, device, rng.int(0, 2 ** 31));
    const labels = Tensor.from(Uint8Array.from({ length: 12 }, () => rng.int(0, 2)), [12], { device, dtype: 'uint8' });
    const adam = new Adam({ lr: 0.01 });
    const params = model.parameters();
    const loss = () => {
      const { stats, dlogits } = softmaxCrossEntropy(model.forward(x, true), labels);
      const value = readLossStats(stats, 12).loss;
      stats.dispose();
      return { value, dlogits: dlogits! };
    };
    try {
      const losses: number[] = [];
      for (let step = 0; step < 25; step++) {
        const { value, dlogits } = loss();
        losses.push(value);
        model.backward(dlogits);
        dlogits.dispose();
        if (step === 0) {
          // Right after conversion the bases agree: their logits get exactly 0, the bases different gradients.
          expect(params[2].name).toBe('lc1.logits');
          expect(params[2].grad.toArray().every((v) => v === 0)).toBe(true);
        }
        adam.step(params.map((p) => p.value), params.map((p) => p.grad));
        // localLayers() recomputes the banks from the parameters just updated.
        if (step % 8 === 0) {
          for (const view of model.localLayers()) {
            const layer = model.layers.find((l) => l.name === view.name)!;
            const [bases, basisBias, logits] = layer.parameters().map((p) => p.value);
            const fresh = lowRankMaterialize(bases, basisBias, logits);
            expect(view.weight.toArray()).toEqual(fresh.weight.toArray());
            expect(view.bias.toArray()).toEqual(fresh.bias!.toArray());
            fresh.weight.dispose();
            fresh.bias!.dispose();
          }
        }
      }
      expect(losses[losses.length - 1]).toBeLessThan(0.8 * losses[0]);
      const bases = model.state().get('lc1.bases')!;
      const half = bases.length / 2;
      expect(bases.subarray(0, half)).not.toEqual(bases.subarray(half));
      // Once the bases differ, the logits learn too.
      const { dlogits } = loss();
      model.backward(dlogits);
      dlogits.dispose();
      expect(params[2].grad.toArray().some((v) => v !== 0)).toBe(true);
    } finally {
      adam.dispose();
      [x, labels].forEach((t) => t.dispose());
      [cnn, model].forEach((m) => m.dispose());
    }
  });

  test('state() / loadState() round trip in place, clone(), and toLocal() of a low-rank model', () => {
    const source = trainedLikeCnn(device, 21).toLocal({ rank: 4, seed: 9 });
    const target = Sequential.create(toLocalSpec(SMALL_CNN, { rank: 4 }), { device, seed: 22 });
    const x = input(3, device);
    const copies: Sequential[] = [];
    try {
      // A few steps so the parameters are no longer the conversion's.
      const adam = new Adam({ lr: 0.02 });
      const g = Tensor.from(random().uniform(9), [3, 3], { device });
      for (let step = 0; step < 3; step++) {
        source.forward(x, true);
        source.backward(g);
        adam.step(source.parameters().map((p) => p.value), source.parameters().map((p) => p.grad));
      }
      adam.dispose();
      g.dispose();
      const state = source.state();
      const values = target.parameters().map((p) => p.value);
      expect(target.localLayers()[0].tied).toBeNull();
      target.loadState(state);
      expect(target.parameters().map((p) => p.value)).toEqual(values); // same tensors, new contents
      expect(target.state()).toEqual(state);
      expect(target.localLayers()[1].tied?.shape).toEqual([5, 4, 2, 2]);
      const expected = source.forward(x, false).toArray();
      expect(target.forward(x, false).toArray()).toEqual(expected);
      copies.push(source.clone(), source.toLocal());
      for (const copy of copies) {
        expect(copy.state()).toEqual(state);
        expect(copy.forward(x, false).toArray()).toEqual(expected);
        expect(copy.localLayers()[0].tied).not.toBe(source.localLayers()[0].tied);
      }
      // Sizes are checked per name, before anything is written.
      const wrong = new Map(state);
      wrong.set('lc1.logits', new Float32Array(3));
      expect(() => target.loadState(wrong)).toThrow(/'lc1.logits' has 3 values, expected 80/);
      const full = new Map([...state].filter(([name]) => !name.startsWith('lc1.')));
      expect(() => target.loadState(full)).toThrow(/missing parameter\(s\) 'lc1.bases', 'lc1.basisBias', 'lc1.logits'/);
    } finally {
      x.dispose();
      [source, target, ...copies].forEach((m) => m.dispose());
    }
  });

  test('a low-rank network from scratch: Glorot bases, zero logits and biases (a convolution at first)', () => {
    const model = Sequential.create(toLocalSpec(SMALL_CNN, { rank: 3 }), { device, seed: 4 });
    try {
      const state = model.state();
      expect(state.get('lc1.logits')!.every((v) => v === 0)).toBe(true);
      expect(state.get('lc1.basisBias')!.every((v) => v === 0)).toBe(true);
      const bases = state.get('lc1.bases')!;
      const limit = Math.sqrt(6 / (3 * 9 + 4 * 9)); // a conv bank's Glorot fans: C·KH·KW in, K·KH·KW out
      expect(bases.every((v) => Math.abs(v) < limit)).toBe(true);
      expect(new Set(bases).size).toBe(bases.length);
      // Zero logits: every position the mean of the bases, one bank for all.
      const w = model.localLayers()[0].weight.toArray();
      const bank = 4 * 3 * 3 * 3;
      for (let p = 1; p < 20; p++) expect(w.subarray(p * bank, (p + 1) * bank)).toEqual(w.subarray(0, bank));
      expectClose(w.subarray(0, bank), Float32Array.from({ length: bank }, (_, i) => (bases[i] + bases[bank + i] + bases[2 * bank + i]) / 3), 'mean bank', {
        rtol: 1e-6,
        atol: 1e-7,
      });
      const again = Sequential.create(toLocalSpec(SMALL_CNN, { rank: 3 }), { device, seed: 4 });
      expect(again.state()).toEqual(state);
      again.dispose();
    } finally {
      model.dispose();
    }
  });

  test('clear errors: a rank without a seed, a rank too large, unknown options', () => {
    const cnn = Sequential.create(SMALL_CNN, { device, seed: 1 });
    try {
      expect(() => cnn.toLocal({ rank: 2 })).toThrow(/^Sequential.toLocal: options.seed is needed with rank/);
      expect(() => cnn.toLocal({ rank: 2, seed: -1 })).toThrow(/^Sequential.toLocal: seed must be an integer in \[0, 2\^32\), got -1$/);
      expect(() => cnn.toLocal({ rank: 40, seed: 1 })).toThrow(/\(lc1\): rank 40 exceeds the layer's 4x5 = 20 output positions/);
      expect(() => cnn.toLocal({ rnak: 2 } as never)).toThrow(/^Sequential.toLocal: unknown option 'rnak'/);
    } finally {
      cnn.dispose();
    }
  });
});
