// Small networks for the model tests: every layer kind of the paper's nets at a size that runs in
// milliseconds on either device.
import { NetworkSpec } from '../../src/nn/spec';

/** conv 3x3/2 over 9x11 (a 4x5 grid of 20 positions), conv 2x2 'same' (4x5 again), then dense layers. */
export const SMALL_CNN: NetworkSpec = {
  name: 'small-cnn',
  inputShape: [3, 9, 11],
  classes: 3,
  layers: [
    { type: 'conv', filters: 4, kernel: 3, stride: 2 },
    { type: 'relu' },
    { type: 'conv', filters: 5, kernel: 2, padding: 'same' },
    { type: 'relu' },
    { type: 'flatten' },
    { type: 'dense', units: 6 },
    { type: 'relu' },
    { type: 'dense', units: 3 },
  ],
};
