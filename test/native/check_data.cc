// Batch gathering: CUDA against the CPU kernel (or, without a GPU, the CPU kernel against a direct
// loop), at a small odd shape and a CIFAR batch of 128 from the 50,000 training images.
#include <algorithm>
#include <numeric>
#include <string>

#include "check.h"
#include "cpu/data.h"
#include "device_array.h"
#ifdef WSR_WITH_CUDA
#include "cuda/data.h"
#endif

using namespace wsr;
using namespace wsr::check;

namespace {

struct GatherCase {
  int64_t samples, sample_size, offset, count;
};
const GatherCase kCases[] = {
    {50, 3 * 5 * 7, 37, 13},        // small, odd: the epoch's last short batch
    {50000, 3 * 32 * 32, 4096, 128}, // CIFAR training set, batch 128
};

}  // namespace

WSR_CHECK(data_gather_batch) {
  for (const GatherCase& c : kCases) {
    // Pseudo-random pixels from a cheap hash (50,000 images are too many to draw one by one).
    const uint64_t salt = ctx.rng();
    std::vector<uint8_t> images(c.samples * c.sample_size), labels(c.samples);
    for (size_t i = 0; i < images.size(); ++i) images[i] = static_cast<uint8_t>(((i + salt) * 0x9E3779B97F4A7C15ull) >> 56);
    for (int64_t j = 0; j < c.samples; ++j) labels[j] = static_cast<uint8_t>(ctx.rng() % 10);
    std::vector<int32_t> order(c.samples);
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), ctx.rng);
    const GatherShape s{c.samples, c.sample_size, c.samples, c.offset, c.count};
    const float scale = 1.f / 255.f;
    std::vector<float> x(c.count * c.sample_size + c.count);  // the batch, then its labels as floats
    std::vector<uint8_t> y(c.count);
    const double cpu_ms = time_ms(ctx, [&] {
      cpu::gather_batch(s, images.data(), labels.data(), order.data(), scale, x.data(), y.data());
    });
    std::copy(y.begin(), y.end(), x.end() - c.count);
    double cuda_ms = -1, error = 0;
#ifdef WSR_WITH_CUDA
    if (ctx.cuda) {
      DeviceArray<uint8_t> d_images(images), d_labels(labels), d_y(y.size());
      DeviceArray<int32_t> d_order(order);
      DeviceBuffer d_x(c.count * c.sample_size);
      cuda_ms = time_ms(ctx, [&] {
        cuda::gather_batch(s, d_images.ptr, d_labels.ptr, d_order.ptr, scale, d_x.ptr, d_y.ptr);
      }, cuda_sync);
      std::vector<float> got = d_x.to_host();
      for (uint8_t l : d_y.to_host()) got.push_back(l);
      error = max_error(got, x);
    }
#endif
    if (cuda_ms < 0) {
      std::vector<float> ref;
      for (int64_t i = 0; i < c.count; ++i) {
        const int64_t j = order[c.offset + i];
        for (int64_t k = 0; k < c.sample_size; ++k) ref.push_back(images[j * c.sample_size + k] * scale);
      }
      for (int64_t i = 0; i < c.count; ++i) ref.push_back(labels[order[c.offset + i]]);
      error = max_error(x, ref);
    }
    report(ctx, "gather_batch", "M=" + std::to_string(c.samples) + " size=" + std::to_string(c.sample_size) +
           " count=" + std::to_string(c.count), cpu_ms, cuda_ms, error, 0.0);
  }
}
