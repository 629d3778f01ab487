// wsr-native workloads of a whole training step (forward, softmax cross-entropy, backward, Adam)
// and of an evaluation step (forward and loss) through the model API, Sequential, as the training
// loop runs them (ModelTrainer.trainEpoch in src/train/trainer.ts), minus the batch gathering and augmentation.
import { synchronize } from '../../device';
import { networkByName } from '../../nn/spec';
import { Sequential } from '../../nn/model';
import { softmaxCrossEntropy } from '../../ops/activation';
import { Adam } from '../../ops/optim';
import { Tensor } from '../../tensor';
import { labelArray } from '../random';
import { NetworkShape } from '../shapes';
import { Workload } from '../types';
import { randomTensor } from './tensors';

export function stepWorkload(net: NetworkShape, batch: number, local: boolean, train: boolean, device: string): Workload {
  const spec = networkByName(net.name === 'cifar' ? 'cifar10' : 'mnist', local ? 'fcn' : 'cnn');
  const model = Sequential.create(spec, { device, seed: 1 });
  const tensors: Tensor[] = [];
  const adam = new Adam({ lr: 1e-4 });
  try {
    const [c, h, w] = net.input;
    const x = randomTensor([batch, c, h, w], 1, device, 0.5);
    tensors.push(x);
    const labels = Tensor.from(labelArray(batch, net.classes, 99), [batch], { dtype: 'uint8', device });
    tensors.push(labels);
    const stats = Tensor.zeros([2], { device });
    const dlogits = Tensor.empty([batch, net.classes], { device });
    tensors.push(stats, dlogits);
    const parameters = model.parameters();
    const values = parameters.map((p) => p.value);
    const grads = parameters.map((p) => p.grad);
    const finish = device === 'cpu' ? () => undefined : () => synchronize(device);
    return {
      run() {
        const logits = model.forward(x, train);
        if (train) {
          softmaxCrossEntropy(logits, labels, { stats, accumulate: true, dlogits });
          model.backward(dlogits);
          adam.step(values, grads);
        } else {
          softmaxCrossEntropy(logits, labels, { stats, accumulate: true, gradient: false });
        }
        finish();
      },
      dispose() {
        adam.dispose();
        model.dispose();
        tensors.forEach((t) => t.dispose());
      },
    };
  } catch (error) {
    adam.dispose();
    model.dispose();
    tensors.forEach((t) => t.dispose());
    throw error;
  }
}
