/**
 * `wsr-native/data`: validated readers for CIFAR-10's and CIFAR-100's official binary layouts (a
 * folder, or straight from the release archive) and the IDX files of MNIST and Fashion-MNIST
 * (gzipped or not), resumable and checksummed downloads of all four, seeded leak-free train /
 * validation / test splits, a synthetic dataset in each format, and the table of datasets (shape,
 * label sets, network, defaults).
 *
 * Images are kept as they are stored: one Uint8Array of count·C·H·W bytes (each image CHW: for
 * CIFAR the 1,024 red, then green, then blue bytes, rows top to bottom) and one Uint8Array of
 * labels (0–9; CIFAR-100's 0–99 fine or 0–19 coarse).
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
  CIFAR10_RELEASE,
  DatasetError,
  parseCifarBatch,
  parseCifarMeta,
  readCifarFolder,
  recordBytes,
  writeCifarBatch,
  writeCifarFolder,
  checkLabelled,
  concatLabelled,
  labelHistogram,
} from './cifar';
export type { DatasetErrorCode, LabelledImages, CifarFile, CifarDataset, CifarLabelByte, CifarRelease, ReadOptions } from './cifar';
export { readCifarArchive } from './cifarArchive';
export { CIFAR100_RELEASE, CIFAR100_FINE_CLASS_NAMES, CIFAR100_COARSE_CLASS_NAMES, CIFAR100_FINE_TO_COARSE } from './cifar100';
export { CIFAR_IMAGE_SHAPE, LABEL_SETS, imageBytes, datasetImageShape } from './images';
export type { ImageShape, ImageFile, ImageDataset, LabelSet } from './images';
export {
  MNIST_SIDE,
  MNIST_IMAGE_SHAPE,
  MNIST_FILES,
  MNIST_ROLES,
  MNIST_FOLDER,
  MNIST_CLASS_NAMES,
  MNIST_DATASET,
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
export type { IdxDataset, MnistRole, MnistLocation } from './mnist';
export { FASHION_MNIST_DATASET, FASHION_MNIST_CLASS_NAMES } from './fashionMnist';
export { MNIST_SOURCES, MNIST_MD5, downloadMnist } from './mnistDownload';
export type { MnistDownloadOptions, MnistDownloadResult } from './mnistDownload';
export { DATASETS, DATASET_NAMES, datasetInfo, datasetLabels } from './datasets';
export type { DatasetInfo, DatasetLabels, DatasetTraining, DatasetDownload, DownloadRequest, ReadRequest, ReadResult } from './datasets';
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
