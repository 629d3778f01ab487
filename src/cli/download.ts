// `wsr-native download`: a dataset's official files into the data folder (checksummed, resumable),
// as the dataset table (src/data/datasets.ts) says where from and how.
import { Command, Option } from 'commander';
import { DATASETS, DatasetName, datasetInfo, progressPrinter } from '../data';
import { CliIO } from './io';
import { cliParser, pathValue } from './parse';
import { oneOf } from '../train/settingKinds';

interface DownloadFlags {
  dataset: DatasetName;
  dataDir?: string;
  url?: string;
  force?: boolean;
  keepArchive?: boolean;
}

const DOWNLOADABLE = DATASETS.filter((d) => d.download !== null);

/** Adds the `download` command. */
export function addDownloadCommand(program: Command, io: CliIO): void {
  const what = DOWNLOADABLE.map((d) => `${d.name}: ${d.download!.what}`).join('; ');
  program
    .command('download')
    .description(`download a dataset into the data folder, check it and install it (${what})`)
    .addOption(
      new Option('--dataset <name>', `the dataset: ${DOWNLOADABLE.map((d) => d.name).join(', ')}`)
        .argParser(cliParser(oneOf(DOWNLOADABLE.map((d) => d.name))))
        .default(DOWNLOADABLE[0].name),
    )
    .option('--data-dir <dir>', 'the data folder (default: WSR_DATA_DIR, else ~/.cache/wsr-native)', pathValue)
    .option('--url <url>', 'download from this URL instead of the official one (for cifar10 and cifar100: the archive; for mnist and fashion-mnist: the folder holding the four .gz files)')
    .option('--force', 'download and install again even when the files are there')
    .option('--keep-archive', 'keep the CIFAR archive (cifar-10-binary.tar.gz, cifar-100-binary.tar.gz) after unpacking it')
    .action(async (flags: DownloadFlags) => {
      const info = datasetInfo(flags.dataset);
      const stderr = io.stderr as NodeJS.WritableStream & { isTTY?: boolean };
      const result = await info.download!.run({
        dataDir: flags.dataDir ?? null,
        ...(flags.url ? { url: flags.url } : {}),
        force: flags.force ?? false,
        keepArchive: flags.keepArchive ?? false,
        progress: (label) => progressPrinter(stderr, label),
      });
      io.stderr.write(result.downloaded ? `${info.title} is ready in ${result.dir}\n` : `${info.title} is already in ${result.dir}\n`);
      io.stdout.write(`${result.dir}\n`);
    });
}
