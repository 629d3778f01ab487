#!/usr/bin/env node
// Builds the native addon into build/Release with cmake-js.
// Environment: WSR_CUDA=OFF forces a CPU-only build; WSR_CUDA_ARCHS="90-real" narrows the CUDA
// targets (default sm_75 to sm_90 plus PTX); WSR_BUILD_JOBS sets parallel compile jobs.
// With --kernel-check it builds the standalone kernel check program (build/wsr_kernel_check) instead.
// prebuildify calls this script in place of node-gyp (with node-gyp's arguments, which we ignore).
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const root = path.join(__dirname, '..');
const cmakeJs = require.resolve('cmake-js/bin/cmake-js');

function cmakeDefines() {
  const defines = [];
  const cuda = (process.env.WSR_CUDA || '').toUpperCase();
  if (cuda) {
    if (!['ON', 'OFF'].includes(cuda)) {
      console.error(`wsr-native: WSR_CUDA must be ON or OFF, got '${process.env.WSR_CUDA}'`);
      process.exit(2);
    }
    defines.push(`--CDWSR_CUDA=${cuda}`);
  }
  if (process.env.WSR_CUDA_ARCHS) defines.push(`--CDWSR_CUDA_ARCHITECTURES=${process.env.WSR_CUDA_ARCHS}`);
  return defines;
}

function run(args) {
  const result = spawnSync(process.execPath, [cmakeJs, ...args], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`wsr-native: cmake-js ${args[0]} failed (exit ${result.status}). ` +
      'Building needs CMake >= 3.18 and a C++17 compiler; CUDA is optional (set WSR_CUDA=OFF to skip it).');
    process.exit(result.status || 1);
  }
}

const jobs = process.env.WSR_BUILD_JOBS || String(Math.max(1, os.cpus().length));
// Configure every time so a changed WSR_CUDA takes effect; unchanged builds are incremental.
run(['configure', ...cmakeDefines()]);
const target = process.argv.includes('--kernel-check') ? 'wsr_kernel_check' : 'wsr_native';
run(['build', '--parallel', jobs, '--target', target]);

// prebuildify (which calls us as `build.js rebuild ...`) strips build/Release/wsr_native.node in
// place and then moves it into prebuilds/. Stripping in place would corrupt the library under any
// process that has it loaded (a test runner, say), so hand prebuildify a fresh copy (a new inode).
if (process.argv[2] === 'rebuild') {
  const built = path.join(root, 'build', 'Release', 'wsr_native.node');
  const fresh = `${built}.${process.pid}.tmp`;
  fs.copyFileSync(built, fresh);
  fs.renameSync(fresh, built);
}
