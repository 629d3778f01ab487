// Dense layer: CUDA against the CPU kernel (with a GPU: every engine path, split reductions on and off,
// one row each) or, without a GPU, the CPU kernel against a direct double-precision loop, at small edge
// shapes and the paper's CIFAR and MNIST dense layers, batch 128.
#include <string>

#include "check.h"
#include "cpu/dense.h"
#ifdef WSR_WITH_CUDA
#include "cuda/dense.h"
#endif

using namespace wsr;
using namespace wsr::check;

namespace {

constexpr double kTolerance = 1e-4;

const DenseShape kShapes[] = {
    {7, 19, 5},         // small, odd
    {1, 1, 1},
    {130, 70, 129},     // two tiles of 128 or 64 each way, plus an edge
    {128, 2304, 1024},  // CIFAR fc1: flatten 3·3·256 -> 1024
    {128, 1024, 10},    // CIFAR fc2: 1024 -> 10 classes
    {128, 2048, 1024},  // MNIST fc1: flatten 4·4·128 -> 1024
};

std::string shape_name(const DenseShape& s) {
  return "N=" + std::to_string(s.n) + " I=" + std::to_string(s.in) + " O=" + std::to_string(s.out);
}

// Double-precision references of the forward and of the three gradients.
std::vector<float> forward_ref(const DenseShape& s, const std::vector<float>& x, const std::vector<float>& w,
                               const std::vector<float>& b) {
  std::vector<float> y(s.n * s.out);
  for (int64_t r = 0; r < s.n; ++r)
    for (int64_t o = 0; o < s.out; ++o) {
      double acc = b[o];
      for (int64_t i = 0; i < s.in; ++i) acc += double(x[r * s.in + i]) * w[o * s.in + i];
      y[r * s.out + o] = float(acc);
    }
  return y;
}

std::vector<float> backward_ref(const DenseShape& s, const std::vector<float>& x, const std::vector<float>& w,
                                const std::vector<float>& dy) {
  std::vector<double> dx(s.n * s.in, 0.0), dw(s.out * s.in, 0.0), db(s.out, 0.0);
  for (int64_t r = 0; r < s.n; ++r)
    for (int64_t o = 0; o < s.out; ++o) {
      const double g = dy[r * s.out + o];
      db[o] += g;
      for (int64_t i = 0; i < s.in; ++i) {
        dx[r * s.in + i] += g * w[o * s.in + i];
        dw[o * s.in + i] += g * x[r * s.in + i];
      }
    }
  std::vector<float> all(dx.begin(), dx.end());  // dx, dw, db back to back, as the kernels' outputs
  all.insert(all.end(), dw.begin(), dw.end());
  all.insert(all.end(), db.begin(), db.end());
  return all;
}

}  // namespace

WSR_CHECK(dense_forward) {
  for (const DenseShape& s : kShapes) {
    const auto x = random_vector(ctx, s.n * s.in);
    const auto w = random_vector(ctx, s.out * s.in, -0.05f, 0.05f);
    const auto b = random_vector(ctx, s.out);
    std::vector<float> y(s.n * s.out);
    const double cpu_ms = time_ms(ctx, [&] { cpu::dense_forward(s, x.data(), w.data(), b.data(), y.data()); });
#ifdef WSR_WITH_CUDA
    if (ctx.cuda) {
      DeviceBuffer dx(x), dw(w), db(b);
      for_each_engine_path([&](const std::string& path) {
        DeviceBuffer dy(y.size()), workspace(std::max<size_t>(cuda::dense_forward_workspace(s), 1));
        const double cuda_ms =
            time_ms(ctx, [&] { cuda::dense_forward(s, dx.ptr, dw.ptr, db.ptr, dy.ptr, workspace.ptr); }, cuda_sync);
        report(ctx, "dense_forward/" + path, shape_name(s), cpu_ms, cuda_ms, max_error(dy.to_host(), y), kTolerance);
      });
      continue;
    }
#endif
    report(ctx, "dense_forward", shape_name(s), cpu_ms, -1, max_error(y, forward_ref(s, x, w, b)), kTolerance);
  }
}

WSR_CHECK(dense_backward) {
  for (const DenseShape& s : kShapes) {
    const auto x = random_vector(ctx, s.n * s.in);
    const auto w = random_vector(ctx, s.out * s.in, -0.05f, 0.05f);
    const auto dy = random_vector(ctx, s.n * s.out);
    const int64_t dx_size = s.n * s.in, dw_size = s.out * s.in;
    std::vector<float> grads(dx_size + dw_size + s.out);  // dx, dw, db back to back
    float* dx = grads.data();
    float* dw = dx + dx_size;
    float* db = dw + dw_size;
    const double cpu_ms = time_ms(ctx, [&] { cpu::dense_backward(s, x.data(), w.data(), dy.data(), dx, dw, db); });
#ifdef WSR_WITH_CUDA
    if (ctx.cuda) {
      DeviceBuffer d_x(x), d_w(w), d_dy(dy);
      for_each_engine_path([&](const std::string& path) {
        DeviceBuffer d_grads(grads.size()), workspace(std::max<size_t>(cuda::dense_backward_workspace(s), 1));
        float* g_dx = d_grads.ptr;
        float* g_dw = g_dx + dx_size;
        float* g_db = g_dw + dw_size;
        const double cuda_ms = time_ms(
            ctx, [&] { cuda::dense_backward(s, d_x.ptr, d_w.ptr, d_dy.ptr, g_dx, g_dw, g_db, workspace.ptr); },
            cuda_sync);
        report(ctx, "dense_backward/" + path, shape_name(s), cpu_ms, cuda_ms, max_error(d_grads.to_host(), grads),
               kTolerance);
      });
      continue;
    }
#endif
    report(ctx, "dense_backward", shape_name(s), cpu_ms, -1, max_error(grads, backward_ref(s, x, w, dy)), kTolerance);
  }
}
