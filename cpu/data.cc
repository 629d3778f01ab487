#include "cpu/data.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "cpu/parallel.h"

namespace wsr::cpu {

void gather_batch(const GatherShape& s, const uint8_t* images, const uint8_t* labels, const int32_t* order,
                  float scale, float* x, uint8_t* y) {
  const int32_t* batch_order = order + s.offset;
  for (int64_t i = 0; i < s.count; ++i)
    if (batch_order[i] < 0 || batch_order[i] >= s.samples)
      throw std::out_of_range("order[" + std::to_string(s.offset + i) + "] is " + std::to_string(batch_order[i]) +
                              ", outside the dataset's " + std::to_string(s.samples) + " rows");
  // Rows in parallel; within a row, a contiguous uint8 -> float loop the compiler vectorises.
  parallel_for(s.count, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      const int64_t j = batch_order[i];
      const uint8_t* src = images + j * s.sample_size;
      float* dst = x + i * s.sample_size;
      for (int64_t k = 0; k < s.sample_size; ++k) dst[k] = static_cast<float>(src[k]) * scale;
      y[i] = labels[j];
    }
  }, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, s.sample_size)));
}

}  // namespace wsr::cpu
