#include <cstring>

#include "check.h"
#include "cpu/gemm.h"

namespace wsr::check {

std::vector<Check>& checks() {
  static std::vector<Check> all;
  return all;
}

void report(Context& ctx, const std::string& op, const std::string& shape, double cpu_ms, double cuda_ms,
            double error, double tolerance) {
  const bool pass = error <= tolerance;
  if (!pass) ctx.failures++;
  char cuda_col[32] = "-";
  char speedup[32] = "-";
  if (cuda_ms >= 0) {
    snprintf(cuda_col, sizeof cuda_col, "%.3f", cuda_ms);
    snprintf(speedup, sizeof speedup, "%.1fx", cpu_ms / cuda_ms);
  }
  std::printf("%-28s %-34s %10.3f %10s %8s %10.2e %s\n", op.c_str(), shape.c_str(), cpu_ms, cuda_col, speedup, error,
              cuda_ms >= 0 ? (pass ? "PASS" : "FAIL") : (pass ? "cpu-ok" : "FAIL"));
  std::fflush(stdout);
}

}  // namespace wsr::check

int main(int argc, char** argv) {
  using namespace wsr::check;
  Context ctx;
  ctx.rng.seed(std::random_device{}());
  const char* filter = nullptr;
  bool cpu_only = false;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--filter") && i + 1 < argc) {
      filter = argv[++i];
    } else if (!std::strcmp(argv[i], "--reps") && i + 1 < argc) {
      ctx.reps = std::max(1, std::atoi(argv[++i]));
    } else if (!std::strcmp(argv[i], "--cpu-only")) {
      cpu_only = true;
    } else if (!std::strcmp(argv[i], "--gemm-kernel") && i + 1 < argc) {
      // The CPU kernels' GEMM microkernel (avx512, avx2, generic): the implicit-GEMM convolutions gather
      // their panels in the kernel's own geometry, so each geometry is checked.
      const char* kernel = argv[++i];
      if (!wsr::cpu::sgemm_select_kernel(kernel)) {
        std::fprintf(stderr, "this CPU cannot run the %s GEMM kernel\n", kernel);
        return 2;
      }
      std::printf("CPU GEMM kernel: %s\n", wsr::cpu::sgemm_kernel_name());
    } else {
      std::fprintf(stderr, "usage: %s [--filter substring] [--reps N] [--cpu-only] [--gemm-kernel avx512|avx2|generic]\n", argv[0]);
      return 2;
    }
  }
#ifdef WSR_WITH_CUDA
  std::string reason;
  ctx.cuda = !cpu_only && wsr::cuda::device_count(&reason) > 0;
  if (ctx.cuda) {
    const auto info = wsr::cuda::device_info(0);
    std::printf("CUDA device 0: %s (sm_%d%d)\n", info.name.c_str(), info.major, info.minor);
  } else {
    std::printf("CUDA compiled in but not used: %s\n", cpu_only ? "--cpu-only" : reason.c_str());
  }
#else
  (void)cpu_only;
  std::printf("CPU-only build: CUDA kernels not compiled in\n");
#endif
  std::printf("%-28s %-34s %10s %10s %8s %10s %s\n", "op", "shape", "cpu ms", "cuda ms", "speedup", "max err", "result");
  int ran = 0;
  for (const Check& c : checks()) {
    if (filter && !std::strstr(c.name, filter)) continue;
    c.fn(ctx);
    ran++;
  }
  std::printf("%d checks run, %d failures\n", ran, ctx.failures);
  return ctx.failures == 0 && ran > 0 ? 0 : 1;
}
