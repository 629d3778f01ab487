/**
 * `wsr-native/train`: training wsr-native's networks. The entry point (runTrainJob: one run, new
 * or resumed, from settings given as data), the settings table and train's flags, the epoch loop
 * (batches gathered and augmented on the device, statistics read once an epoch), evaluation with
 * the robustness perturbations, divergence of the locally connected layers, early stopping,
 * checkpoints with optimizer state, the paper's two-phase protocol (CNN, then the continued CNN
 * and the converted FCN, interleaved), run folders with a lock, and resuming a stopped run.
 *
 * @packageDocumentation
 */
export { runTrainJob, jobSettings, processStreams, EXIT } from './job';
export type { TrainJob, JobStreams } from './job';
export { jobProcessScript } from './jobProcess';
export { runTraining } from './run';
export type { RunRequest, RunOutcome } from './run';
export {
  SETTINGS,
  DEFAULT_SETTINGS,
  EXPERIMENT_PRESETS,
  EXPERIMENT_IDS,
  RESUME_FIXED_KEYS,
  RESUMABLE_KEYS,
  checkSettings,
  describeSettings,
  resolveSettings,
  defaultSettings,
  savedSettings,
} from './settings';
export type { TrainSettings, SettingEntry, ExperimentPreset, OptimizerName, DatasetName, SplitName } from './settings';
export { SettingValueError } from './settingKinds';
export {
  TRAIN_FLAGS,
  FLAG_SETTINGS,
  AUGMENT_FLAG,
  trainFlag,
  flagSettings,
  settingsFromFlags,
  resumedSettings,
  readFlagEntries,
  flagTokens,
  flagPhrase,
  FlagValueError,
} from './flags';
export type { TrainFlag, TrainFlagValues, FlagValue } from './flags';
export type { ValueKind } from './settingKinds';
export {
  TRAINING_AUGMENTATIONS,
  EDGE_NOISE_BORDER,
  parseAugmentList,
  describeAugmentations,
  augmentationColumns,
} from './augmentations';
export type { TrainingAugmentation, AugmentationKind, AugmentationKey, AugmentationLevels } from './augmentations';
export { augmentPlan, augmentBatch, trainingOrder, swapChoices } from './augmentBatch';
export { swappedCopies } from './swappedCopies';
export type { AugmentPlan } from './augmentBatch';
export { epochOrder, batchStream, batchesPerEpoch, robustnessStream, derivedSeed } from './order';
export { loadRunData, splitChecksum } from './data';
export type { RunData, DataReport, DataFileChecksum, SplitChecksum } from './data';
export { DeviceSplit } from './deviceData';
export { Evaluator, ROBUSTNESS_COLUMNS } from './evaluate';
export type { EvaluationResult, PassResult } from './evaluate';
export { trainEpoch } from './epoch';
export type { EpochInputs, EpochState } from './epoch';
export { layerDivergences } from './divergence';
export { EarlyStopping } from './earlyStopping';
export type { EarlyStoppingState } from './earlyStopping';
export { writeCheckpoint, readCheckpoint } from './checkpoint';
export type { Checkpoint } from './checkpoint';
export { makeOptimizer } from './optimizer';
export type { Optimizer } from './optimizer';
export { ModelTrainer, readModelWeights } from './trainer';
export { checkConversion, describeConversion, CONVERSION_REL_TOLERANCE } from './conversion';
export type { ConversionCheck } from './conversion';
export { acquireRunLock, RunLockedError, LOCK_FILE } from './lock';
export type { RunLock } from './lock';
export { runPaths, defaultRunDir, readConfig, readRunState } from './runFolder';
export type { RunPaths, RunConfig, RunState, ModelState } from './runFolder';
export { NonFiniteLossError } from './context';
export { StopRequest, RunInterrupted } from './yieldPoint';
export { progressFor, BarProgress, LineProgress, formatDuration } from './progress';
export type { Progress, ProgressStream } from './progress';
