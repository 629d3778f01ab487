// Locally connected 2-D layer ("untied convolution"): a convolution whose filter bank and bias
// are independent at every output position. Layouts (see common/window_geometry.h, WindowGeometry):
//   x [n, c, h, w]   w [oh, ow, k, c, kh, kw]   b [oh, ow, k]   y [n, k, oh, ow]
// Each position's bank w[i][j] is one contiguous [k, c, kh, kw] block, exactly a conv weight.
// Outputs are overwritten. Pointers must not overlap (outputs vs inputs).
#pragma once
#include <cstdint>

#include "common/window_geometry.h"

namespace wsr::cpu {

// y[:, :, p] = w_p · patches_p + b_p at each output position p. b may be null (no bias).
void local2d_forward(const WindowGeometry& s, const float* x, const float* w, const float* b, float* y);

// dx = gradient of sum(dy · y) with respect to x.
void local2d_backward_input(const WindowGeometry& s, const float* dy, const float* w, float* dx);

// dw (and db when not null) = gradients of sum(dy · y) with respect to w (and b).
void local2d_backward_weight(const WindowGeometry& s, const float* x, const float* dy, float* dw, float* db);

// Conversion between a shared conv weight [k, bank_size / k] (bias [k]) and a locally connected
// weight [positions, k, bank_size / k] (bias [positions, k]); bank_size = k·c·kh·kw.
// conv_to_local copies the shared bank and bias to every position (biases may both be null).
void conv_to_local(int64_t positions, int64_t bank_size, int64_t k, const float* conv_w, const float* conv_b,
                   float* local_w, float* local_b);
// local_to_conv takes the mean over positions (summed in double, so a tiled weight comes back exactly).
void local_to_conv(int64_t positions, int64_t bank_size, int64_t k, const float* local_w, const float* local_b,
                   float* conv_w, float* conv_b);

}  // namespace wsr::cpu
