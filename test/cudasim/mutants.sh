#!/usr/bin/env bash
# Sensitivity check of the checkers (not part of run.sh / CI): plants one typical indexing or
# synchronisation bug at a time in a copy of a kernel file, rebuilds that family's checker with it
# and expects the checker to fail (mismatch, simulator abort, or sanitizer). The edits are regexes
# on today's sources: one that no longer applies is reported, and counts as not detected.
# Usage: test/cudasim/mutants.sh [ID...]   (all, or only the mutants named; builds the full and small
# checkers first if needed. All 60, one at a time: about 13 minutes of CPU)
# Exit status non-zero when a mutant is not detected. Work files: build/cudasim/mutants/.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"
command -v perl >/dev/null || die "perl is needed to plant the mutants"
built=1
for fam in $ALL_FAMILIES; do for v in full small; do [[ -f $OUT/obj/check_${fam}_$v.o ]] || built=0; done; done
((built)) || VARIANTS="full small" bash "$SIM_DIR/build.sh" || die "building the checkers failed"
M=$OUT/mutants
rm -rf "$M" && mkdir -p "$M"
caught=0 missed=0

# family[@file]: the checker to run and the file to plant the bug in (default cuda/<family>.cu). A header
# (file.cuh) is planted in a copy that every kernel file of the family then includes instead.
ONLY=" $* "
mutant() {  # id family[@file] variant perl-expression description
  [[ $ONLY == "  " || $ONLY == *" $1 "* ]] || return 0
  local id=$1 fam=${2%@*} v=$3 expr=$4 desc=$5 objs=() rc how base f file out
  file=$fam.cu
  [[ $2 == *@* ]] && file=${2#*@}
  base=$ROOT/cuda/$file
  [[ $v == small && $file == prelude.cuh ]] && base=$SMALL_INCLUDE/cuda/prelude.cuh
  if [[ $v == small && $file == *.cu ]]; then small_grid "$base" "$M/$id.base"; else cp "$base" "$M/$id.base"; fi
  perl -0pe "$expr" "$M/$id.base" >"$M/$id.planted"
  if cmp -s "$M/$id.base" "$M/$id.planted"; then
    echo "MUTANT $id did not apply: $desc"
    missed=$((missed + 1))
    return
  fi
  mkdir -p "$M/$id.inc/cuda"
  if [[ $file == *.cu ]]; then out=$M/$id.cc; else out=$M/$id.inc/cuda/$file; fi
  python3 "$SIM_DIR/gen.py" "$M/$id.planted" "$out" "cuda/$file" 2>/dev/null
  for f in $(kernel_files "$fam"); do
    if [[ $file == "$f.cu" ]]; then
      compile_kernel "$f" "$v" "$M/$id.cc" "$M/$id.$f.o" 2>>"$M/$id.build" || { objs=(); break; }
      objs+=("$M/$id.$f.o")
    elif [[ $file == *.cuh ]] && grep -q "#include \"cuda/$file\"" "cuda/$f.cu"; then  # against the planted header
      compile_kernel "$f" "$v" "$OUT/gen/${f}_$v.cc" "$M/$id.$f.o" "$M/$id.inc" 2>>"$M/$id.build" || { objs=(); break; }
      objs+=("$M/$id.$f.o")
    else
      objs+=("$OUT/obj/sim_${f}_$v.o")
    fi
  done
  if ((${#objs[@]} == 0)); then
    echo "MUTANT $id does not compile (see $M/$id.build)"
    missed=$((missed + 1))
    return
  fi
  link_checker "$fam" "$M/$id.bin" "$OUT/obj/check_${fam}_$v.o" "${objs[@]}" || die "linking mutant $id failed"
  { timeout 300 "$M/$id.bin" 3; } >"$M/$id.txt" 2>&1  # grouped: the shell's "Aborted" note into the log
  rc=$?
  if [[ $rc == 0 ]]; then
    how="NOT DETECTED"
    missed=$((missed + 1))
  else
    caught=$((caught + 1))
    how=$(grep -m1 -oE "\*\*\* sim: .*|ERROR: AddressSanitizer: [a-z-]*|runtime error: .*|SEGV" "$M/$id.txt")
    [[ -z $how ]] && how="$(grep -c '^FAIL' "$M/$id.txt") mismatching cases, e.g. $(grep -m1 '^FAIL' "$M/$id.txt" | cut -c1-110)"
  fi
  printf "%-5s %-50s rc=%-3s %s\n" "$id" "$desc" "$rc" "$how"
}

mutant AL1 activation_loss full 's/if \(r < n\) \{/if (r < n && lane < classes) {/' "softmax: lane-dependent guard around the shuffles"
mutant AL2 activation_loss full 's/for \(int offset = 16; offset > 0; offset \/= 2\) total/for (int offset = 8; offset > 0; offset \/= 2) total/' "softmax: sum reduction skips offset 16"
mutant AL3 activation_loss full 's/(block_correct = 0.f;\n  \}\n)  __syncthreads\(\);\n/$1/' "softmax: no barrier after zeroing the shared sums"
mutant AL4 activation_loss full 's/other_arg < argmax\)\)/other_arg > argmax))/' "softmax: argmax ties go to the higher column"
mutant AL5 activation_loss full 's/const int64_t r = blockIdx.x \* int64_t\{kWarpsPerBlock\}/const int64_t r = blockIdx.x * int64_t{kWarpsPerBlock - 1}/' "softmax: blocks overlap by one row"
mutant DI1 distance full 's/(x \+= __shfl_down_sync\(0xffffffffu, x, offset\);\n  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;\n)  __syncthreads\(\);\n/$1/' "block_sum: no barrier before reusing scratch"
mutant DI2 distance full 's/x = lane < static_cast<int>\(blockDim.x >> 5\) \? scratch\[lane\] : 0.0;/x = scratch[lane];/' "block_sum: warp 0 reads all 32 scratch slots"
mutant DI3 distance full 's/(__device__ double block_sum\(double x, double\* scratch\) \{\n  for \(int offset = )16/${1}8/' "block_sum: first warp reduction skips offset 16"
mutant DI4 distance full 's/s < layout.slot_begin\[k \+ 1\]; s \+= blockDim.x\)/s <= layout.slot_begin[k + 1]; s += blockDim.x)/' "ring_means: one slot too many"
mutant DI5 distance small 's/for \(int64_t p = blockIdx.x; (p < g.positions\(\); p \+= gridDim.x\) \{\n    const float\* bank = w \+ p \* g.bank;\n    const double n)/for (int64_t p = blockIdx.x + gridDim.x; $1/' "bank_norms: grid-stride loop skips its first position"
mutant EW1 elementwise full 's/acc = lane < kThreads \/ 32 \?/acc = lane < kThreads \/ 16 ?/' "reduce: warp 0 reads 16 warp totals"
mutant EW3 elementwise full 's/(if \(lane == 0\) warp_totals\[warp\] = acc;\n)  __syncthreads\(\);\n/$1/' "reduce: no barrier before warp 0 reads totals"
mutant EW4 elementwise small 's/(__global__ void scale_kernel\(int64_t n, float alpha, float\* t\) \{\n  for \(int64_t i = grid_start\(\); i < n; i \+= )grid_step\(\)/${1}blockDim.x/' "scale: grid-stride step of one block"
mutant PR1 elementwise@prelude.cuh small 's/(int64_t grid_step\(\) \{ return )int64_t\{gridDim.x\} \* blockDim.x;/${1}int64_t{gridDim.x - 1} * blockDim.x + 1;/' "prelude: grid-stride step too short"
mutant PR2 data@prelude.cuh full 's/(int64_t grid_start\(\) \{ return int64_t\{blockIdx.x\} \* blockDim.x \+ threadIdx.x)/$1 + 1/' "prelude: grid-stride loops start one element late"
mutant OP1 optim full 's/step = c.nesterov \? g \+ c.momentum \* v : v;/step = c.nesterov ? v + c.momentum * g : v;/' "sgd: nesterov step swapped"
mutant OP2 optim full 's/if \(c.momentum != 0.f\) \{/if (true) {/' "sgd: velocity used when momentum is 0"
mutant OP3 optim small 's/i < count; i \+= grid_step\(\)\) \{\n    const float p = param\[i\];\n    const float g = grad\[i\] \+ c.weight_decay \* p;\n    const float mi/i <= count; i += grid_step()) {\n    const float p = param[i];\n    const float g = grad[i] + c.weight_decay * p;\n    const float mi/' "adam: one element past the end"
mutant AU1 augment full 's/if \(any\) rng::normal4/if (noisy[0]) rng::normal4/' "edge_noise: draw only when the first element is noisy"
mutant AU2 augment full 's/y\[plane \* s.plane\(\) \+ i \* s.w \+ j\] = augment::bilinear/y[plane * s.plane() + i * s.h + j] = augment::bilinear/' "rotate: row stride h instead of w"
mutant AU3 augment full 's/clamp_index\(j - dx, s.w\)/clamp_index(j + dx, s.w)/' "translate: dx sign"
mutant AU4 augment full 's/const int64_t j = e % s.w, i = \(e \/ s.w\) % s.h, plane = e \/ s.plane\(\);\n    int64_t si/const int64_t j = e % s.w, i = (e \/ s.h) % s.h, plane = e \/ s.plane();\n    int64_t si/' "quadrant_swap: row from e / h"
mutant DA1 data full 's/if \(k == 0\) y\[i\]/if (e == 0) y[i]/' "gather: only element 0 writes a label"
mutant DA2 data full 's/const bool valid = j >= 0 && j < s.samples;/const bool valid = j >= 0 \&\& j <= s.samples;/' "gather: index == samples accepted"
mutant DA3 data full 's/i < s.count; i \+= grid_step\(\)/i <= s.count; i += grid_step()/' "gather_labels: one thread too many"
mutant DE1 dense full 's/o < out; o \+= grid_step\(\)/o <= out; o += grid_step()/' "column_sums: one column too many"
mutant DE2 dense@implicit_gemm.cu full 's/v \+= bias\[m \* c.bias_sm \+ n \* c.bias_sn\];/v += bias[n * c.bias_sm + m * c.bias_sn];/' "engine: bias indexed along the wrong axis"
mutant DE3 dense full 's/p.g.c.bias = b;/p.g.c.bias = nullptr;/' "dense_forward: bias never added"
mutant IG1 conv@implicit_gemm.cu full 's/(    \}\n)    __syncthreads\(\);  \/\/ the buffer just read/$1    \/\/ the buffer just read/' "engine: no barrier between a stage's reads and the next stage's stores"
mutant IG2 local@implicit_gemm.cu full 's/(    lb.store\(bs\[0\], vb\);\n  \}\n)  __syncthreads\(\);\n/$1/' "engine: no barrier after the first stage's stores"
mutant IG3 conv@implicit_gemm.cuh full 's/o.x0 = -s.pad_left;/o.x0 = 1 - s.pad_left;/' "engine: window bounds off by one column (padding)"
mutant IG4 local@implicit_gemm.cu full 's/return static_cast<unsigned>\(v\) < static_cast<unsigned>\(size\);/return static_cast<unsigned>(v) <= static_cast<unsigned>(size);/' "engine: window bounds include the row past the edge (padding)"
mutant IG5 conv@implicit_gemm.cu full 's/const bool in_slice = cur.i < r_end/const bool in_slice = cur.i <= r_end/' "engine: one reduction step past the slice (bound)"
mutant IG6 dense@implicit_gemm.cu full 's/v\[l\] = c.i < r_end && in_window/v[l] = c.i <= r_end \&\& in_window/' "engine: free-major loads one step past the slice (bound)"
mutant IG7 conv@implicit_gemm.cu full 's/if \(m >= g.m\) continue;/if (m > g.m) continue;/' "engine: stores one row past the matrix (bound)"
mutant IG8 local@implicit_gemm.cu full 's/const int begin = min\(r, split \* per\);/const int begin = min(r, split * per + 1);/' "engine: split slices skip their first step"
mutant IG9 dense@implicit_gemm.cu full 's/for \(int s = 0; s < splits; \+\+s\) sum/for (int s = 1; s < splits; ++s) sum/' "engine: split sum drops the first slice"
mutant IG10 conv@implicit_gemm.cu full 's/    c.d1 -= a.r1;\n    c.off \+= s.carry1;/    c.d1 -= a.r1;/' "engine: reduction cursor loses the outer carry"
mutant IG11 conv@implicit_gemm.cu small 's/tn < tiles_n; tn \+= gridDim.x\)/tn < tiles_n; tn += gridDim.x + 1)/' "engine: tile loop skips column tiles past the grid"
mutant IG12 local@implicit_gemm.cu full 's/place\(op.free, min\(f0 \+ t % T::kSize, f_count - 1\)\)/place(op.free, min(f0 + t % T::kSize, f_count))/' "engine: free-major loads read one index past the matrix (bound)"
mutant CV1 conv@implicit_gemm.cuh full 's/g.b.h = s.oh;/g.b.h = s.oh + 1;/' "conv dgrad phases: taps below the output read (padding)"
mutant CV2 conv full 's/  g.c.bias_sm = 1;/  g.c.bias_sn = 1;/' "conv forward: bias indexed by pixel instead of channel (bound)"
mutant CV3 conv full 's/(      if \(static_cast<int>\(threadIdx.x\) < half\) sums\[threadIdx.x\] \+= sums\[threadIdx.x \+ half\];\n)      __syncthreads\(\);/$1/' "conv bias_grad: no barrier between tree levels"
mutant LO1 local full 's/return \{int64_t\{s.stride_h\} \* s.w, s.stride_w, s.stride_h, s.stride_w\};/return {int64_t{s.stride_h} * s.w, s.stride_w, s.stride_w, s.stride_h};/' "local: windows move by the other axis' stride (padding)"
mutant LO2 local full 's/for \(int img = 0; img < s.n; \+\+img\) sum/for (int img = 1; img < s.n; ++img) sum/' "local bias_grad: skips the first image"
mutant WL1 local@window_layout.cu small 's/(dst\[c \* rows \+ r\] = tile\[threadIdx.x\]\[i\];\n      \}\n)      __syncthreads\(\);/$1/' "transpose: no barrier before the tile is refilled"
mutant WL2 conv@window_layout.cu full 's/\(py - s.kh\) \/ s.stride_h \+ 1, oy_hi/(py - s.kh) \/ s.stride_h, oy_hi/' "sum_patch_gradients: one position too many above the pixel (bound)"
mutant WL3 local@window_layout.cu full 's/if \(r < rows && c < cols\) dst/if (r < rows \&\& c <= cols) dst/' "transpose: writes one column past the matrix (bound)"
mutant SH1 sharing full 's/(    squares\[threadIdx.x\] = s;\n)    __syncthreads\(\);\n/$1/' "penalty_tiles: no barrier before thread 0 sums the tile"
mutant SH2 sharing small 's/    __syncthreads\(\);  \/\/ squares is rewritten by the next tile\n//' "penalty_tiles: no barrier before the next tile reuses the shared sums"
mutant SH3 sharing small 's/t < count; t \+= gridDim.x\)/t < count; t += gridDim.x + 1)/' "penalty_tiles: tile loop skips tiles past the grid"
mutant SH4 sharing full 's/for \(int64_t c = grid_start\(\); c < columns;/for (int64_t c = grid_start(); c <= columns;/' "tie_columns: one column past the matrix (bound)"
mutant SH5 sharing full 's/for \(int64_t j = 0; j < n; \+\+j\) tile/for (int64_t j = 1; j < n; ++j) tile/' "penalty_tiles: tile sum drops its first column"
mutant SH6 sharing full 's/return c < bank \? Column\{w, w_out, bank, c\}/return c <= bank ? Column{w, w_out, bank, c}/' "column_at: the bias's first column read from the weight (bound)"
mutant LR1 lowrank full 's/p < positions; p \+= grid_step\(\)\) low_rank_softmax_row/p <= positions; p += grid_step()) low_rank_softmax_row/' "softmax: one position past the logits (bound)"
mutant LR2 lowrank full 's/p.g.c.bias_sm = 0;/p.g.c.bias_sm = 1;/' "mix: basis 0 added by position instead of broadcast (bound)"
mutant LR3 lowrank full 's/d\[i\] = x\[cols \+ i\] - x\[i % cols\];/d[i] = x[cols + i] - x[i];/' "differences: subtracts the wrong basis past the first"
mutant LR4 lowrank full 's/p.g.a = matrix\(a, 1, s.rank\);/p.g.a = matrix(a, s.rank, 1);/' "bases gradient: combining weights read transposed"
mutant LR5 lowrank small 's/(for \(int64_t p = grid_start\(\); p < positions; p \+= )grid_step\(\)\)\n/${1}grid_step() + 1)\n/' "logit_gradient: grid-stride loop skips positions past the grid"
mutant LR6 lowrank full 's/w.gb = w.gw \+ \(backward \? padded\(s.positions \* more\) : 0\);/w.gb = w.gw;/' "workspace: the biases' products overwrite the weights'"
echo "mutants: $caught detected, $missed not detected"
((missed == 0))
