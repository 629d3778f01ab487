// Shape parameters shared by the CPU and CUDA kernels (plain structs, no dependencies).
#pragma once
#include <cstdint>

namespace wsr {

// A 2-D convolution or locally connected layer over NCHW input.
//   input  x: [n, c, h, w]
//   output y: [n, k, oh, ow]
//   conv weight: [k, c, kh, kw], bias [k]
//   locally connected weight: [oh, ow, k, c, kh, kw] — each output position's bank is one
//   contiguous conv-shaped block — and bias [oh, ow, k]
// Padding is zeros: pad_top rows above and pad_left columns left of the input; the bottom and
// right padding is whatever oh/ow imply, so asymmetric ('same' with stride 2) padding works.
struct WindowGeometry {
  int n, c, h, w;
  int k;
  int kh, kw;
  int stride_h, stride_w;
  int pad_top, pad_left;
  int oh, ow;

  int64_t patch_size() const { return int64_t{c} * kh * kw; }      // one filter's inputs
  int64_t positions() const { return int64_t{oh} * ow; }            // output positions
  int64_t input_size() const { return int64_t{n} * c * h * w; }
  int64_t output_size() const { return int64_t{n} * k * oh * ow; }
  int64_t conv_weight_size() const { return int64_t{k} * patch_size(); }
  int64_t local_weight_size() const { return positions() * conv_weight_size(); }
};

}  // namespace wsr
