/**
 * CIFAR-10 data for wsr-native: a validated reader for the official binary layout (a folder, or
 * straight from cifar-10-binary.tar.gz), a resumable and checksummed download, seeded leak-free
 * train / validation / test splits, and a synthetic dataset in the same format.
 *
 * Images are kept as they are stored: one Uint8Array of count·3,072 bytes (each image CHW: the
 * 1,024 red, then green, then blue bytes, rows top to bottom) and one Uint8Array of labels 0–9.
 *
 * @packageDocumentation
 */
export {
  CIFAR_SIDE,
  CIFAR_CHANNELS,
  CIFAR_IMAGE_BYTES,
  CIFAR_RECORD_BYTES,
  CIFAR_RECORDS_PER_FILE,
  CIFAR_CLASSES,
  CIFAR10_CLASS_NAMES,
  CIFAR_TRAIN_FILES,
  CIFAR_TEST_FILE,
  CIFAR_META_FILE,
  CIFAR_FOLDER,
  CIFAR_ARCHIVE,
  DatasetError,
  parseCifarBatch,
  parseCifarMeta,
  readCifarFolder,
  readCifarArchive,
  writeCifarBatch,
  writeCifarFolder,
  checkLabelled,
  concatLabelled,
  labelHistogram,
} from './cifar';
export type { DatasetErrorCode, LabelledImages, CifarFile, CifarDataset, ReadOptions } from './cifar';
export { CACHE_SUBFOLDER, resolveDataDir, findCifar, loadCifar } from './locate';
export type { CifarLocation, LoadOptions } from './locate';
export { CIFAR_URL, CIFAR_MD5, DownloadError, downloadCifar, md5File, progressPrinter } from './download';
export type { DownloadErrorCode, DownloadOptions, DownloadResult } from './download';
export { makeSplits, checkDisjoint, imageHash, imageHashes } from './splits';
export type {
  SplitMode,
  SplitOptions,
  SplitPart,
  PoolFile,
  ImageLocation,
  DuplicateReport,
  DisjointCheck,
  DataSplits,
} from './splits';
export { SYNTHETIC_CLASS_NAMES, generateSynthetic, writeSynthetic } from './synthetic';
export type { SyntheticOptions } from './synthetic';
export { prepareData } from './prepare';
export type { DatasetName, PrepareOptions, PreparedData } from './prepare';
