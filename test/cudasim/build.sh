#!/usr/bin/env bash
# Builds the checkers into build/cudasim/bin/: check_<family>_<variant> for every family and
# variant asked for, and the simulator's selftest. Variants:
#   full  - the kernel sources as they are;
#   small - every grid cap lowered to 3 blocks (2 for gemm), so grid-stride loops wrap with small inputs;
#   fma   - as full, the simulated kernels compiled with -mfma -ffp-contract=fast (nvcc fuses a*b+c by
#           default; needs an x86-64 CPU with FMA to run).
# Usage: test/cudasim/build.sh [family...]   (default: all; VARIANTS="full small fma", default "full small")
# Compiles with $CUDASIM_JOBS parallel jobs (default: every core). Always a clean build (about 40 files).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"  # file names in diagnostics relative to the repository

variant_define() { case $1 in small) echo -DSIM_SMALL_GRID ;; fma) echo -DSIM_FMA ;; esac; }

# Internal, run in parallel by xargs below: one object file, or one checker's link.
if [[ ${1:-} == --object ]]; then
  name=$2
  o=$OUT/obj/$name base=${name%.o}
  case $name in
    cpu_*.o) exec "$CXX" "${FLAGS[@]}" -c "cpu/${base#cpu_}.cc" -o "$o" ;;
    stub.o) exec "$CXX" "${FLAGS[@]}" -c "$SIM_DIR/stub_runtime.cc" -o "$o" ;;
    stub_dev.o) exec "$CXX" "${FLAGS[@]}" -Dwsr=wsr_dev -c "$SIM_DIR/stub_runtime.cc" -o "$o" ;;
    sim_*.o) base=${base#sim_} && compile_kernel "${base%_*}" "${base##*_}" "$OUT/gen/$base.cc" "$o" ;;
    check_*.o)
      base=${base#check_}
      exec "$CXX" "${FLAGS[@]}" $(variant_define "${base##*_}") -c "$SIM_DIR/checks/check_${base%_*}.cc" -o "$o" ;;
    selftest) exec "$CXX" "${SIM_FLAGS[@]}" "$OUT/gen/selftest.cc" -o "$OUT/bin/selftest" ;;
    *) die "unknown object $name" ;;
  esac
  exit
fi
if [[ ${1:-} == --link ]]; then
  fam=$2 v=$3 kernels=()
  for f in $(kernel_files "$fam"); do kernels+=("$OUT/obj/sim_${f}_$v.o"); done
  link_checker "$fam" "$OUT/bin/check_${fam}_$v" "$OUT/obj/check_${fam}_$v.o" "${kernels[@]}"
  echo "built bin/check_${fam}_$v"
  exit
fi

FAMILIES=${*:-$ALL_FAMILIES}
VARIANTS=${VARIANTS:-full small}
for fam in $FAMILIES; do [[ " $ALL_FAMILIES " == *" $fam "* ]] || die "unknown family '$fam' (known: $ALL_FAMILIES)"; done
for v in $VARIANTS; do [[ $v =~ ^(full|small|fma)$ ]] || die "unknown variant '$v' (known: full small fma)"; done
preflight
rm -rf "$OUT/gen" "$OUT/obj" "$OUT/bin"
mkdir -p "$OUT/gen" "$OUT/obj" "$OUT/bin"

# 1. The kernel files with their launches rewritten (serial, fast), and the list of objects.
[[ " $VARIANTS " == *" small "* ]] && small_prelude
objects=() links=()
declare -A listed
add() { for o; do [[ -n ${listed[$o]:-} ]] || { listed[$o]=1; objects+=("$o"); }; done; }
for fam in $FAMILIES; do
  for v in $VARIANTS; do
    for f in $(kernel_files "$fam"); do
      [[ -n ${listed[sim_${f}_$v.o]:-} ]] && continue
      src=cuda/$f.cu
      if [[ $v == small ]]; then
        small_grid "$src" "$OUT/gen/${f}_small.cu"
        src=$OUT/gen/${f}_small.cu
      fi
      python3 "$SIM_DIR/gen.py" "$src" "$OUT/gen/${f}_$v.cc" "cuda/$f.cu"
      add "sim_${f}_$v.o"
    done
    add "check_${fam}_$v.o"
    links+=("$fam $v")
  done
done
for fam in $FAMILIES; do add $(twin_objs "$fam"); done
python3 "$SIM_DIR/gen.py" "$SIM_DIR/selftest/selftest.cu" "$OUT/gen/selftest.cc" "${SIM_DIR#"$ROOT"/}/selftest/selftest.cu"
add selftest

# 2. Compile, then link, $JOBS at a time; every job runs even when one fails, so all errors show.
printf '%s\n' "${objects[@]}" | xargs -P "$JOBS" -n 1 bash "$SIM_DIR/build.sh" --object ||
  die "compiling failed (errors above)"
printf '%s\n' "${links[@]}" | xargs -P "$JOBS" -L 1 bash "$SIM_DIR/build.sh" --link || die "linking failed (errors above)"
echo "built ${#links[@]} checkers ($VARIANTS) and the selftest in $OUT/bin"
