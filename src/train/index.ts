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
export { runTraining } from './experiment';
export type { RunRequest, RunOutcome } from './runStart';
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
export {
  DeviceSplit,
  swappedCopies,
  epochOrder,
  batchStream,
  batchesPerEpoch,
  robustnessStream,
  derivedSeed,
  augmentPlan,
  augmentBatch,
  trainingOrder,
  swapChoices,
} from './batches';
export type { AugmentPlan, BatchBuffers } from './batches';
export { loadRunData, splitChecksum } from './data';
export type { RunData, DataReport, DataFileChecksum, SplitChecksum } from './data';
export { Evaluator, ROBUSTNESS_COLUMNS, layerDivergences, EarlyStopping, runColumns, epochRecord, recordLine, phaseEndLine } from './evaluate';
export type { EvaluationResult, PassResult, EarlyStoppingState, EpochMeasurements, RunColumns } from './evaluate';
export { ModelTrainer, makeOptimizer, readModelWeights, checkpointName } from './trainer';
export type { EpochInputs, ModelCheckpointMeta, Tying } from './trainer';
export { checkConversion, describeConversion, CONVERSION_REL_TOLERANCE } from './conversion';
export type { ConversionCheck } from './conversion';
export { checkInitFile, initModelFrom } from './initFrom';
export type { InitFromRecord } from './initFrom';
export { acquireRunLock, RunLockedError, LOCK_FILE } from './lock';
export type { RunLock } from './lock';
export { RunFolder, writeCheckpoint, readCheckpoint } from './runFolder';
export type { Checkpoint, CheckpointedModel } from './runFolder';
export { runPaths, defaultRunDir, readConfig, readRunState, CHECKPOINT_EXTENSION } from './runFiles';
export type { RunPaths, RunState, ModelState } from './runFiles';
export { newConfig, deviceReport } from './runConfig';
export type { RunConfig, DeviceReport } from './runConfig';
export { progressFor, BarProgress, LineProgress, formatDuration, StopRequest, RunInterrupted, NonFiniteLossError, YieldPoint } from './progress';
export type { Progress, ProgressStream } from './progress';
