#include "cuda/prelude.cuh"

#include "cuda/data.h"

namespace wsr::cuda {
namespace {

constexpr uint8_t kBadLabel = 255;     // marks a batch row whose index was out of range

// One thread per element e of x [count, sample_size]: batch row i = e / sample_size, column
// k = e % sample_size. Consecutive threads read consecutive bytes of one dataset row and write
// consecutive floats of one batch row (both coalesced); order[offset + i] is read by every thread
// of the row and served from cache. Column 0's thread also copies the label.
__global__ void gather_batch_kernel(GatherShape s, const uint8_t* images, const uint8_t* labels,
                                    const int32_t* order, float scale, float* x, uint8_t* y) {
  const int64_t total = s.count * s.sample_size;
  for (int64_t e = grid_start(); e < total; e += grid_step()) {
    const int64_t i = e / s.sample_size, k = e - i * s.sample_size;
    const int64_t j = order[s.offset + i];
    const bool valid = j >= 0 && j < s.samples;
    x[e] = valid ? static_cast<float>(images[j * s.sample_size + k]) * scale : NAN;
    if (k == 0) y[i] = valid ? labels[j] : kBadLabel;
  }
}

// A dataset with rows of zero values still has labels to gather: one thread per batch row.
__global__ void gather_labels_kernel(GatherShape s, const uint8_t* labels, const int32_t* order, uint8_t* y) {
  for (int64_t i = grid_start(); i < s.count; i += grid_step()) {
    const int64_t j = order[s.offset + i];
    y[i] = j >= 0 && j < s.samples ? labels[j] : kBadLabel;
  }
}

}  // namespace

void gather_batch(const GatherShape& s, const uint8_t* images, const uint8_t* labels, const int32_t* order,
                  float scale, float* x, uint8_t* y) {
  if (s.count == 0) return;
  if (s.sample_size == 0) {
    gather_labels_kernel<<<blocks_for(s.count), kThreads>>>(s, labels, order, y);
    check_launch("gather_batch/gather_labels");
    return;
  }
  gather_batch_kernel<<<blocks_for(s.count * s.sample_size), kThreads>>>(s, images, labels, order, scale, x, y);
  check_launch("gather_batch");
}

}  // namespace wsr::cuda
