// ReLU and softmax cross-entropy: CUDA against the CPU kernel (or, without a GPU, the CPU kernel
// against a direct double-precision loop), at small odd shapes and the paper's CIFAR shapes.
#include <string>

#include "check.h"
#include "cpu/activation_loss.h"
#include "device_array.h"
#ifdef WSR_WITH_CUDA
#include "cuda/activation_loss.h"
#endif

using namespace wsr;
using namespace wsr::check;

namespace {

// Elements of ReLU inputs: small and odd; CIFAR conv1's output 128·64·14·14; fc1's output 128·1024.
const int64_t kReluSizes[] = {1001, int64_t{128} * 64 * 14 * 14, 128 * 1024};
// Softmax rows and classes: small odd shapes (one wider than a warp) and the CIFAR head.
const ClassifierShape kClassifierShapes[] = {{13, 10}, {5, 37}, {128, 10}};

std::vector<uint8_t> random_labels(Context& ctx, int64_t n, int64_t classes) {
  std::uniform_int_distribution<int> dist(0, static_cast<int>(classes) - 1);
  std::vector<uint8_t> labels(n);
  for (auto& l : labels) l = static_cast<uint8_t>(dist(ctx.rng));
  return labels;
}

// [dlogits..., loss sum, correct] in double precision.
std::vector<float> softmax_xent_ref(const ClassifierShape& s, const std::vector<float>& z,
                                    const std::vector<uint8_t>& labels) {
  std::vector<float> out(s.n * s.classes + 2);
  double loss = 0, correct = 0;
  for (int64_t r = 0; r < s.n; ++r) {
    const float* row = z.data() + r * s.classes;
    int64_t argmax = 0;
    for (int64_t c = 1; c < s.classes; ++c)
      if (row[c] > row[argmax]) argmax = c;
    double total = 0;
    for (int64_t c = 0; c < s.classes; ++c) total += std::exp(double(row[c]) - row[argmax]);
    loss += std::log(total) - (double(row[labels[r]]) - row[argmax]);
    correct += argmax == labels[r];
    for (int64_t c = 0; c < s.classes; ++c)
      out[r * s.classes + c] = float((std::exp(double(row[c]) - row[argmax]) / total - (c == labels[r])) / s.n);
  }
  out[s.n * s.classes] = float(loss);
  out[s.n * s.classes + 1] = float(correct);
  return out;
}

}  // namespace

WSR_CHECK(activation_loss_relu) {
  for (const int64_t n : kReluSizes) {
    const auto x = random_vector(ctx, n);
    const auto dy = random_vector(ctx, n);
    std::vector<float> out(2 * n);  // y then dx
    float* y = out.data();
    float* dx = y + n;
    const double cpu_ms = time_ms(ctx, [&] {
      cpu::relu_forward(n, x.data(), y);
      cpu::relu_backward(n, y, dy.data(), dx);
    });
    double cuda_ms = -1, error = 0;
#ifdef WSR_WITH_CUDA
    if (ctx.cuda) {
      DeviceBuffer d_x(x), d_dy(dy), d_out(out.size());
      cuda_ms = time_ms(ctx, [&] {
        cuda::relu_forward(n, d_x.ptr, d_out.ptr);
        cuda::relu_backward(n, d_out.ptr, d_dy.ptr, d_out.ptr + n);
      }, cuda_sync);
      error = max_error(d_out.to_host(), out);
    }
#endif
    if (cuda_ms < 0) {
      std::vector<float> ref(2 * n);
      for (int64_t i = 0; i < n; ++i) {
        ref[i] = x[i] > 0 ? x[i] : 0.f;
        ref[n + i] = x[i] > 0 ? dy[i] : 0.f;
      }
      error = max_error(out, ref);
    }
    report(ctx, "relu_forward+backward", "n=" + std::to_string(n), cpu_ms, cuda_ms, error, 0.0);
  }
}

WSR_CHECK(activation_loss_softmax_xent) {
  for (const ClassifierShape& s : kClassifierShapes) {
    const auto z = random_vector(ctx, s.n * s.classes, -8.f, 8.f);
    const auto labels = random_labels(ctx, s.n, s.classes);
    std::vector<float> out(s.n * s.classes + 2);  // dlogits then the two stats
    float* stats = out.data() + s.n * s.classes;
    const double cpu_ms = time_ms(ctx, [&] {
      cpu::softmax_cross_entropy(s, z.data(), labels.data(), out.data(), stats, false);
    });
    double cuda_ms = -1, error = 0;
#ifdef WSR_WITH_CUDA
    if (ctx.cuda) {
      DeviceBuffer d_z(z), d_out(out.size());
      DeviceArray<uint8_t> d_labels(labels);
      cuda_ms = time_ms(ctx, [&] {
        cuda::softmax_cross_entropy(s, d_z.ptr, d_labels.ptr, d_out.ptr, d_out.ptr + s.n * s.classes, false);
      }, cuda_sync);
      error = max_error(d_out.to_host(), out);
    }
#endif
    if (cuda_ms < 0) error = max_error(out, softmax_xent_ref(s, z, labels));
    report(ctx, "softmax_cross_entropy", "N=" + std::to_string(s.n) + " C=" + std::to_string(s.classes), cpu_ms,
           cuda_ms, error, 1e-5);
  }
}
