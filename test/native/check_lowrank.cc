// Low-rank local connectivity (cpu/lowrank.h, cuda/lowrank.h): mixing R basis banks into a locally
// connected weight and bias, and the gradients of the mixing. The CPU kernels against the definitions
// computed directly in double (W_p = Σ_r a_p,r B_r, dB_r = Σ_p a_p,r dW_p, dlogits by the softmax
// Jacobian), always; with a usable GPU also CUDA against the CPU (float GEMMs summed in other orders:
// within 1e-5). Both: bases that all equal one bank materialise it exactly, with logit gradients of 0.
// Timings of both on the paper's three CIFAR LC layers at ranks 1, 3, 9 and full.
#include <cmath>
#include <string>
#include <vector>

#include "check.h"
#include "cpu/lowrank.h"
#ifdef WSR_WITH_CUDA
#include "cuda/lowrank.h"
#endif

namespace wsr::check {
namespace {

constexpr double kTolerance = 1e-5;  // max |a-b| / (|b|+1), float GEMMs against double sums

struct MixCase {
  const char* name;
  int64_t oh, ow, rank, k, c, kh, kw;
  bool timed;  // a paper layer: timed, checked against double at sampled entries only
  LowRankShape shape() const { return LowRankShape{oh * ow, rank, k * c * kh * kw, k}; }
};

// Awkward shapes (rank 1, rank = positions, one position, K = 1, an odd grid) and the paper's CIFAR LC
// layers (14x14x64 of 3x5x5, 5x5x128 of 64x5x5, 3x3x256 of 128x3x3) at ranks 1, 3, 9 and full.
const MixCase kCases[] = {
    {"rank 1", 3, 5, 1, 2, 3, 1, 3, false},
    {"rank = positions 3x2", 3, 2, 6, 4, 3, 2, 2, false},
    {"one position rank 2", 1, 1, 2, 3, 2, 3, 3, false},
    {"k1 c3 odd 5x3 rank 4", 5, 3, 4, 1, 3, 2, 2, false},
    {"LC1 rank 1", 14, 14, 1, 64, 3, 5, 5, true},
    {"LC1 rank 3", 14, 14, 3, 64, 3, 5, 5, true},
    {"LC1 rank 9", 14, 14, 9, 64, 3, 5, 5, true},
    {"LC1 full 196", 14, 14, 196, 64, 3, 5, 5, true},
    {"LC2 rank 3", 5, 5, 3, 128, 64, 5, 5, true},
    {"LC2 rank 9", 5, 5, 9, 128, 64, 5, 5, true},
    {"LC2 full 25", 5, 5, 25, 128, 64, 5, 5, true},
    {"LC3 rank 3", 3, 3, 3, 256, 128, 3, 3, true},
    {"LC3 full 9", 3, 3, 9, 256, 128, 3, 3, true},
};

// a [P, R] = softmax of each logits row, in double.
std::vector<double> softmax(const std::vector<float>& logits, int64_t P, int64_t R) {
  std::vector<double> a(static_cast<size_t>(P * R));
  for (int64_t p = 0; p < P; ++p) {
    double top = logits[p * R], sum = 0;
    for (int64_t r = 1; r < R; ++r) top = std::max(top, double(logits[p * R + r]));
    for (int64_t r = 0; r < R; ++r) sum += std::exp(logits[p * R + r] - top);
    for (int64_t r = 0; r < R; ++r) a[p * R + r] = std::exp(logits[p * R + r] - top) / sum;
  }
  return a;
}

// Reference values at `count` sampled indices of each output (every index when the output is small).
std::vector<int64_t> samples(Context& ctx, int64_t n, int64_t count) {
  std::vector<int64_t> at;
  if (n <= count) {
    for (int64_t i = 0; i < n; ++i) at.push_back(i);
    return at;
  }
  std::uniform_int_distribution<int64_t> pick(0, n - 1);
  for (int64_t j = 0; j < count; ++j) at.push_back(pick(ctx.rng));
  return at;
}

// max |got − want| / (|want| + 1) over the sampled entries.
double sampled_error(const std::vector<float>& got, const std::vector<int64_t>& at, const std::vector<double>& want) {
  double worst = 0;
  for (size_t j = 0; j < at.size(); ++j) {
    const double e = std::fabs(got[at[j]] - want[j]) / (std::fabs(want[j]) + 1.0);
    if (!(e <= worst)) worst = e;
  }
  return worst;
}

std::string describe(const MixCase& t) {
  return std::string(t.name) + " bank " + std::to_string(t.shape().bank);
}

}  // namespace

WSR_CHECK(lowrank_mix) {
  for (const MixCase& t : kCases) {
    const LowRankShape s = t.shape();
    const int64_t P = s.positions, R = s.rank, M = s.bank, K = s.k;
    const auto bases = random_vector(ctx, R * M), bb = random_vector(ctx, R * K), logits = random_vector(ctx, P * R, -2, 2);
    std::vector<float> w(P * M), b(P * K);
    cpu::low_rank_mix(s, bases.data(), bb.data(), logits.data(), w.data(), b.data());
    const std::vector<double> a = softmax(logits, P, R);
    const auto wat = samples(ctx, P * M, t.timed ? 2000 : P * M), bat = samples(ctx, P * K, 500);
    std::vector<double> wref, bref;
    for (int64_t i : wat) {
      double sum = 0;
      for (int64_t r = 0; r < R; ++r) sum += a[(i / M) * R + r] * bases[r * M + i % M];
      wref.push_back(sum);
    }
    for (int64_t i : bat) {
      double sum = 0;
      for (int64_t r = 0; r < R; ++r) sum += a[(i / K) * R + r] * bb[r * K + i % K];
      bref.push_back(sum);
    }
    double error = std::max(sampled_error(w, wat, wref), sampled_error(b, bat, bref));
    // Bases that all equal basis 0 give it exactly, at every position.
    std::vector<float> same = bases;
    for (int64_t i = M; i < R * M; ++i) same[i] = bases[i % M];
    std::vector<float> w_same(P * M);
    cpu::low_rank_mix(s, same.data(), nullptr, logits.data(), w_same.data(), nullptr);
    for (int64_t i = 0; i < P * M; ++i)
      if (w_same[i] != bases[i % M]) error = std::max(error, 1.0);
    double cuda_ms = -1;
#ifdef WSR_WITH_CUDA
    if (ctx.cuda) {
      DeviceBuffer d_bases(bases), d_bb(bb), d_logits(logits), d_w(P * M), d_b(P * K), d_same(same);
      DeviceBuffer ws(cuda::low_rank_mix_workspace(s) + 1);
      cuda::low_rank_mix(s, d_bases.ptr, d_bb.ptr, d_logits.ptr, d_w.ptr, d_b.ptr, ws.ptr);
      error = std::max({error, max_error(d_w.to_host(), w), max_error(d_b.to_host(), b)});
      cuda::low_rank_mix(s, d_same.ptr, nullptr, d_logits.ptr, d_w.ptr, nullptr, ws.ptr);
      if (d_w.to_host() != w_same) error = std::max(error, 1.0);
      cuda_ms = time_ms(ctx, [&] { cuda::low_rank_mix(s, d_bases.ptr, d_bb.ptr, d_logits.ptr, d_w.ptr, d_b.ptr, ws.ptr); },
                        cuda_sync);
    }
#endif
    const double cpu_ms =
        time_ms(ctx, [&] { cpu::low_rank_mix(s, bases.data(), bb.data(), logits.data(), w.data(), b.data()); });
    report(ctx, "low_rank_mix", describe(t), cpu_ms, cuda_ms, error, kTolerance);
  }
}

WSR_CHECK(lowrank_mix_backward) {
  for (const MixCase& t : kCases) {
    const LowRankShape s = t.shape();
    const int64_t P = s.positions, R = s.rank, M = s.bank, K = s.k;
    const auto bases = random_vector(ctx, R * M), bb = random_vector(ctx, R * K), logits = random_vector(ctx, P * R, -2, 2);
    const auto dw = random_vector(ctx, P * M), db = random_vector(ctx, P * K);
    std::vector<float> dbases(R * M), dbb(R * K), dlogits(P * R);
    cpu::low_rank_mix_backward(s, bases.data(), bb.data(), logits.data(), dw.data(), db.data(), dbases.data(),
                               dbb.data(), dlogits.data());
    const std::vector<double> a = softmax(logits, P, R);
    const auto at = samples(ctx, R * M, t.timed ? 500 : R * M);
    std::vector<double> ref;
    for (int64_t i : at) {
      double sum = 0;
      for (int64_t p = 0; p < P; ++p) sum += a[p * R + i / M] * dw[p * M + i % M];
      ref.push_back(sum);
    }
    double error = sampled_error(dbases, at, ref);
    std::vector<int64_t> bat;
    std::vector<double> bref;
    for (int64_t i = 0; i < R * K; ++i) {
      double sum = 0;
      for (int64_t p = 0; p < P; ++p) sum += a[p * R + i / K] * db[p * K + i % K];
      bat.push_back(i);
      bref.push_back(sum);
    }
    error = std::max(error, sampled_error(dbb, bat, bref));
    // dlogits: dA_p,r = <dW_p, B_r> + <db_p, bb_r>, then a_r·(dA_r − Σ_s a_s dA_s). The reference sums
    // the long dot products in double, so its scale is Σ|terms|, not the result's: compare relative to it.
    std::vector<double> lref(P * R), scale(P * R, 0);
    for (int64_t p = 0; p < P; ++p) {
      std::vector<double> dA(R, 0), mag(R, 0);
      for (int64_t r = 0; r < R; ++r) {
        for (int64_t i = 0; i < M; ++i) {
          dA[r] += double(dw[p * M + i]) * bases[r * M + i];
          mag[r] += std::fabs(double(dw[p * M + i]) * (bases[r * M + i] - bases[i]));
        }
        for (int64_t i = 0; i < K; ++i) {
          dA[r] += double(db[p * K + i]) * bb[r * K + i];
          mag[r] += std::fabs(double(db[p * K + i]) * (bb[r * K + i] - bb[i]));
        }
      }
      double mean = 0, worst = 0;
      for (int64_t r = 0; r < R; ++r) mean += a[p * R + r] * dA[r], worst = std::max(worst, mag[r]);
      for (int64_t r = 0; r < R; ++r) {
        lref[p * R + r] = a[p * R + r] * (dA[r] - mean);
        scale[p * R + r] = std::max(1.0, a[p * R + r] * worst);
      }
    }
    for (int64_t i = 0; i < P * R; ++i) error = std::max(error, std::fabs(dlogits[i] - lref[i]) / scale[i]);
    // Bases (and biases) that all agree: logit gradients exactly 0.
    std::vector<float> same = bases, same_b = bb;
    for (int64_t i = M; i < R * M; ++i) same[i] = bases[i % M];
    for (int64_t i = K; i < R * K; ++i) same_b[i] = bb[i % K];
    std::vector<float> dl_same(P * R, 1.f);
    cpu::low_rank_mix_backward(s, same.data(), same_b.data(), logits.data(), dw.data(), db.data(), dbases.data(),
                               dbb.data(), dl_same.data());
    for (float v : dl_same)
      if (v != 0.f) error = std::max(error, 1.0);
    cpu::low_rank_mix_backward(s, bases.data(), bb.data(), logits.data(), dw.data(), db.data(), dbases.data(),
                               dbb.data(), dlogits.data());
    double cuda_ms = -1;
#ifdef WSR_WITH_CUDA
    if (ctx.cuda) {
      DeviceBuffer d_bases(bases), d_bb(bb), d_logits(logits), d_dw(dw), d_db(db), d_dbases(R * M), d_dbb(R * K),
          d_dl(P * R), d_same(same), d_same_b(same_b);
      DeviceBuffer ws(cuda::low_rank_mix_backward_workspace(s) + 1);
      const auto run = [&] {
        cuda::low_rank_mix_backward(s, d_bases.ptr, d_bb.ptr, d_logits.ptr, d_dw.ptr, d_db.ptr, d_dbases.ptr, d_dbb.ptr,
                                    d_dl.ptr, ws.ptr);
      };
      run();
      std::vector<float> dl_cuda = d_dl.to_host();
      double logit_error = 0;
      for (int64_t i = 0; i < P * R; ++i)
        logit_error = std::max(logit_error, std::fabs(dl_cuda[i] - dlogits[i]) / scale[i]);
      error = std::max({error, max_error(d_dbases.to_host(), dbases), max_error(d_dbb.to_host(), dbb), logit_error});
      cuda::low_rank_mix_backward(s, d_same.ptr, d_same_b.ptr, d_logits.ptr, d_dw.ptr, d_db.ptr, d_dbases.ptr, d_dbb.ptr,
                                  d_dl.ptr, ws.ptr);
      for (float v : d_dl.to_host())
        if (v != 0.f) error = std::max(error, 1.0);
      cuda_ms = time_ms(ctx, run, cuda_sync);
    }
#endif
    const double cpu_ms = time_ms(ctx, [&] {
      cpu::low_rank_mix_backward(s, bases.data(), bb.data(), logits.data(), dw.data(), db.data(), dbases.data(),
                                 dbb.data(), dlogits.data());
    });
    report(ctx, "low_rank_mix_backward", describe(t), cpu_ms, cuda_ms, error, kTolerance);
  }
}

}  // namespace wsr::check
