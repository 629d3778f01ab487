// The stream a progress line is drawn on, apart from terminalBar.ts so that declarations naming it
// do not import cli-progress (whose types are a development dependency).
/** A writable stream that may be a terminal (process.stderr, or a test's sink). */
export interface TerminalStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}
