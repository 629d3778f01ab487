// npm install hook: keep a binary that loads (a shipped prebuild or an earlier build);
// otherwise build from source. WSR_BUILD_FROM_SOURCE=1 always builds.
'use strict';
const path = require('path');
const { spawnSync } = require('child_process');

const root = path.join(__dirname, '..');

function loadableBinary() {
  try {
    require('node-gyp-build')(root);
    return true;
  } catch (_) {
    return false;
  }
}

if (!process.env.WSR_BUILD_FROM_SOURCE && loadableBinary()) process.exit(0);
const result = spawnSync(process.execPath, [path.join(__dirname, 'build.js')], { cwd: root, stdio: 'inherit' });
process.exit(result.status === null ? 1 : result.status);
