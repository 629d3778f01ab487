// Debian's chromium as the run-browser tests (and the README screenshots) launch it with playwright-core.

/** Where .ci/run installs it (apt-get install chromium). */
export const CHROMIUM = '/usr/bin/chromium';

/** Headless, no sandbox (CI runs as root), nothing that reaches the network by itself. */
export const CHROMIUM_LAUNCH = {
  executablePath: CHROMIUM,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
};
