// wsr-native workloads of a whole training step (forward, backward, Adam) and of an evaluation
// step (forward and loss) of a network in its conv or LC form.
import { synchronize } from '../../device';
import { NetworkShape } from '../shapes';
import { Workload } from '../types';
import { BenchNetwork } from './network';

export function stepWorkload(net: NetworkShape, batch: number, local: boolean, train: boolean, device: string): Workload {
  const model = new BenchNetwork(net, batch, local, device);
  const finish = device === 'cpu' ? () => undefined : () => synchronize(device);
  return {
    run() {
      if (train) model.trainStep();
      else model.evalStep();
      finish();
    },
    dispose() {
      model.dispose();
    },
  };
}
