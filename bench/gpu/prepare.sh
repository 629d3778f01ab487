#!/usr/bin/env bash
# Prepares the GPU bench (bench/gpu/run.sh) on the development machine, which has nvcc but no GPU:
#   - builds the addon with CUDA for sm_90 (H100/H200) and the kernel check program
#   - compiles the TypeScript into dist/
#   - packs Node.js into .device/node.xz (../shared/device/pack-node.sh) and what the run needs of
#     node_modules (jest, ts-jest, typescript, the runtime dependencies; not the tfjs baselines,
#     which run on the CPU only) into .device/node_modules.tar.xz
#   - checks that what travels stays under the device tool's 64 MiB, and prints the call to make.
# Environment: WSR_CUDA_ARCHS (default 90-real), WSR_SKIP_BUILD=1 to reuse the current build.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ROOT=$PWD
LIMIT=$((64 * 1024 * 1024))
CARRY=(build/Release build/wsr_kernel_check dist .device)
fail() { echo "bench/gpu/prepare.sh: $*" >&2; exit 1; }

# Before anything slow: the build tools npm ci installs, and with WSR_SKIP_BUILD=1 the build to reuse.
for tool in cmake-js typescript jest node-gyp-build; do
  [[ -f node_modules/$tool/package.json ]] ||
    fail "node_modules/$tool is missing: run 'npm ci' in $ROOT first (it installs the build tools and builds the addon)"
done
if [[ ${WSR_SKIP_BUILD:-0} == 1 ]]; then
  [[ -f build/Release/wsr_native.node && -x build/wsr_kernel_check ]] ||
    fail "WSR_SKIP_BUILD=1 but build/Release/wsr_native.node or build/wsr_kernel_check is missing: run without it"
fi
command -v xz >/dev/null || fail "xz is needed to pack Node.js and node_modules"
command -v bc >/dev/null || fail "bc is needed to report the size of what travels"

if [[ ${WSR_SKIP_BUILD:-0} != 1 ]]; then
  echo "== CUDA build for ${WSR_CUDA_ARCHS:-90-real}"
  WSR_CUDA=ON WSR_CUDA_ARCHS=${WSR_CUDA_ARCHS:-90-real} node binding/build.js
  WSR_CUDA=ON WSR_CUDA_ARCHS=${WSR_CUDA_ARCHS:-90-real} node binding/build.js --kernel-check
fi
node -e "const b=require('node-gyp-build')('.').buildInfo(); if (!b.cuda) { console.error('the addon was built without CUDA (is nvcc on PATH?)'); process.exit(1) }"

echo "== TypeScript"
npx tsc -p tsconfig.build.json

echo "== Node.js"
pack=$ROOT/../shared/device/pack-node.sh
[[ -x $pack ]] || pack=/work/shared/device/pack-node.sh
bash "$pack"

echo "== node_modules (without @tensorflow)"
modules=$(readlink -f node_modules)
if [[ ! -s .device/node_modules.tar.xz || -n $(find "$modules" -maxdepth 1 -newer .device/node_modules.tar.xz -print -quit) ]]; then
  # From the real folder (a worktree's node_modules is a link): the archive unpacks as node_modules/.
  tar -C "$(dirname "$modules")" --exclude='node_modules/@tensorflow' --exclude='node_modules/.cache' \
    -cf - "$(basename "$modules")" | xz -T0 -6 >.device/node_modules.tar.xz.tmp
  mv .device/node_modules.tar.xz.tmp .device/node_modules.tar.xz
fi

echo "== size of what travels"
tree=$(git ls-files -z -co --exclude-standard | xargs -0 -r du -cb 2>/dev/null | awk 'END { print $1 }')
carried=$(du -cb "${CARRY[@]}" | awk 'END { print $1 }')
du -sh "${CARRY[@]}"
total=$((tree + carried))
printf 'working tree %.1f MiB + carried %.1f MiB = %.1f MiB (limit 64 MiB)\n' \
  "$(bc -l <<<"$tree/1048576")" "$(bc -l <<<"$carried/1048576")" "$(bc -l <<<"$total/1048576")"
if ((total > LIMIT)); then
  echo "TOO LARGE for the device tool: trim the carried paths above" >&2
  exit 1
fi

carry_json=$(printf '"%s",' "${CARRY[@]}")
cat <<EOF

Ready. Make this call from the checkout this was prepared in (the device tool sends the session's
own checkout: prepare there), then read summary.md and run.log from the files it returns:

  run(command="bash bench/gpu/run.sh", carry=[${carry_json%,}], timeout_s=540)

The run takes at most about 7.5 minutes: steps limited to WSR_BENCH_BUDGET_S=415 s in all (their own
limits add up to 415 s), the summary's 15 s, and unpacking Node.js and node_modules (about 20 s), so it
ends a minute inside the 9-minute command.
EOF
