// The paper's four CIFAR-10 experiments as presets of the training settings (`wsr-native
// experiment N`); every flag given on the command line overrides them.

/** What an experiment preset sets; every flag given on the command line overrides it. */
export interface ExperimentPreset {
  /** One line about the experiment, as PROTOCOL.md's table has it. */
  description: string;
  noise: number;
  cnnEpochs: number;
  /** Epochs of the continued CNN; null: the same as fcnEpochs (whatever --fcn-epochs says). */
  cnnContinueEpochs: number | null;
  fcnEpochs: number;
  patience: number;
}

/**
 * The published CIFAR-10 experiments (PROTOCOL.md, "Experiments as published"). "Until early
 * stop" is an epoch cap of 500 with patience 100.
 */
export const EXPERIMENT_PRESETS: Readonly<Record<0 | 1 | 2 | 3, Readonly<ExperimentPreset>>> = Object.freeze({
  0: Object.freeze({
    description: 'no augmentation; CNN and both branches until early stop (patience 100, cap 500)',
    noise: 0,
    cnnEpochs: 500,
    cnnContinueEpochs: null,
    fcnEpochs: 500,
    patience: 100,
  }),
  1: Object.freeze({
    description: 'noise 30%; CNN 100 epochs, then the CNN continued 100 and the FCN up to 200',
    noise: 0.3,
    cnnEpochs: 100,
    cnnContinueEpochs: 100,
    fcnEpochs: 200,
    patience: 100,
  }),
  2: Object.freeze({
    description: 'noise 50%; CNN 100 epochs, then both branches up to 500',
    noise: 0.5,
    cnnEpochs: 100,
    cnnContinueEpochs: null,
    fcnEpochs: 500,
    patience: 100,
  }),
  3: Object.freeze({
    description: 'noise 50%; CNN 50 epochs, then both branches 50',
    noise: 0.5,
    cnnEpochs: 50,
    cnnContinueEpochs: null,
    fcnEpochs: 50,
    patience: 100,
  }),
});

/** The experiment numbers. */
export const EXPERIMENT_IDS: readonly (0 | 1 | 2 | 3)[] = [0, 1, 2, 3];

