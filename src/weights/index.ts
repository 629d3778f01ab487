/**
 * `wsr-native/weights`: a run's weights for other tools (`wsr-native export`) and a CNN started
 * from a file (`--init-from`). The safetensors format itself is in the core (`wsr-native`).
 *
 * @packageDocumentation
 */
export { exportWeights, WEIGHT_LAYOUTS, WEIGHTS_FORMAT } from './export';
export type { ExportEpoch, ExportOptions, ExportResult } from './export';
export { checkInitFile, initModelFrom } from './initFrom';
export type { InitFromRecord } from './initFrom';
