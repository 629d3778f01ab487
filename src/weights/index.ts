// Weights other tools can load: the safetensors format, `export`, and `--init-from`.
export { readSafetensors, readSafetensorsHeader, parseSafetensors, writeSafetensors, SafetensorsError } from './safetensors';
export type { NamedTensor, SafetensorsContents, SafetensorsEntry, SafetensorsHeader } from './safetensors';
export { exportWeights, WEIGHT_LAYOUTS, WEIGHTS_FORMAT } from './export';
export type { ExportEpoch, ExportOptions, ExportResult } from './export';
export { checkInitFile, initModelFrom } from './initFrom';
export type { InitFromRecord } from './initFrom';
