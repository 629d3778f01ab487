#!/usr/bin/env bash
# The CUDA kernels of cuda/{activation_loss,distance,elementwise,optim,augment,data,sharing,dense,gemm}.cu,
# unmodified, under a CPU simulation of the CUDA execution model, against their CPU twins in cpu/
# (test/cudasim/README.md). Builds the checkers (variants full and small), runs the simulator's
# selftest and every checker once, prints one line per family and exits non-zero on any failure,
# build error or missing tool. Needs g++ >= 11 with ASan/UBSan, python3, x86-64; no GPU.
# Environment: CUDASIM_SEED (input seed, default 1), CUDASIM_SIM_SEED (scheduling seed, default 1;
# 0 = threads in order), CUDASIM_FMA=1 (also the fma variant), CUDASIM_JOBS (default: every core),
# CUDASIM_TIMEOUT (seconds per checker, default 600). Logs: build/cudasim/logs/.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
SEED=${CUDASIM_SEED:-1}
SCHED_SEED=${CUDASIM_SIM_SEED:-1}
LOGS=$OUT/logs
now_us() { echo "${EPOCHREALTIME/[.,]/}"; }
seconds_since() { local us=$(($(now_us) - $1)); printf '%d.%d' $((us / 1000000)) $((us / 100000 % 10)); }

# Internal, run in parallel by xargs below: one binary; its output, exit status and seconds in $LOGS.
if [[ ${1:-} == --check ]]; then
  t0=$(now_us)
  # Grouped, so that the shell's own "Aborted" note for a crashed checker goes to the log too.
  { SIM_SEED=$SCHED_SEED timeout "${CUDASIM_TIMEOUT:-600}" "$OUT/bin/$2" "$SEED"; } >"$LOGS/$2.log" 2>&1
  rc=$?
  echo "$rc $(seconds_since "$t0")" >"$LOGS/$2.status"
  exit 0
fi

t_start=$(now_us)
VARIANTS="full small"
[[ ${CUDASIM_FMA:-0} == 1 ]] && VARIANTS+=" fma"
export VARIANTS
mkdir -p "$OUT"
echo "cudasim: building the checkers ($VARIANTS) and the selftest, $JOBS jobs"
if ! bash "$SIM_DIR/build.sh" >"$OUT/build.log" 2>&1; then
  cat "$OUT/build.log"
  die "the build failed (output above, also in $OUT/build.log)"
fi
warnings=$(grep -c 'warning:' "$OUT/build.log")
echo "cudasim: built in $(seconds_since "$t_start") s$( ((warnings)) && echo ", $warnings compiler warnings in $OUT/build.log")"

rm -rf "$LOGS" && mkdir -p "$LOGS"
runs=()
for fam in $ALL_FAMILIES; do for v in $VARIANTS; do runs+=("check_${fam}_$v"); done; done
runs+=(selftest)
t_run=$(now_us)
printf '%s\n' "${runs[@]}" | xargs -P "$JOBS" -n 1 bash "$SIM_DIR/run.sh" --check

# Why a run failed: the simulator's abort, a sanitizer report, a timeout, or the first mismatches.
reasons() {  # name rc
  local log=$LOGS/$1.log
  [[ $2 == 124 ]] && echo "timed out after ${CUDASIM_TIMEOUT:-600} s"
  grep -m 3 -E '^\*\*\* sim: |^SUMMARY: |runtime error:|^FAIL' "$log" 2>/dev/null | cut -c1-200
  echo "(exit status $2; log: $log)"
}
failed=0
for fam in $ALL_FAMILIES selftest; do
  line="" status=ok
  for v in $VARIANTS; do
    name=check_${fam}_$v label="$v: "
    [[ $fam == selftest ]] && name=selftest label=""
    read -r rc secs 2>/dev/null <"$LOGS/$name.status" || rc=missing secs=?
    summary=$(tail -n 1 "$LOGS/$name.log" 2>/dev/null)
    # Passing: exit status 0 and the checker's own last line: cases run, none failed.
    passed="^($fam \\[[a-z-]+\\]: [1-9][0-9]* cases, 0 failures|selftest: 0 failures)"
    [[ $rc == 0 && ! $summary =~ $passed ]] && rc="0 but no passing summary line"
    if [[ $rc == 0 ]]; then
      line+="${line:+ | }$label${summary#*: }, $secs s"
    else
      status=FAIL failed=$((failed + 1))
      line+="${line:+ | }${label}FAILED, $secs s"
      reasons "$name" "$rc" | sed 's/^/    /' >>"$LOGS/failures.txt"
    fi
    [[ $fam == selftest ]] && break
  done
  printf 'cudasim %-16s %-4s %s\n' "$fam" "$status" "$line"
  if [[ -s $LOGS/failures.txt ]]; then cat "$LOGS/failures.txt" && rm "$LOGS/failures.txt"; fi
done
echo "cudasim: input seed $SEED, SIM_SEED $SCHED_SEED; checks ran in $(seconds_since "$t_run") s, $(seconds_since "$t_start") s in all"
if ((failed)); then
  echo "cudasim: FAILED: $failed of ${#runs[@]} runs (logs in $LOGS)"
  exit 1
fi
echo "cudasim: all ${#runs[@]} runs passed"
