// `wsr-native download`: the official CIFAR-10 binary release into the data folder (MD5-checked,
// resumable).
import { Command } from 'commander';
import { downloadCifar, progressPrinter } from '../data';
import { CliIO } from './io';
import { pathValue } from './parse';

interface DownloadFlags {
  dataDir?: string;
  url?: string;
  force?: boolean;
  keepArchive?: boolean;
}

/** Adds the `download` command. */
export function addDownloadCommand(program: Command, io: CliIO): void {
  program
    .command('download')
    .description('download CIFAR-10 (binary version, about 170 MB) into the data folder, check its MD5 and unpack it')
    .option('--data-dir <dir>', 'the data folder (default: WSR_DATA_DIR, else ~/.cache/wsr-native)', pathValue)
    .option('--url <url>', 'download from this URL instead of the official one')
    .option('--force', 'download and unpack again even when the files are there')
    .option('--keep-archive', 'keep cifar-10-binary.tar.gz after unpacking it')
    .action(async (flags: DownloadFlags) => {
      const result = await downloadCifar({
        dataDir: flags.dataDir ?? null,
        ...(flags.url ? { url: flags.url } : {}),
        force: flags.force ?? false,
        keepArchive: flags.keepArchive ?? false,
        onProgress: progressPrinter(io.stderr as NodeJS.WritableStream & { isTTY?: boolean }),
      });
      io.stderr.write(result.downloaded ? `CIFAR-10 is ready in ${result.dir}\n` : `CIFAR-10 is already in ${result.dir}\n`);
      io.stdout.write(`${result.dir}\n`);
    });
}
