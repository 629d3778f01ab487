// cuda/activation_loss.cu (simulated) against cpu/activation_loss.cc.
#include <algorithm>
#include <string>
#include <vector>

#include "cpu/activation_loss.h"
#include "cuda/activation_loss.h"
#include "harness.h"

using namespace wsr;

static std::string sz(int64_t v) { return std::to_string(v); }

static void check_relu(int64_t n) {
  std::vector<float> x = h::rvec(n);
  for (int64_t i = 0; i < n; i += 7) x[i] = (i / 7) % 3 == 0 ? 0.f : ((i / 7) % 3 == 1 ? -0.f : NAN);
  std::vector<float> ys = h::nanvec(n), yc = h::nanvec(n);
  cuda::relu_forward(n, x.data(), ys.data());
  cpu::relu_forward(n, x.data(), yc.data());
  h::report("relu_forward n=" + sz(n), ys.data(), yc.data(), n, 0);
  std::vector<float> dy = h::rvec(n), dxs = h::nanvec(n), dxc = h::nanvec(n);
  cuda::relu_backward(n, yc.data(), dy.data(), dxs.data());
  cpu::relu_backward(n, yc.data(), dy.data(), dxc.data());
  h::report("relu_backward n=" + sz(n), dxs.data(), dxc.data(), n, 0);
  // in place: y == x, dx == dy
  std::vector<float> a = x, b = x;
  cuda::relu_forward(n, a.data(), a.data());
  cpu::relu_forward(n, b.data(), b.data());
  h::report("relu_forward in place n=" + sz(n), a.data(), b.data(), n, 0);
  std::vector<float> g1 = dy, g2 = dy;
  cuda::relu_backward(n, yc.data(), g1.data(), g1.data());
  cpu::relu_backward(n, yc.data(), g2.data(), g2.data());
  h::report("relu_backward in place n=" + sz(n), g1.data(), g2.data(), n, 0);
}

// First argmax of a row, for the expected hit count.
static int64_t argmax(const float* z, int64_t classes) {
  int64_t a = 0;
  for (int64_t c = 1; c < classes; ++c)
    if (z[c] > z[a]) a = c;
  return a;
}

static void check_softmax(int64_t n, int64_t classes, int mode) {
  // mode 0: continuous logits; 1: small integers (many ties, first-argmax rule); 2: large spread
  std::vector<float> z(static_cast<size_t>(n * classes));
  for (auto& v : z) v = mode == 1 ? static_cast<float>(h::irand(0, 2)) : h::frand(-1, 1) * (mode == 2 ? 40.f : 4.f);
  if (n > 2 && mode == 1) std::fill(z.begin() + classes, z.begin() + 2 * classes, 0.5f);  // a row of equal logits
  std::vector<uint8_t> labels(static_cast<size_t>(n));
  for (int64_t r = 0; r < n; ++r) {
    labels[r] = static_cast<uint8_t>(h::irand(0, classes - 1));
    if (r % 3 == 0) labels[r] = static_cast<uint8_t>(argmax(&z[r * classes], classes));  // some hits
  }
  const ClassifierShape s{n, classes};
  for (int variant = 0; variant < 3; ++variant) {
    const bool with_grad = variant != 1, accumulate = variant == 2;
    std::vector<float> ds = h::nanvec(n * classes), dc = h::nanvec(n * classes);
    float ss[2], sc[2];
    if (accumulate) ss[0] = sc[0] = 1.25f, ss[1] = sc[1] = 3.f;
    else ss[0] = sc[0] = ss[1] = sc[1] = NAN;
    cuda::softmax_cross_entropy(s, z.data(), labels.data(), with_grad ? ds.data() : nullptr, ss, accumulate);
    cpu::softmax_cross_entropy(s, z.data(), labels.data(), with_grad ? dc.data() : nullptr, sc, accumulate);
    const std::string what = "softmax_xent n=" + sz(n) + " C=" + sz(classes) + " mode=" + sz(mode) +
                             (with_grad ? " grad" : " nograd") + (accumulate ? " acc" : "");
    if (with_grad) h::report(what + " dlogits", ds.data(), dc.data(), n * classes, 1e-5);
    else h::expect(std::all_of(ds.begin(), ds.end(), [](float v) { return std::isnan(v); }), what + " dlogits untouched");
    h::report(what + " loss", &ss[0], &sc[0], 1, 1e-5);
    h::report(what + " hits", &ss[1], &sc[1], 1, 0);
  }
}

// Rows with label >= classes: the CUDA contract is a NaN loss, a NaN dlogits row, no hit, and the
// other rows as usual (cuda/activation_loss.h). The CPU twin throws, so the valid rows are compared
// with a CPU run on the same batch with those labels replaced, row by row.
static void check_bad_labels(int64_t n, int64_t classes) {
  std::vector<float> z = h::rvec(n * classes, -3, 3);
  std::vector<uint8_t> labels(static_cast<size_t>(n)), fixed;
  for (int64_t r = 0; r < n; ++r) labels[r] = static_cast<uint8_t>(h::irand(0, classes - 1));
  labels[0] = static_cast<uint8_t>(classes < 256 ? classes : 255);
  if (classes < 255) labels[n - 1] = 255;
  fixed = labels;
  for (auto& l : fixed)
    if (l >= classes) l = 0;
  const ClassifierShape s{n, classes};
  std::vector<float> ds = h::nanvec(n * classes), dc = h::nanvec(n * classes);
  float ss[2] = {NAN, NAN}, sc[2];
  cuda::softmax_cross_entropy(s, z.data(), labels.data(), ds.data(), ss, false);
  cpu::softmax_cross_entropy(s, z.data(), fixed.data(), dc.data(), sc, false);
  bool rows_ok = true, bad_rows_nan = true;
  int64_t hits = 0;
  for (int64_t r = 0; r < n; ++r) {
    if (labels[r] >= classes) {
      for (int64_t c = 0; c < classes; ++c) bad_rows_nan &= std::isnan(ds[r * classes + c]);
    } else {
      hits += argmax(&z[r * classes], classes) == labels[r];
      const h::Cmp c = h::compare(&ds[r * classes], &dc[r * classes], classes, 1e-5);
      rows_ok &= c.mismatched == 0;
    }
  }
  const std::string what = "softmax_xent bad labels n=" + sz(n) + " C=" + sz(classes);
  h::expect(rows_ok, what + ": valid rows' dlogits match the CPU");
  h::expect(bad_rows_nan, what + ": invalid rows' dlogits are NaN");
  h::expect(std::isnan(ss[0]), what + ": loss is NaN");
  h::expect(ss[1] == static_cast<float>(hits), what + ": hits count only valid rows (" + std::to_string(ss[1]) +
                                                    " vs " + std::to_string(hits) + ")");
}

// Not part of either contract: a NaN logit. Printed for information, not counted.
static void info_nan_logits(int64_t classes, int64_t nan_col) {
  const int64_t n = 3;
  std::vector<float> z = h::rvec(n * classes, -3, 3);
  z[1 * classes + nan_col] = NAN;  // row 1
  if (nan_col + 32 < classes) z[1 * classes + nan_col + 32] = 100.f;  // the row's largest number, in the NaN lane
  std::vector<uint8_t> labels = {0, static_cast<uint8_t>(classes - 1), 0};
  for (int64_t r = 0; r < n; ++r) labels[r] = static_cast<uint8_t>(argmax(&z[r * classes], classes));  // CPU's argmax
  std::vector<float> ds = h::nanvec(n * classes), dc = h::nanvec(n * classes);
  float ss[2], sc[2];
  cuda::softmax_cross_entropy(ClassifierShape{n, classes}, z.data(), labels.data(), ds.data(), ss, false);
  cpu::softmax_cross_entropy(ClassifierShape{n, classes}, z.data(), labels.data(), dc.data(), sc, false);
  int nan_s = 0, nan_c = 0;
  for (int64_t c = 0; c < classes; ++c) nan_s += std::isnan(ds[classes + c]), nan_c += std::isnan(dc[classes + c]);
  std::printf("info softmax_xent NaN logit at column %lld of %lld: loss sim %g cpu %g, hits sim %g cpu %g, NaN dlogits in the row sim %d cpu %d\n",
              static_cast<long long>(nan_col), static_cast<long long>(classes), ss[0], sc[0], ss[1], sc[1], nan_s, nan_c);
}

int main(int argc, char** argv) {
  h::init(argc, argv);
  for (int64_t n : {1, 2, 31, 32, 33, 255, 256, 257, 1000, 4099, 70001}) check_relu(n);
  const std::vector<int64_t> rows = {1, 2, 7, 8, 9, 33, 100}, class_counts = {1, 2, 10, 31, 32, 33, 37, 64, 100, 256};
  for (int64_t n : rows)
    for (int64_t c : class_counts) check_softmax(n, c, static_cast<int>(h::irand(0, 2)));
  check_softmax(1, 10, 1);
  check_softmax(50, 37, 1);
  check_softmax(50, 37, 2);
  for (int64_t c : {1, 10, 37, 255}) check_bad_labels(9, c);
  // Zero rows: the stats are cleared (accumulate false) or left (true), nothing else.
  float st[2] = {NAN, NAN};
  cuda::softmax_cross_entropy(ClassifierShape{0, 10}, nullptr, nullptr, nullptr, st, false);
  h::expect(st[0] == 0.f && st[1] == 0.f, "softmax_xent n=0 clears stats");
  cuda::relu_forward(0, nullptr, nullptr);
  cuda::relu_backward(0, nullptr, nullptr, nullptr);
  for (int64_t c : {10, 37, 70}) for (int64_t col : {int64_t{0}, int64_t{5}, c - 1}) info_nan_logits(c, col);
  return h::finish("activation_loss");
}
