# Sourced by build.sh, run.sh and mutants.sh: where things are, the compiler flags, and how one
# object or checker is built. Paths come from this file's location; everything built goes to
# build/cudasim/ (git-ignored).
SIM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SIM_DIR/../.." && pwd)
OUT=$ROOT/build/cudasim
JOBS=${CUDASIM_JOBS:-${WSR_BUILD_JOBS:-$(nproc 2>/dev/null || echo 2)}}
CXX=${CUDASIM_CXX:-g++}
# Each family: checks/check_<family>.cc against cuda/<family>.cu (and the engine files it uses, see
# kernel_files). Listed longest run first, so parallel runs finish together.
ALL_FAMILIES="conv local distance elementwise dense lowrank activation_loss data sharing optim augment"
# Leak checking is off: not what this tests (the fiber pool lives as long as the process), and
# LeakSanitizer does not run under the ptrace restrictions of some containers.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0} UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

FLAGS=(-std=c++20 -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
       -Wall -Wno-unknown-pragmas -Wno-unused-function -I"$ROOT" -I"$ROOT/cuda" -I"$ROOT/cpu" -I"$SIM_DIR/checks")
# A simulated kernel file: the simulator is included ahead of the (launch-rewritten) .cu source.
SIM_FLAGS=("${FLAGS[@]}" -I"$SIM_DIR/include" -include "$SIM_DIR/include/cuda_runtime.h")

die() { echo "cudasim: ERROR: $*" >&2; exit 1; }

# Fails loudly (never skips) when this machine cannot run the simulation as intended.
preflight() {
  [[ $(uname -m) == x86_64 ]] || die "the simulator's fiber switch is x86-64 assembly; this machine is $(uname -m)"
  command -v python3 >/dev/null || die "python3 is needed (gen.py rewrites the kernel launches)"
  command -v "$CXX" >/dev/null || die "$CXX not found (install g++ >= 11)"
  mkdir -p "$OUT"
  printf '#include <source_location>\nint main() { return std::source_location::current().line() == 2 ? 0 : 1; }\n' \
    >"$OUT/preflight.cc"
  "$CXX" -std=c++20 -fsanitize=address,undefined "$OUT/preflight.cc" -o "$OUT/preflight" && "$OUT/preflight" ||
    die "$CXX cannot build and run a C++20 program with -fsanitize=address,undefined; the simulation needs" \
        "g++ >= 11 with libasan and libubsan (Debian/Ubuntu: apt-get install g++)"
}

# The kernel files a family's checker simulates.
kernel_files() {
  case $1 in
    conv | local) echo "$1" implicit_gemm window_layout ;;
    dense | lowrank) echo "$1" implicit_gemm ;;
    *) echo "$1" ;;
  esac
}


# Objects the checker of family $1 links besides its own: the CPU twin and the runtime stub.
twin_objs() {
  case $1 in
    augment) echo stub_dev.o cpu_augment.o cpu_parallel.o ;;  # augment.cu is built with -Dwsr=wsr_dev
    conv) echo stub.o cpu_conv.o cpu_conv_one_channel.o cpu_gemm.o cpu_transpose.o cpu_parallel.o ;;  # conv's NHWC copies, one-channel kernels
    local | dense | lowrank) echo stub.o "cpu_$1.o" cpu_gemm.o cpu_parallel.o ;;
    *) echo stub.o "cpu_$1.o" cpu_parallel.o ;;
  esac
}

# Variant "small": every grid cap lowered, so the grid-stride loops wrap with small inputs. The caps live in
# cuda/prelude.cuh (kMaxBlocks -> 3, the tile grid's kMaxGridX and kMaxGridYZ -> 2): small_prelude writes
# the edited copy to $OUT/small/cuda/prelude.cuh, which the small variant's objects include instead (-iquote
# comes before -I). A kernel file's own caps (constexpr int64_t kMax... = ...;) are lowered to 3 by
# small_grid, line for line so diagnostics keep pointing at the original lines; a cap written any other way
# fails the build, as does a prelude edit that no longer applies.
SMALL_INCLUDE=$OUT/small
small_prelude() {
  mkdir -p "$SMALL_INCLUDE/cuda"
  sed -e 's/constexpr int64_t kMaxBlocks = [^;]*;/constexpr int64_t kMaxBlocks = 3;/' \
      -e 's/constexpr int64_t kMaxGridX = [^;]*;/constexpr int64_t kMaxGridX = 2;/' \
      -e 's/constexpr int64_t kMaxGridYZ = [^;]*;/constexpr int64_t kMaxGridYZ = 2;/' \
      "$ROOT/cuda/prelude.cuh" >"$SMALL_INCLUDE/cuda/prelude.cuh"
  [[ $(diff "$ROOT/cuda/prelude.cuh" "$SMALL_INCLUDE/cuda/prelude.cuh" | grep -c '^>') == 3 ]] ||
    die "the small-grid edit no longer applies to cuda/prelude.cuh (its grid caps were rewritten?): update small_prelude in $SIM_DIR/common.sh"
}
small_grid() {  # in.cu out.cu
  sed -e 's/constexpr int64_t \(kMax[A-Za-z]*\) = [^;]*;/constexpr int64_t \1 = 3;/' "$1" >"$2"
  # A literal cap in a grid's size: 65535, INT_MAX or 1 << n next to min/clamp/dim3/<<< (not in a comment).
  if grep -nE '(65535|INT_MAX|1 << [12][0-9]).*(min|clamp|dim3|<<<)|(min|clamp|dim3|<<<).*(65535|INT_MAX|1 << [12][0-9])' "$2" |
     grep -vE '^[0-9]+: *//' >&2; then
    die "$1 caps a grid by itself (above): use cuda/prelude.cuh's caps, or a constexpr int64_t kMax... that small_grid lowers"
  fi
}

# Compiles a launch-rewritten kernel file (gen.py's output) for variant $2; $5 (optional) is a folder whose
# cuda/*.cuh replace the repository's (a mutated header).
compile_kernel() {  # file variant in.cc out.o [include-override]
  local extra=()
  [[ -n ${5:-} ]] && extra+=(-iquote "$5")
  [[ $2 == small ]] && extra+=(-iquote "$SMALL_INCLUDE")
  [[ $1 == augment ]] && extra+=(-D__CUDA_ARCH__=900 -Dwsr=wsr_dev -include "$SIM_DIR/checks/augment_api.h")
  # "fma": g++ forms FMAs only with -fexpensive-optimizations on top of -ffp-contract=fast.
  [[ $2 == fma ]] && extra+=(-mfma -ffp-contract=fast -fexpensive-optimizations)
  "$CXX" "${SIM_FLAGS[@]}" "${extra[@]}" -c "$3" -o "$4"
}

# Links the checker $1 from its compiled check_<family>_<variant>.o, the simulated kernel objects
# given and the CPU twin's objects (in $OUT/obj).
link_checker() {  # family out check.o kernel.o...
  local fam=$1 out=$2 twins=()
  shift 2
  for o in $(twin_objs "$fam"); do twins+=("$OUT/obj/$o"); done
  "$CXX" "${FLAGS[@]}" -o "$out" "$@" "${twins[@]}" -lpthread
}
