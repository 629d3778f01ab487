// One call from command-line options to ready splits: the dataset (real CIFAR-10 from the data
// folder, or the synthetic one), then the seeded, checked splits.
import { CifarDataset, ReadOptions } from './cifar';
import { loadCifar } from './locate';
import { DataSplits, SPLIT_OPTION_KEYS, SplitOptions, makeSplits } from './splits';
import { SyntheticOptions, generateSynthetic } from './synthetic';
import { checkOptions } from '../util/options';

/** Which dataset {@link prepareData} uses: the CLI's --dataset. */
export type DatasetName = 'cifar10' | 'synthetic';

/** Options of {@link prepareData}: the CLI's --dataset, --data-dir, --split, --seed, --limit and friends. */
export interface PrepareOptions extends SplitOptions, Pick<ReadOptions, 'recordsPerFile'> {
  /** 'cifar10' (default: read from the data folder) or 'synthetic' (generated in memory). */
  dataset?: DatasetName;
  /** The data folder for 'cifar10' (see resolveDataDir). */
  dataDir?: string | null;
  /** Sizes and noise of the synthetic dataset; its seed defaults to `seed`. */
  synthetic?: SyntheticOptions;
}

/** The splits with what they were made from. */
export interface PreparedData extends DataSplits {
  /** Where the images came from (a folder, an archive, or the synthetic generator's settings). */
  source: string;
  /** The ten class names in label order. */
  classNames: string[];
}

/**
 * Loads the dataset and splits it: `dataset` 'cifar10' reads the data folder (throwing the
 * DatasetError that says how to get the data when it is missing), 'synthetic' generates the
 * synthetic set. Then {@link makeSplits} with the same options. The description's first line
 * names the source.
 */
export async function prepareData(options: PrepareOptions = {}): Promise<PreparedData> {
  const { dataset, dataDir, recordsPerFile, synthetic, ...splitOptions } = checkOptions(
    options,
    [...SPLIT_OPTION_KEYS, 'dataset', 'dataDir', 'recordsPerFile', 'synthetic'],
    'prepareData',
  );
  const name = dataset ?? 'cifar10';
  let data: CifarDataset;
  if (name === 'synthetic') {
    data = generateSynthetic({ seed: options.seed ?? 0, ...synthetic });
  } else if (name === 'cifar10') {
    data = await loadCifar({ dataDir, recordsPerFile });
  } else {
    throw new RangeError(`dataset must be 'cifar10' or 'synthetic', got ${JSON.stringify(name)}`);
  }
  const splits = makeSplits(data, splitOptions);
  return {
    ...splits,
    source: data.source,
    classNames: data.classNames,
    description: `data: ${data.source}\n${splits.description}`,
  };
}
