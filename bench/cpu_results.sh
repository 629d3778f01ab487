#!/usr/bin/env bash
# Measures the CPU targets and writes bench/RESULTS.md (tables judged met / missed) from the JSON
# rows it leaves in bench/results/. Run on a quiet machine: it waits (up to WSR_WAIT_S, default
# 600 s) for the 1-minute load average to drop under WSR_MAX_LOAD (default 1.5), then measures
# anyway and records the load it saw before and after every run.
#   bash bench/cpu_results.sh            # everything (about 25 minutes on the 2-core machine)
#   bash bench/cpu_results.sh --no-epoch # without the real training epochs (about 12 minutes)
# Needs the addon built (npm run build:native), dist/ compiled (npm run build:ts) and the tfjs
# devDependencies; the real-epoch part needs CIFAR-10 (WSR_DATA_DIR or ../shared/data).
# WSR_QUICK=1 checks the script itself in a minute (tiny batches, 2 repeats, into /tmp).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
RESULTS=bench/results
MD=bench/RESULTS.md
B=128 R=10 R2=20 SLOW=--slow-baselines SMALL=1,32
if [[ ${WSR_QUICK:-0} == 1 ]]; then
  RESULTS=/tmp/wsr-cpu-results MD=/tmp/wsr-cpu-results/RESULTS.md B=4 R=2 R2=2 SLOW= SMALL=1,2
  export WSR_WAIT_S=0
fi
mkdir -p "$RESULTS"
EPOCH=1
[[ ${1:-} == --no-epoch ]] && EPOCH=0
DATA=${WSR_DATA_DIR:-../shared/data}
BENCH=(node dist/bench/main.js)
declare -a LOG=()

load1() { cut -d' ' -f1 /proc/loadavg; }

wait_quiet() {
  local waited=0 max=${WSR_MAX_LOAD:-1.5}
  while (($(echo "$(load1) >= $max" | bc -l))) && ((waited < ${WSR_WAIT_S:-600})); do
    echo "cpu_results: load $(load1) >= $max, waiting ($waited s so far)" >&2
    sleep 30
    waited=$((waited + 30))
  done
}

# measure NAME ARGS...: runs the bench with --json into bench/results/NAME.json, noting the load.
measure() {
  local name=$1
  shift
  wait_quiet
  local before after
  before=$(cut -d' ' -f1-3 /proc/loadavg)
  echo "cpu_results: $name: ${BENCH[*]} $* --json" >&2
  "${BENCH[@]}" "$@" --json >"$RESULTS/$name.json"
  after=$(cut -d' ' -f1-3 /proc/loadavg)
  LOG+=("| \`$name\` | \`wsr-native bench $*\` | $before | $after |")
}

started=$(date -u +%Y-%m-%dT%H:%MZ)
measure forward_vs_wasm --op conv_forward,lc_forward --batch $B --threads 1,2 --tfjs wasm --repeats $R
measure layers --op conv,lc,dense --batch $B --no-baselines --repeats $R2
measure steps_vs_wasm --op train_step,eval_step --shape cifar --batch $B --tfjs wasm --repeats $R
# shellcheck disable=SC2086
measure steps_vs_tfjs_cpu --op train_step --shape cifar.cnn --batch 32,$B --tfjs cpu $SLOW --repeats 5
measure small_batches --op conv,lc,dense,train_step --shape cifar --batch $SMALL --tfjs wasm --repeats $R

epoch_text="Not measured in this run (--no-epoch)."
if ((EPOCH)); then
  wait_quiet
  before=$(cut -d' ' -f1-3 /proc/loadavg)
  node bench/gpu/epoch.js --out "$RESULTS/epoch_cpu.json" --device cpu --data-dir "$DATA" --timeout-s 3000
  after=$(cut -d' ' -f1-3 /proc/loadavg)
  LOG+=("| \`epoch_cpu\` | \`node bench/gpu/epoch.js --device cpu --data-dir $DATA\` | $before | $after |")
  epoch_text=$(node -e '
    const r = require(process.argv[1]);
    const f = (x) => (x == null ? "–" : `${x.toFixed(1)} s`);
    const w = r.runs.with_robustness || {}, wo = r.runs.without_robustness || {};
    console.log(`Measured through \`wsr-native train\` (one CNN-phase epoch, then one epoch of each branch; the branch epochs are reported) on ${r.data}, ${r.train_images} training and ${r.validation_images} validation images, batch 128, 2 threads. An epoch here includes the validation pass (and the five robustness sets where said), the divergence metrics and the checkpoint.\n`);
    console.log("| network | epoch, validation only | epoch, validation and robustness |");
    console.log("| --- | --- | --- |");
    console.log(`| CNN | ${f(wo.cnn_epoch_s)} | ${f(w.cnn_epoch_s)} |`);
    console.log(`| FCN | ${f(wo.fcn_epoch_s)} | ${f(w.fcn_epoch_s)} |`);
  ' "$PWD/$RESULTS/epoch_cpu.json")
fi

files=$(ls "$RESULTS"/*.json | grep -v epoch_cpu | tr '\n' ',' | sed 's/,$//')
targets=$("${BENCH[@]}" --from "$files" --targets --batch "$B" | sed -n '/^### /,$p')
small=$("${BENCH[@]}" --from "$RESULTS/small_batches.json")

cat >"$MD" <<EOF
# wsr-native CPU benchmark results

Machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB;
Node $(node --version); TensorFlow.js $(node -p "require('@tensorflow/tfjs-core/package.json').version") (cpu and wasm backends).
Measured $started to $(date -u +%Y-%m-%dT%H:%MZ) by \`bash bench/cpu_results.sh\`; raw rows in bench/results/*.json
(\`wsr-native bench --from bench/results/layers.json\` prints any of them as a table).

How: every contender set up once, warmed up, then timed in alternation (one run each per round), median
reported. wsr-native is timed in its NCHW layout, TensorFlow.js in NHWC. The wasm backend runs on one
thread in Node; wsr-native at 2 threads unless said. tfjs-backend-cpu runs at most 3 times or 10 s per
case (often once), without warm-up when a run takes over a second. FLOPs are 2·MACs per pass
(src/bench/flops.ts). The LC baseline is Keras' construction in tfjs ops (slices + one batched matmul),
checked against our local2d in test/bench.test.ts.

## Runs and the load average (1, 5, 15 min) before and after each

| rows | command | load before | load after |
| --- | --- | --- | --- |
$(printf '%s\n' "${LOG[@]}")

## Targets

$targets

## CIFAR-10 epoch through the training loop

$epoch_text

## Batch 1 and 32 (CIFAR layers and steps, vs tfjs-backend-wasm)

\`\`\`
$small
\`\`\`

## GPU

Not measured here (no GPU on the development machine). bench/gpu/run.sh does it in one run on an
H100/H200 machine: prepare with \`bash bench/gpu/prepare.sh\`, which prints the device call to make.
EOF
echo "cpu_results: wrote $MD" >&2
