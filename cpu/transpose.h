// Out-of-place 2-D transposes, for moving tensors between NCHW and the channels-last layouts the
// implicit-GEMM convolutions read and write (cpu/conv.cc).
#pragma once
#include <cstdint>

namespace wsr::cpu {

// dst[c*dst_ld + r] = src[r*src_ld + c] (+ add[c] when add is given) for r < rows, c < cols.
void transpose(const float* src, int64_t rows, int64_t cols, int64_t src_ld, float* dst, int64_t dst_ld,
               const float* add = nullptr);

}  // namespace wsr::cpu
