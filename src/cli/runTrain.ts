// Runs a training run for `train` and `experiment`: SIGINT/SIGTERM stop it cleanly (a second
// signal quits at once), the summary goes to stdout, and the outcome becomes the exit code.
import { DatasetError } from '../data';
import { NonFiniteLossError } from '../train/context';
import { runTraining } from '../train/run';
import { datasetInfo } from '../data/datasets';
import { TrainSettings } from '../train/settings';
import { StopRequest } from '../train/yieldPoint';
import { checkInitFile } from '../weights/initFrom';
import { CliIO, EXIT } from './io';

/** How to run: the settings, the folder, and the switches that do not change results. */
export interface TrainInvocation {
  settings: TrainSettings;
  runDir: string;
  resume: boolean;
  argv: string[];
  png: boolean;
  stopAfterEpochs: number | null;
}

/** Runs the training; returns the exit code. Errors are written to stderr as one clear message. */
export async function runTrainCommand(io: CliIO, inv: TrainInvocation): Promise<number> {
  const stop = new StopRequest();
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals === 1) {
      stop.request(signal);
      io.stderr.write(`\n${signal}: stopping; the last completed epoch's checkpoint stays on disk (${signal} again to quit at once)\n`);
    } else {
      process.exit(EXIT.interrupted);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    // A file that cannot fit is refused before a run folder is made.
    if (inv.settings.initFrom && !inv.resume) checkInitFile(inv.settings.initFrom, datasetInfo(inv.settings.dataset).network);
    const outcome = await runTraining({
      settings: inv.settings,
      runDir: inv.runDir,
      resume: inv.resume,
      argv: inv.argv,
      stderr: io.stderr,
      stop,
      stopAfterEpochs: inv.stopAfterEpochs,
      png: inv.png,
    });
    if (outcome.summary) io.stdout.write(outcome.summary);
    return outcome.status === 'interrupted' ? EXIT.interrupted : EXIT.ok;
  } catch (error) {
    if (error instanceof NonFiniteLossError) {
      const kept =
        error.lastGoodEpoch > 0
          ? `the checkpoint of epoch ${error.lastGoodEpoch}, the last good one, is kept in ${inv.runDir}/checkpoints`
          : 'no epoch had completed, so there is no checkpoint';
      io.stderr.write(
        `wsr-native: ${error.message}. The run stopped; ${kept}. Resuming would diverge again: start a new run with a smaller --lr.\n`,
      );
      return EXIT.error;
    }
    const message = error instanceof DatasetError ? error.message : `${(error as Error).message}`;
    io.stderr.write(`wsr-native: ${message}\n`);
    return EXIT.error;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
