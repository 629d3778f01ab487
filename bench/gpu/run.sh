#!/usr/bin/env bash
# The GPU bench in one run, on a machine with CUDA, CMake and PyTorch but no Node.js and no network
# (prepare with bench/gpu/prepare.sh on the development machine first; it prints the call to make).
#   1. kernel check: every CUDA kernel against its CPU twin on fresh random inputs (wsr_kernel_check)
#   2. compute-sanitizer memcheck and racecheck on a short run of the kernel check and on a short
#      training run through the CLI
#   3. the jest CPU-vs-CUDA parity suites, with the carried Node.js
#   4. `wsr-native bench --device cuda --json`: every kernel and whole training steps
#   5. bench/gpu/torch_bench.py: cuDNN conv, unfold LC, dense, optimizers, steps, peak memory, and
#      the device's measured ceilings (copy bandwidth, fp32 matmul)
#   6. bench/gpu/epoch.js: CIFAR-10-sized epochs of the CNN and FCN through the training loop
#   7. bench/gpu/summarize.py: each kernel next to PyTorch and its floor, the targets; printed last
# Each step runs under its own time limit and the whole run's budget (WSR_BENCH_BUDGET_S, default
# 415 s, the sum of the steps' limits: with the summary and unpacking the run ends about a minute inside
# one 9-minute command, and with the machine's start inside the session's 15 minutes of device time); a
# failing step does not stop the others. Output goes
# to $OUT (at most 8 files, flat): run.log, kernel_check.log, sanitizer.log, jest.log, bench.json,
# torch.json, epoch.json, summary.md.
# Without a GPU (the development machine) it says so and runs the CPU parts, quickly.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 2
ROOT=$PWD
SELF="$ROOT/bench/gpu/run.sh"
SKIPPED=75 # a step's exit status for "could not run here" (it prints why)

# ---------------------------------------------------------------------------------------------
# Steps (each runs as `run.sh --step NAME` under timeout, with the environment set up below).

step_build() {
  # Only when the carried build is missing: build here (nvcc and CMake are on the GPU machine).
  if [[ $WSR_GPU == 1 ]]; then export WSR_CUDA=ON WSR_CUDA_ARCHS=${WSR_CUDA_ARCHS:-90-real}; else export WSR_CUDA=OFF; fi
  [[ -f build/Release/wsr_native.node ]] || node binding/build.js || return 1
  [[ -x build/wsr_kernel_check ]] || node binding/build.js --kernel-check || return 1
  [[ -f dist/bench/main.js ]] || node node_modules/typescript/bin/tsc -p tsconfig.build.json
}

step_kernel_check() {
  local reps=5
  [[ $WSR_GPU == 1 ]] || reps=1
  ./build/wsr_kernel_check --reps "$reps" 2>&1 | tee "$OUT/kernel_check.log"
  local rc=${PIPESTATUS[0]}
  if [[ $WSR_GPU == 1 ]]; then  # the debug mode: every launch synchronised and checked (same results, slower)
    echo "== WSR_CUDA_SYNC=1, one family"
    WSR_CUDA_SYNC=1 ./build/wsr_kernel_check --reps 1 --filter local_forward 2>&1 | tee -a "$OUT/kernel_check.log"
    ((rc == 0)) && rc=${PIPESTATUS[0]}
  fi
  return "$rc"
}

step_sanitizer() {
  local sanitizer
  sanitizer=$(command -v compute-sanitizer || ls /usr/local/cuda/bin/compute-sanitizer 2>/dev/null) || {
    echo "compute-sanitizer not found"
    return "$SKIPPED"
  }
  local rc=0 filter
  # A sanitizer run stopped at its time limit (slow under instrumentation) is partial coverage,
  # not a finding; any other non-zero exit is (3: errors or hazards reported).
  judge() {
    local r=$1
    if ((r == 124 || r == 137)); then echo "(stopped at its time limit: partial coverage)"; elif ((r != 0)); then rc=$r; fi
  }
  {
    # memcheck over the checks (one repetition, as far as its limit allows); racecheck over the
    # kernels that use shared memory (the engine's GEMM tiles of conv and LC; the distance reductions).
    # Limits: 20 + 3 × 6 + 30 + 15 = 83 s of the step's 100.
    echo "== memcheck: all checks, --reps 1"
    timeout -k 5 "${WSR_MEMCHECK_S:-20}" "$sanitizer" --tool memcheck --error-exitcode 3 \
      ./build/wsr_kernel_check --reps 1
    judge $?
    for filter in conv2d local_ distance; do
      echo "== racecheck: --filter $filter --reps 1"
      timeout -k 5 "${WSR_RACECHECK_S:-6}" "$sanitizer" --tool racecheck --racecheck-report hazard --error-exitcode 3 \
        ./build/wsr_kernel_check --reps 1 --filter "$filter"
      judge $?
    done
    # A short training run through the CLI (both phases, the conversion, the distances and the
    # robustness augmentations): the kernels as the training loop calls them, with its buffers.
    local tool limit
    for tool in memcheck racecheck; do
      limit=${WSR_MEMCHECK_TRAIN_S:-30}
      [[ $tool == racecheck ]] && limit=${WSR_RACECHECK_TRAIN_S:-15}
      echo "== $tool: a short training run (synthetic data, 1+1 epochs)"
      rm -rf /tmp/wsr-sanitizer-run
      timeout -k 5 "$limit" "$sanitizer" --tool "$tool" --error-exitcode 3 \
        node dist/cli.js train --device cuda --dataset synthetic --limit 256 --validation 64 --batch-size 64 \
        --cnn-epochs 1 --fcn-epochs 1 --no-png --out /tmp/wsr-sanitizer-run
      judge $?
    done
  } >"$OUT/sanitizer.log" 2>&1
  cat "$OUT/sanitizer.log"
  return "$rc"
}

step_jest() {
  local files
  if [[ $WSR_GPU == 1 ]]; then
    # Every suite with CPU-vs-CUDA parity tests (describeCuda / testDevices).
    files=$(grep -lE "describeCuda|testDevices" test/*.test.ts | tr '\n' ' ')
  else
    files="test/dense.test.ts test/optim.test.ts" # a quick CPU subset (the tfjs baselines do not travel)
  fi
  echo "suites: $files"
  # shellcheck disable=SC2086
  node node_modules/jest/bin/jest.js --ci --colors=false $files 2>&1 | tee "$OUT/jest.log"
}

step_bench() {
  if [[ $WSR_GPU == 1 ]]; then
    node dist/bench/main.js --device cuda --json --repeats 20 --warmup 3 >"$OUT/bench.json"
  else
    node dist/bench/main.js --device cpu --json --batch 1 --repeats 2 --warmup 1 --no-baselines >"$OUT/bench.json"
  fi
}

# The interpreter that imports torch: WSR_PYTHON when set, else python3 on PATH, else /usr/bin/python3
# (Debian's python3-torch belongs to the system interpreter, which need not be the first on PATH).
torch_python() {
  local p
  for p in ${WSR_PYTHON:-python3 /usr/bin/python3}; do
    "$p" -c 'import torch' 2>/dev/null && echo "$p" && return 0
  done
  return 1
}

step_torch() {
  local py
  py=$(torch_python) || {
    echo "PyTorch is not importable here (${WSR_PYTHON:-python3, /usr/bin/python3}): no PyTorch yardsticks"
    return "$SKIPPED"
  }
  if [[ $WSR_GPU == 1 ]]; then
    PYTHONUNBUFFERED=1 "$py" bench/gpu/torch_bench.py --out "$OUT/torch.json" --repeats 20
  else
    PYTHONUNBUFFERED=1 "$py" bench/gpu/torch_bench.py --out "$OUT/torch.json" --device cpu --quick
  fi
}

step_epoch() {
  if [[ $WSR_GPU == 1 ]]; then
    node bench/gpu/epoch.js --out "$OUT/epoch.json" --device cuda --timeout-s "$STEP_S"
  else
    node bench/gpu/epoch.js --out "$OUT/epoch.json" --device cpu --limit 512 --validation 256 --timeout-s "$STEP_S"
  fi
}

step_summary() {
  python3 bench/gpu/summarize.py --ours "$OUT/bench.json" --torch "$OUT/torch.json" --epoch "$OUT/epoch.json" \
    --out "$OUT/summary.md" --batch "$([[ $WSR_GPU == 1 ]] && echo 128 || echo 1)"
}

if [[ ${1:-} == --step ]]; then
  "step_$2"
  exit $?
fi

# ---------------------------------------------------------------------------------------------
# The run: environment, then each step under its limit, then the status and the summary.

main() {
  local started budget
  started=$(date +%s)
  budget=${WSR_BENCH_BUDGET_S:-415}
  echo "== wsr-native GPU bench, $(date -u +%Y-%m-%dT%H:%M:%SZ), output in $OUT"

  if nvidia-smi -L >/dev/null 2>&1; then
    export WSR_GPU=1
    nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm --format=csv
  else
    export WSR_GPU=0
    echo "NO GPU on this machine (nvidia-smi finds none): degraded mode, CPU parts only, quick settings"
  fi

  if ! command -v node >/dev/null 2>&1; then
    if [[ -s .device/node.xz ]]; then
      mkdir -p /tmp/wsr-node && xz -dc .device/node.xz >/tmp/wsr-node/node && chmod +x /tmp/wsr-node/node
      export PATH=/tmp/wsr-node:$PATH
    else
      echo "no Node.js and no .device/node.xz: run bench/gpu/prepare.sh first"
    fi
  fi
  if [[ ! -f node_modules/jest/package.json && -s .device/node_modules.tar.xz ]]; then
    [[ -L node_modules ]] && rm -f node_modules
    tar -xJf .device/node_modules.tar.xz || echo "unpacking node_modules failed"
  fi
  echo "set up in $(($(date +%s) - started)) s"
  echo "node $(node --version 2>/dev/null || echo missing), $("$(torch_python || echo python3)" -c 'import torch; print("torch", torch.__version__)' 2>/dev/null || echo 'no torch'), $(nvcc --version 2>/dev/null | tail -1 || echo 'no nvcc')"
  node -e "const b=require('node-gyp-build')('.').buildInfo(); console.log('addon: CUDA compiled in:', b.cuda)" 2>&1 || true

  local -a status=()
  run_step() {
    local name=$1 limit=$2 left t s rc
    left=$((budget - ($(date +%s) - started)))
    t=$((limit < left ? limit : left))
    if ((t < 5)); then
      status+=("$(printf '%-13s skipped: the run budget is spent' "$name")")
      return
    fi
    echo
    echo "== $name (limit ${t} s)"
    s=$(date +%s)
    STEP_S=$t timeout -k 10 "$t" bash "$SELF" --step "$name"
    rc=$?
    local took=$(($(date +%s) - s))
    case $rc in
      0) status+=("$(printf '%-13s ok (%d s)' "$name" "$took")") ;;
      "$SKIPPED") status+=("$(printf '%-13s skipped (why: in run.log)' "$name")") ;;
      124 | 137) status+=("$(printf '%-13s TIMED OUT after %d s (partial output kept)' "$name" "$took")") ;;
      *) status+=("$(printf '%-13s FAILED: exit %d after %d s (see run.log)' "$name" "$rc" "$took")") ;;
    esac
  }

  if [[ ! -f build/Release/wsr_native.node || ! -x build/wsr_kernel_check || ! -f dist/bench/main.js ]]; then
    run_step build 240
  fi
  # Limits: 50 + 100 + 70 + 80 + 65 + 50 = 415 s, the default budget.
  run_step kernel_check 50
  if [[ $WSR_GPU == 1 ]]; then run_step sanitizer 100; else status+=("sanitizer     skipped: no GPU"); fi
  run_step jest 70
  run_step bench 80
  run_step torch 65
  run_step epoch 50
  budget=$((budget + 15)) # the summary always gets its few seconds
  echo
  echo "== steps"
  printf '%s\n' "${status[@]}"
  echo "== steps done in $(($(date +%s) - started)) s; output in $OUT"
  echo
  run_step summary 15
}

if [[ -z ${OUT:-} ]]; then # a local run: a fresh folder of its own
  OUT=${TMPDIR:-/tmp}/wsr-bench-out
  rm -rf "$OUT"
fi
mkdir -p "$OUT"
export OUT
main 2>&1 | tee "$OUT/run.log"
exit "${PIPESTATUS[0]}"
