#!/usr/bin/env bash
# Measures the CPU targets and writes bench/RESULTS.md (tables judged met / missed) from the JSON
# rows it keeps in bench/results/. Run on a quiet machine: before each run it waits (up to
# WSR_WAIT_S, default 600 s) for the 1-minute load average to drop under WSR_MAX_LOAD (default
# 1.5), then measures anyway; the load before and after every run goes into the page.
#   bash bench/cpu_results.sh                    # everything (about 15 minutes on the 2-core machine)
#   bash bench/cpu_results.sh --no-epoch         # without the real training epochs
#   bash bench/cpu_results.sh --only layers,steps_vs_wasm   # redo these runs, keep the others
#   bash bench/cpu_results.sh --render           # rewrite the page from the kept rows
#   bash bench/cpu_results.sh --only torch_round1,torch_round2   # redo the comparison with PyTorch
# Needs the addon built (npm run build:native), dist/ compiled (npm run build:ts; WSR_BENCH_TS=1 runs
# the TypeScript sources instead) and the tfjs devDependencies; the epochs need CIFAR-10
# (WSR_DATA_DIR, else ../shared/data); the PyTorch rounds a Python with torch (docs/benchmarks.md), else
# they are skipped.
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
RUNS=$RESULTS/runs.tsv # name, command, load before, load after, UTC time
touch "$RUNS"
EPOCH=1 ONLY= RENDER_ONLY=0
while (($#)); do
  case $1 in
    --no-epoch) EPOCH=0 ;;
    --only) ONLY=",$2," && shift ;;
    --render) RENDER_ONLY=1 ;;
    *) echo "cpu_results: unknown argument $1" >&2 && exit 2 ;;
  esac
  shift
done
DATA=${WSR_DATA_DIR:-../shared/data}
BENCH=(node dist/bench/main.js)
[[ -n ${WSR_BENCH_TS:-} ]] && BENCH=(node -r ./bench/tsRequire.js src/bench/main.ts)

load1() { cut -d' ' -f1 /proc/loadavg; }

wait_quiet() {
  local waited=0 max=${WSR_MAX_LOAD:-1.5}
  while (($(echo "$(load1) >= $max" | bc -l))) && ((waited < ${WSR_WAIT_S:-600})); do
    echo "cpu_results: load $(load1) >= $max, waiting ($waited s so far)" >&2
    sleep 30
    waited=$((waited + 30))
  done
}

wanted() { ((!RENDER_ONLY)) && [[ -z $ONLY || $ONLY == *",$1,"* ]]; }

# record NAME COMMAND BEFORE: notes a finished run in runs.tsv (replacing an earlier one).
record() {
  local after
  after=$(cut -d' ' -f1-3 /proc/loadavg)
  { grep -v "^$1	" "$RUNS" || true; } >"$RUNS.tmp"
  printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$after" "$(date -u +%Y-%m-%dT%H:%MZ)" >>"$RUNS.tmp"
  mv "$RUNS.tmp" "$RUNS"
}

# measure NAME ARGS...: the bench with --json into bench/results/NAME.json.
measure() {
  local name=$1
  shift
  wanted "$name" || return 0
  wait_quiet
  local before
  before=$(cut -d' ' -f1-3 /proc/loadavg)
  echo "cpu_results: $name: ${BENCH[*]} $* --json" >&2
  "${BENCH[@]}" "$@" --json >"$RESULTS/$name.json"
  record "$name" "wsr-native bench $*" "$before"
}

measure forward_vs_wasm --op conv_forward,lc_forward --batch $B --threads 1,2 --tfjs wasm --repeats $R
measure layers --op conv,lc,dense --batch $B --no-baselines --repeats $R2
measure steps_vs_wasm --op train_step,eval_step --shape cifar --batch $B --tfjs wasm --repeats $R
# shellcheck disable=SC2086
measure steps_vs_tfjs_cpu --op train_step --shape cifar.cnn --batch 32,$B --tfjs cpu $SLOW --repeats 5
measure small_batches --op conv,lc,dense,train_step --shape cifar --batch $SMALL --tfjs wasm --repeats $R
# Against PyTorch (--torch): every case at batch $B on 2 threads, in two rounds (the spread between
# them is the machine's); the rows in NAME.json, the report (torch, BLAS, oneDNN, sgemm ceiling, load)
# and the progress in NAME.log.
measure_torch() {
  local name=$1
  shift
  wanted "$name" || return 0
  if ! TORCH_PY=$(node -r ./bench/tsRequire.js -e 'process.stdout.write(require("./src/bench/torch/python").findTorchPython())' 2>&1); then
    echo "cpu_results: $name skipped: $TORCH_PY" >&2
    return 0
  fi
  wait_quiet
  local before
  before=$(cut -d' ' -f1-3 /proc/loadavg)
  echo "cpu_results: $name: ${BENCH[*]} $* --json" >&2
  "${BENCH[@]}" "$@" --json >"$RESULTS/$name.json" 2>"$RESULTS/$name.log"
  record "$name" "wsr-native bench $*" "$before"
}
measure_torch torch_round1 --torch --no-baselines --batch $B --threads 2 --repeats $R
measure_torch torch_round2 --torch --no-baselines --batch $B --threads 2 --repeats $R

if ((EPOCH)) && wanted epoch_cpu; then
  wait_quiet
  before=$(cut -d' ' -f1-3 /proc/loadavg)
  node bench/gpu/epoch.js --out "$RESULTS/epoch_cpu.json" --device cpu --data-dir "$DATA" --timeout-s 3000
  record epoch_cpu "node bench/gpu/epoch.js --device cpu --data-dir $DATA" "$before"
fi

# ---------------------------------------------------------------------------------------------
# The page, from the kept rows.
epoch_text="Not measured (run without --no-epoch)."
if [[ -s $RESULTS/epoch_cpu.json ]]; then
  epoch_text=$(node -e '
    const r = require(process.argv[1]);
    const f = (x) => (x == null ? "–" : `${x.toFixed(1)} s`);
    const w = r.runs.with_robustness || {}, wo = r.runs.without_robustness || {};
    console.log(`Measured through \`wsr-native train\` on ${r.data}: ${r.train_images.toLocaleString("en")} training and ${r.validation_images.toLocaleString("en")} validation images, batch 128, 2 threads, one epoch of the CNN phase, then one of each branch (the branch epochs are reported). The wall time of an epoch includes its validation pass (and the five robustness sets where said), the divergence metrics and the checkpoint.\n`);
    console.log("| network | epoch with validation | epoch with validation and robustness |");
    console.log("| --- | --- | --- |");
    console.log(`| CNN | ${f(wo.cnn_epoch_s)} | ${f(w.cnn_epoch_s)} |`);
    console.log(`| FCN | ${f(wo.fcn_epoch_s)} | ${f(w.fcn_epoch_s)} |`);
  ' "$PWD/$RESULTS/epoch_cpu.json")
fi

files=$(ls "$RESULTS"/*.json | grep -v -e epoch_cpu -e torch_ | tr '\n' ',' | sed 's/,$//')
# Rows of the dedicated runs first: the targets take the first row they find for a case.
files=$(tr ',' '\n' <<<"$files" | sort -t/ -k3 | awk '/small_batches/ { last = $0; next } { print } END { if (last) print last }' | paste -sd,)
targets=$("${BENCH[@]}" --from "$files" --targets --batch "$B" | sed -n '/^### /,$p')
small=$("${BENCH[@]}" --from "$RESULTS/small_batches.json")
torch_text="Not measured (no Python with torch; docs/benchmarks.md says how to install it)."
torch_rounds=$(ls "$RESULTS"/torch_round*.json 2>/dev/null | sed 's/\.json$//' | sort)
if [[ -n $torch_rounds ]]; then
  # shellcheck disable=SC2086
  torch_text="\`wsr-native bench --torch --no-baselines --batch $B --threads 2 --repeats $R\`, run twice (the runs table above gives
each round's load before and after). Both contenders at 2 threads, alternating round by round.

$(node bench/torch_results.js $torch_rounds)"
  # What the rounds show, written by hand: kept across runs like notes.md.
  [[ -s $RESULTS/torch_notes.md ]] && torch_text+=$'\n\n'$(cat "$RESULTS/torch_notes.md")
fi
notes="(none: bench/results/notes.md is kept across runs for them)"
[[ -s $RESULTS/notes.md ]] && notes=$(cat "$RESULTS/notes.md")
period=$(cut -f5 "$RUNS" | sort | sed -n '1p;$p' | paste -sd' ' | sed 's/ / to /')
runs_table=$(sort -t$'\t' -k5 "$RUNS" | awk -F'\t' '{ printf "| `%s` | `%s` | %s | %s | %s |\n", $1, $2, $3, $4, $5 }')

cat >"$MD" <<EOF
# wsr-native CPU benchmark results

Machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //') ($(grep -m1 '^flags' /proc/cpuinfo | grep -o 'avx512f' | head -1 | sed 's/avx512f/AVX-512/')), $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, a shared virtual machine;
Node $(node --version); TensorFlow.js $(node -p "require('@tensorflow/tfjs-core/package.json').version") (cpu and wasm backends).
Measured $period (UTC) by \`bash bench/cpu_results.sh\`; raw rows in bench/results/*.json
(\`wsr-native bench --from bench/results/layers.json\` prints any of them as a table).

How: every contender set up once, warmed up, then timed in alternation: each round, untimed runs
of each for at least 150 ms, then one timed run (the first runs after another contender's are slow
for everyone: a core of this VM left idle runs slower for a while, and PyTorch's OpenMP and OpenBLAS
threads spin on for up to 100 ms after its runs); median reported. wsr-native is timed in its NCHW layout, TensorFlow.js in NHWC. The wasm backend runs on
one thread in Node; wsr-native at 2 threads unless said. tfjs-backend-cpu is timed after the
others, at most 3 times or 10 s per case (so its multi-minute training steps once), without
warm-up when a run takes over a second. FLOPs are 2·MACs per pass (src/bench/flops.ts). The LC
baseline is Keras' construction in tfjs ops (slices + one batched matmul), checked against our
local2d in test/bench.test.ts.

## Runs, and the load average (1, 5, 15 min) before and after each

The load average counts the bench's own two threads: about 2 during a run is the bench alone.

| rows | command | load before | load after | finished (UTC) |
| --- | --- | --- | --- | --- |
$runs_table

## Targets

$targets

## Notes

$notes

## CIFAR-10 epoch through the training loop

$epoch_text

## Batch 1 and 32 (CIFAR layers and steps, vs tfjs-backend-wasm)

\`\`\`
$small
\`\`\`

## Against PyTorch on the CPU

$torch_text

## GPU

Not measured here (no GPU on the development machine). bench/gpu/run.sh does it in one run on an
H100/H200 machine: prepare with \`bash bench/gpu/prepare.sh\`, which prints the device call to make.
EOF
echo "cpu_results: wrote $MD" >&2
