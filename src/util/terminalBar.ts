// A progress line redrawn in place on a terminal, drawn by cli-progress (bar, tokens, cursor and
// line control). Callers decide when to draw; plain, non-terminal output stays theirs.
import { Format, Options, Params, SingleBar } from 'cli-progress';
import type { TerminalStream } from './terminalStream';

/**
 * cli-progress redraws on a timer until the bar is stopped; unreferenced, that timer cannot keep
 * the process alive when a run or a download fails while its bar is on screen.
 */
class UnrefBar extends SingleBar {
  render(): void {
    super.render();
    (this as unknown as { timer?: NodeJS.Timeout | null }).timer?.unref();
  }
}

/** Options of {@link terminalBar}. */
export interface TerminalBarOptions {
  /** cli-progress format strings ({bar}, {percentage}, {value}, {total} and payload tokens), picked by the payload's `format`. */
  formats: Record<string, string>;
  /** Characters of the bar itself. */
  barsize: number;
  /** Clear the line when the bar stops (else end it with a newline). */
  clearOnComplete: boolean;
}

/**
 * A cli-progress bar on `stream`: `[====>    ]`, redrawn only by `render()` after `update()`
 * (callers throttle), never hiding the cursor or installing signal handlers.
 */
export function terminalBar(stream: TerminalStream, options: TerminalBarOptions): SingleBar {
  const format = (o: Options, params: Params, payload: { format?: string }): string =>
    Format.Formatter({ ...o, format: options.formats[payload.format ?? 'default'] }, params, payload);
  return new UnrefBar({
    stream: stream as NodeJS.WritableStream,
    format,
    barsize: options.barsize,
    barCompleteChar: '=',
    barIncompleteChar: ' ',
    barGlue: '>',
    clearOnComplete: options.clearOnComplete,
    synchronousUpdate: false,
    linewrap: true,
    fps: 10,
  });
}
