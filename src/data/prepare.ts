// One call from command-line options to ready splits: the dataset (read from the data folder, or
// the synthetic one generated), then the seeded, checked splits.
import { ReadOptions } from './cifar';
import { DATASET_NAMES, DatasetName, datasetInfo } from './datasets';
import { ImageDataset } from './images';
import { DataSplits, SPLIT_OPTION_KEYS, SplitOptions, makeSplits } from './splits';
import { SyntheticOptions, generateSynthetic } from './synthetic';
import { checkOptions } from '../util/options';

export type { DatasetName } from './datasets';

/** Options of {@link prepareData}: the CLI's --dataset, --labels, --data-dir, --split, --seed, --limit and friends. */
export interface PrepareOptions extends SplitOptions, Pick<ReadOptions, 'recordsPerFile' | 'labels'> {
  /** A name of the dataset table (default 'cifar10'): read from the data folder, or 'synthetic' (generated in memory). */
  dataset?: DatasetName;
  /** The data folder for the datasets read from files (see resolveDataDir). */
  dataDir?: string | null;
  /** Sizes and noise of the synthetic dataset; its seed defaults to `seed`. */
  synthetic?: SyntheticOptions;
}

/** The splits with what they were made from. */
export interface PreparedData extends DataSplits {
  /** Where the images came from (a folder, an archive, or the synthetic generator's settings). */
  source: string;
  /** The class names in label order. */
  classNames: string[];
}

/**
 * Loads the dataset and splits it: a dataset of files is read from the data folder (throwing the
 * DatasetError that says how to get the data when it is missing; `recordsPerFile` applies to the
 * CIFAR releases, `labels` picks CIFAR-100's fine or coarse labels), 'synthetic' generates the
 * synthetic set. Then {@link makeSplits} with the same options. The description's first line
 * names the source.
 */
export async function prepareData(options: PrepareOptions = {}): Promise<PreparedData> {
  const { dataset, dataDir, recordsPerFile, labels, synthetic, ...splitOptions } = checkOptions(
    options,
    [...SPLIT_OPTION_KEYS, 'dataset', 'dataDir', 'recordsPerFile', 'labels', 'synthetic'],
    'prepareData',
  );
  const name = dataset ?? 'cifar10';
  if (!DATASET_NAMES.includes(name)) {
    throw new RangeError(`dataset must be one of ${DATASET_NAMES.map((n) => `'${n}'`).join(', ')}, got ${JSON.stringify(name)}`);
  }
  let data: ImageDataset;
  if (name === 'synthetic') {
    data = generateSynthetic({ seed: options.seed ?? 0, ...synthetic });
  } else {
    data = (await datasetInfo(name).read(dataDir ?? null, { ...(labels ? { labels } : {}), ...(recordsPerFile !== undefined ? { recordsPerFile } : {}) })).dataset;
  }
  const splits = makeSplits(data, splitOptions);
  return {
    ...splits,
    source: data.source,
    classNames: data.classNames,
    description: `data: ${data.source}\n${splits.description}`,
  };
}
