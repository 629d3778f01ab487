/**
 * `wsr-native/data`: validated readers for CIFAR-10's official binary layout (a folder, or
 * straight from cifar-10-binary.tar.gz) and MNIST's IDX files (gzipped or not), resumable and
 * checksummed downloads of both, seeded leak-free train / validation / test splits, a synthetic
 * dataset in either format, and the table of datasets (shape, classes, network, defaults).
 *
 * Images are kept as they are stored: one Uint8Array of count·C·H·W bytes (each image CHW: for
 * CIFAR-10 the 1,024 red, then green, then blue bytes, rows top to bottom) and one Uint8Array of
 * labels 0–9.
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
export { CIFAR_IMAGE_SHAPE, imageBytes, datasetImageShape } from './images';
export type { ImageShape, ImageFile, ImageDataset } from './images';
export {
  MNIST_SIDE,
  MNIST_IMAGE_SHAPE,
  MNIST_FILES,
  MNIST_ROLES,
  MNIST_FOLDER,
  MNIST_CLASS_NAMES,
  parseIdxImages,
  parseIdxLabels,
  checkMnistFile,
  findMnist,
  readMnistFiles,
  loadMnist,
  encodeIdxImages,
  encodeIdxLabels,
  writeMnistFolder,
} from './mnist';
export type { MnistRole, MnistLocation } from './mnist';
export { MNIST_SOURCES, MNIST_MD5, downloadMnist } from './mnistDownload';
export type { MnistDownloadOptions, MnistDownloadResult } from './mnistDownload';
export { DATASETS, DATASET_NAMES, datasetInfo } from './datasets';
export type { DatasetInfo, DatasetTraining, DatasetDownload, DownloadRequest, ReadResult } from './datasets';
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
export type { PrepareOptions, PreparedData } from './prepare';
export type { DatasetName } from './datasets';
