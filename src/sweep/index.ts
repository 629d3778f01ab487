/**
 * `wsr-native/sweep`: grids of training settings × seeds. A spec (YAML or JSON, keyed by train's
 * flag names) expands into points, each a training job (`wsr-native/train`'s runTrainJob) with
 * its own run folder under the sweep folder; a local pool of child processes or a Slurm job array
 * runs them, resumably; the aggregate table and figures summarise them with confidence intervals.
 *
 * @packageDocumentation
 */
export { readSpecFile, specFromObject, parseSeeds, parseGridFlag, mergeSpecs, SpecError, SWEEP_OWNED_FLAGS } from './spec';
export type { SweepSpec } from './spec';
export { expandPoints, pointName, pointEntries, pointValues, pointFlags } from './points';
export type { SweepPoint } from './points';
export { openSweep, readSweepFile, pointStatus, pointDir, pointLog, SWEEP_FILE, POINT_LOG } from './folder';
export type { SweepFile, PointStatus } from './folder';
export { pointJob, pointArgs, pointProblem } from './launch';
export type { PointResources } from './launch';
export { runLocal, slotResources } from './local';
export type { LocalOutcome, PointOutcome } from './local';
export { slurmSweep } from './slurm';
export type { SlurmOptions, SlurmSubmission } from './slurm';
export { runSweepTask } from './task';
export { writeAggregate, AGGREGATE_DIR } from './aggregateWrite';
export type { WrittenAggregate, AggregateFile } from './aggregateWrite';
export { estimate, pairedDifference, CONFIDENCE } from './stats';
export type { Estimate } from './stats';
