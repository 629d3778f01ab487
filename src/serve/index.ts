// `wsr-native/serve`: the run browser: `wsr-native serve` (a local web server) and `report --html` (one offline file).
export { startServer, DEFAULT_PORT, HOST } from './server';
export type { ServeOptions, RunBrowserServer } from './server';
export { writeRunHtml, runHtml, HTML_REPORT } from './standalone';
export { scanFolder } from './scan';
export type { IndexEntry, RunStatus } from './scan';
export type { RunView } from './runView';
export type { SweepView } from './sweepView';
