#include "cpu/elementwise.h"

#include <algorithm>
#include <vector>

#include "cpu/parallel.h"

namespace wsr::cpu {
namespace {

constexpr int64_t kElementGrain = 1 << 15;  // elements per chunk worth a thread hand-off
constexpr int64_t kSumBlock = 1 << 14;      // elements per reduction block (fixed: determinism)

// Σ f(x[i]) over one block in double; eight independent accumulators let the compiler vectorise
// without reassociating a single sum.
template <bool Square>
double block_sum(const float* x, int64_t n) {
  double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; ++j) {
      const double v = x[i + j];
      acc[j] += Square ? v * v : v;
    }
  for (; i < n; ++i) {
    const double v = x[i];
    acc[0] += Square ? v * v : v;
  }
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

template <bool Square>
void reduce(int64_t n, const float* x, float* out) {
  const int64_t blocks = (n + kSumBlock - 1) / kSumBlock;
  std::vector<double> partial(static_cast<size_t>(blocks), 0.0);
  parallel_for(blocks, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      const int64_t begin = b * kSumBlock;
      partial[b] = block_sum<Square>(x + begin, std::min(kSumBlock, n - begin));
    }
  });
  double total = 0;
  for (double p : partial) total += p;
  *out = static_cast<float>(total);
}

}  // namespace

void fill(int64_t n, float value, float* t) {
  parallel_for(n, [&](int64_t i0, int64_t i1) { std::fill(t + i0, t + i1, value); }, kElementGrain);
}

void scale(int64_t n, float alpha, float* t) {
  parallel_for(n, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) t[i] *= alpha;
  }, kElementGrain);
}

void axpy(int64_t n, float alpha, const float* x, float* y) {
  parallel_for(n, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) y[i] += alpha * x[i];
  }, kElementGrain);
}

void sum(int64_t n, const float* x, float* out) { reduce<false>(n, x, out); }
void sum_squares(int64_t n, const float* x, float* out) { reduce<true>(n, x, out); }

}  // namespace wsr::cpu
