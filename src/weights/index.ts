/**
 * `wsr-native/weights`: a run's weights for other tools (`wsr-native export`). The safetensors
 * format itself is in the core (`wsr-native`); a CNN started from a file (`--init-from`) is
 * training's (`wsr-native/train`).
 *
 * @packageDocumentation
 */
export { exportWeights, WEIGHT_LAYOUTS, WEIGHTS_FORMAT } from './export';
export type { ExportEpoch, ExportOptions, ExportResult } from './export';
