// Times the CPU conv passes of the working tree against those of an earlier commit in one process,
// alternating call by call on the same inputs (so the VM's swings hit both alike): medians of REPS calls.
// The earlier kernels are built into namespace wsrbase:
//   REV=HEAD; mkdir -p /tmp/base && for f in conv gemm transpose parallel; do
//     git show $REV:cpu/$f.cc > /tmp/base/$f.cc; git show $REV:cpu/$f.h > /tmp/base/$f.h; done
//   cp cpu/avx512_transpose.h /tmp/base/   # plus any other header the old files include
//   for f in conv gemm transpose parallel; do g++ -O3 -std=c++17 -Dwsr=wsrbase -I. -I/tmp/base \
//     -c /tmp/base/$f.cc -o /tmp/base/$f.o; done
//   npm run build:check
//   g++ -O3 -std=c++17 -pthread -I. bench/native/conv_ab.cc /tmp/base/*.o build/libwsr_kernels.a -o /tmp/conv_ab
//   /tmp/conv_ab THREADS REPS LAYER(0-5) PASS(0 forward, 1 input grad, 2 weight grad) [BATCH=128]
// KERNEL=avx512|avx2|generic forces the GEMM kernel of both.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>
#include "cpu/conv.h"
#include "cpu/parallel.h"
namespace wsrbase { struct WindowGeometry {
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
namespace cpu {
void conv2d_forward(const WindowGeometry& s, const float* x, const float* w, const float* b, float* y);
void conv2d_backward_weight(const WindowGeometry& s, const float* x, const float* dy, float* dw, float* db);
void conv2d_backward_input(const WindowGeometry& s, const float* dy, const float* w, float* dx);
void set_num_threads(int); bool sgemm_select_kernel(const char*); } }
namespace wsr { namespace cpu { bool sgemm_select_kernel(const char*); } }
int main(int argc, char** argv) {
  int threads = atoi(argv[1]), reps = atoi(argv[2]), which = atoi(argv[3]), pass = atoi(argv[4]);
  int batch = argc > 5 ? atoi(argv[5]) : 128;
  struct L { const char* name; int c, h, k, kernel, stride; } ls[] = {{"cifar.conv1", 3, 32, 64, 5, 2}, {"cifar.conv2", 64, 14, 128, 5, 2}, {"cifar.conv3", 128, 5, 256, 3, 1}, {"mnist.conv1", 1, 28, 32, 3, 2}, {"mnist.conv2", 32, 13, 64, 3, 2}, {"mnist.conv3", 64, 6, 128, 3, 1}};
  L l = ls[which];
  wsr::cpu::set_num_threads(threads); wsrbase::cpu::set_num_threads(threads);
  if (getenv("KERNEL")) { wsr::cpu::sgemm_select_kernel(getenv("KERNEL")); wsrbase::cpu::sgemm_select_kernel(getenv("KERNEL")); }
  int o = (l.h - l.kernel) / l.stride + 1;
  wsr::WindowGeometry g{batch, l.c, l.h, l.h, l.k, l.kernel, l.kernel, l.stride, l.stride, 0, 0, o, o};
  const wsrbase::WindowGeometry& gb = reinterpret_cast<const wsrbase::WindowGeometry&>(g);
  std::vector<float> x(g.input_size()), w(g.conv_weight_size()), b(g.k), y(g.output_size()), dy(g.output_size()), dx(x.size());
  std::mt19937 rng(1); std::uniform_real_distribution<float> u(-1, 1);
  for (auto* v : {&x, &w, &b, &dy}) for (float& e : *v) e = u(rng);
  std::vector<double> t[2];
  for (int r = 0; r < reps; ++r) for (int which_impl = 0; which_impl < 2; ++which_impl) {
    auto t0 = std::chrono::steady_clock::now();
    if (which_impl == 0) {
      if (pass == 0) wsrbase::cpu::conv2d_forward(gb, x.data(), w.data(), b.data(), y.data());
      else if (pass == 1) wsrbase::cpu::conv2d_backward_input(gb, dy.data(), w.data(), dx.data());
      else wsrbase::cpu::conv2d_backward_weight(gb, x.data(), dy.data(), w.data(), b.data());
    } else {
      if (pass == 0) wsr::cpu::conv2d_forward(g, x.data(), w.data(), b.data(), y.data());
      else if (pass == 1) wsr::cpu::conv2d_backward_input(g, dy.data(), w.data(), dx.data());
      else wsr::cpu::conv2d_backward_weight(g, x.data(), dy.data(), w.data(), b.data());
    }
    t[which_impl].push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  for (auto& v : t) std::sort(v.begin(), v.end());
  const char* passes[] = {"forward", "input grad", "weight grad"};
  double m0 = t[0][reps / 2], m1 = t[1][reps / 2];
  printf("%s %-11s b%d %dt  base %.3f ms  new %.3f ms  base/new %.2f  (p25 %.3f / %.3f)\n", l.name, passes[pass], batch, threads, m0, m1, m0 / m1, t[0][reps / 4], t[1][reps / 4]);
}
