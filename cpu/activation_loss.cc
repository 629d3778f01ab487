#include "cpu/activation_loss.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "cpu/parallel.h"

namespace wsr::cpu {
namespace {

constexpr int64_t kElementGrain = 1 << 15;  // elementwise work per chunk worth a thread hand-off
constexpr int64_t kRowsPerBlock = 64;       // loss rows reduced together (fixed: determinism)

struct RowBlockStats {
  double loss = 0;
  int64_t correct = 0;
};

// One row: softmax with the max subtracted (exp never overflows), the loss, whether the first
// argmax hits the label, and the gradient row when asked.
void softmax_xent_row(int64_t classes, const float* z, int label, float inv_n, float* dz, RowBlockStats& acc) {
  int64_t argmax = 0;
  float max = z[0];
  for (int64_t c = 1; c < classes; ++c)
    if (z[c] > max) {  // strict: ties keep the first index
      max = z[c];
      argmax = c;
    }
  double total = 0;
  for (int64_t c = 0; c < classes; ++c) total += std::exp(double(z[c]) - double(max));
  // -log p[label] = log Σ exp(z - max) - (z[label] - max)
  acc.loss += std::log(total) - (double(z[label]) - double(max));
  acc.correct += argmax == label;
  if (!dz) return;
  const double scale = double(inv_n) / total;
  for (int64_t c = 0; c < classes; ++c) dz[c] = static_cast<float>(std::exp(double(z[c]) - double(max)) * scale);
  dz[label] -= inv_n;
}

}  // namespace

void relu_forward(int64_t n, const float* x, float* y) {
  parallel_for(n, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) y[i] = x[i] < 0.f ? 0.f : x[i];
  }, kElementGrain);
}

void relu_backward(int64_t n, const float* y, const float* dy, float* dx) {
  parallel_for(n, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      const float g = dy[i];  // loaded unconditionally so the select vectorises
      dx[i] = y[i] > 0.f ? g : 0.f;
    }
  }, kElementGrain);
}

void softmax_cross_entropy(const ClassifierShape& s, const float* logits, const uint8_t* labels, float* dlogits,
                           float* stats, bool accumulate) {
  // Validate every label first, so a bad one leaves every output untouched.
  for (int64_t r = 0; r < s.n; ++r)
    if (labels[r] >= s.classes)
      throw std::out_of_range("labels[" + std::to_string(r) + "] is " + std::to_string(labels[r]) +
                              ", not a class index below " + std::to_string(s.classes));
  const int64_t blocks = (s.n + kRowsPerBlock - 1) / kRowsPerBlock;
  std::vector<RowBlockStats> partial(static_cast<size_t>(blocks));
  const float inv_n = s.n > 0 ? 1.f / static_cast<float>(s.n) : 0.f;
  parallel_for(blocks, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      const int64_t r_end = std::min(s.n, (b + 1) * kRowsPerBlock);
      for (int64_t r = b * kRowsPerBlock; r < r_end; ++r)
        softmax_xent_row(s.classes, logits + r * s.classes, labels[r], inv_n,
                         dlogits ? dlogits + r * s.classes : nullptr, partial[b]);
    }
  }, std::max<int64_t>(1, 256 / std::max<int64_t>(1, s.classes)));
  RowBlockStats total;
  for (const RowBlockStats& p : partial) {
    total.loss += p.loss;
    total.correct += p.correct;
  }
  if (accumulate) {
    stats[0] = static_cast<float>(double(stats[0]) + total.loss);
    stats[1] = static_cast<float>(double(stats[1]) + double(total.correct));
  } else {
    stats[0] = static_cast<float>(total.loss);
    stats[1] = static_cast<float>(total.correct);
  }
}

}  // namespace wsr::cpu
