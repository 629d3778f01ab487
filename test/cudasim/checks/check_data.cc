// cuda/data.cu (simulated) against cpu/data.cc.
#include <string>
#include <vector>

#include "cpu/data.h"
#include "cuda/data.h"
#include "harness.h"

using namespace wsr;
static std::string sz(int64_t v) { return std::to_string(v); }

static void check(int64_t samples, int64_t sample_size, int64_t count, int64_t offset, bool bad) {
  const int64_t order_length = offset + count + h::irand(0, 3);
  std::vector<uint8_t> images(static_cast<size_t>(samples * sample_size)), labels(static_cast<size_t>(samples));
  for (auto& v : images) v = static_cast<uint8_t>(h::irand(0, 255));
  for (auto& v : labels) v = static_cast<uint8_t>(h::irand(0, 254));
  std::vector<int32_t> order(static_cast<size_t>(order_length));
  for (auto& v : order) v = static_cast<int32_t>(h::irand(0, samples - 1));
  std::vector<int32_t> bad_rows;
  if (bad) {
    order[offset] = -1;
    bad_rows.push_back(0);
    if (count > 1) order[offset + count - 1] = static_cast<int32_t>(samples), bad_rows.push_back(count - 1);
    if (count > 3) order[offset + 2] = INT32_MIN, bad_rows.push_back(2);
  }
  const GatherShape s{samples, sample_size, order_length, offset, count};
  const float scale = 1.f / 255.f;
  std::vector<float> xs = h::nanvec(count * sample_size), xc = h::nanvec(count * sample_size);
  std::vector<uint8_t> ys(static_cast<size_t>(count), 77), yc(static_cast<size_t>(count), 77);
  const std::string what = "gather M=" + sz(samples) + " size=" + sz(sample_size) + " count=" + sz(count) + " offset=" +
                           sz(offset) + (bad ? " bad-indices" : "");
  cuda::gather_batch(s, images.data(), labels.data(), order.data(), scale, xs.data(), ys.data());
  if (!bad) {
    cpu::gather_batch(s, images.data(), labels.data(), order.data(), scale, xc.data(), yc.data());
    h::report(what + " x", xs.data(), xc.data(), count * sample_size, 0);
    h::report(what + " y", ys.data(), yc.data(), count, 0);
    return;
  }
  // The CUDA contract for an index outside [0, samples): NaN row, label 255; the other rows as the CPU gives them.
  std::vector<int32_t> fixed = order;
  for (int32_t r : bad_rows) fixed[offset + r] = 0;
  cpu::gather_batch(s, images.data(), labels.data(), fixed.data(), scale, xc.data(), yc.data());
  for (int32_t r : bad_rows) {
    for (int64_t k = 0; k < sample_size; ++k) xc[r * sample_size + k] = NAN;
    yc[r] = 255;
  }
  h::report(what + " x (NaN rows for bad indices)", xs.data(), xc.data(), count * sample_size, 0);
  h::report(what + " y (255 for bad indices)", ys.data(), yc.data(), count, 0);
}

int main(int argc, char** argv) {
  h::init(argc, argv);
  for (int64_t size : {0, 1, 3, 255, 256, 257, 3072})
    for (int64_t count : {1, 2, 31, 33, 64, 300}) {
      if (size * count > 300000) continue;
      const int64_t samples = h::irand(1, 120);
      check(samples, size, count, h::irand(0, 1) ? 0 : h::irand(1, 50), false);
      check(samples, size, count, h::irand(0, 20), true);
    }
  check(1, 1, 1, 0, false);
  check(1, 3072, 1, 0, false);
  check(1, 3072, 1, 0, true);
  return h::finish("data");
}
