// Self-test of the simulator: warp shuffles against CUDA's documented semantics, and the aborts on
// divergent barriers / shuffles. Built by selftest/run.sh.
#include <cuda_runtime.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

__global__ void shfl_kernel(int kind, int arg, int width, int* out) {
  const int t = threadIdx.x, lane = t % 32;
  int v = 1000 + t;
  int r = 0;
  switch (kind) {
    case 0: r = __shfl_xor_sync(0xffffffffu, v, arg, width); break;
    case 1: r = __shfl_down_sync(0xffffffffu, v, arg, width); break;
    case 2: r = __shfl_up_sync(0xffffffffu, v, arg, width); break;
    case 3: r = __shfl_sync(0xffffffffu, v, arg, width); break;
  }
  (void)lane;
  out[blockIdx.x * blockDim.x + t] = r;
}
// Expected per CUDA C++ Programming Guide, "Warp Shuffle Functions".
static int expect(int kind, int arg, int width, int t) {
  const int lane = t % 32, base = t - lane, seg = lane & ~(width - 1), v = 1000 + t;
  switch (kind) {
    case 0: { int s = lane ^ arg; return s >= seg + width ? v : 1000 + base + s; }
    case 1: { int s = lane + arg; return s >= seg + width ? v : 1000 + base + s; }
    case 2: { int s = lane - arg; return s < seg ? v : 1000 + base + s; }
    default: return 1000 + base + seg + (arg % width);
  }
}
// Reductions as the kernels write them, over a partial mask of the first 16 lanes.
__global__ void half_warp_kernel(float* out) {
  float v = threadIdx.x;
  if ((threadIdx.x % 32) < 16)
    for (int o = 8; o > 0; o /= 2) v += __shfl_xor_sync(0x0000ffffu, v, o);
  out[threadIdx.x] = v;
}
__global__ void double_shfl_kernel(double* out) {
  double v = threadIdx.x + 0.25;
  for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
  out[threadIdx.x] = v;
}
// --- must abort ---
__global__ void bad_sync_divergent(int* out) {  // some threads return before the barrier
  if (threadIdx.x >= 40) return;
  __syncthreads();
  out[threadIdx.x] = 1;
}
__global__ void bad_sync_two_sites(int* out) {  // barrier in both branches of a divergent if
  if (threadIdx.x % 2) { __syncthreads(); } else { __syncthreads(); }
  out[threadIdx.x] = 1;
}
__global__ void bad_shfl_divergent(int* out) {  // full-mask shuffle inside a lane-dependent branch
  int v = threadIdx.x;
  if (threadIdx.x % 32 < 20) v = __shfl_xor_sync(0xffffffffu, v, 1);
  out[threadIdx.x] = v;
}
__global__ void bad_shfl_partial_warp(int* out) {  // full mask in a 48-thread block: lanes 48..63 missing
  out[threadIdx.x] = __shfl_xor_sync(0xffffffffu, (int)threadIdx.x, 1);
}
__global__ void bad_shfl_vs_barrier(int* out) {  // lanes of one warp split between a shuffle and a barrier
  int v = threadIdx.x;
  if (threadIdx.x % 32 == 0) __syncthreads(); else v = __shfl_xor_sync(0xffffffffu, v, 1);
  out[threadIdx.x] = v;
}
__global__ void bad_shfl_reads_outside_mask(int* out) {  // lane 0..15 mask, xor 16 reads lanes 16..31
  int v = threadIdx.x;
  if (threadIdx.x % 32 < 16) v = __shfl_xor_sync(0x0000ffffu, v, 16);
  out[threadIdx.x] = v;
}
__global__ void bad_sync_exited_warp(int* out) {  // a whole warp exits early: still UB
  if (threadIdx.x >= 32) return;
  __syncthreads();
  out[threadIdx.x] = 1;
}
__global__ void noop_kernel(int*) {}
__global__ void oob_kernel(int* out) { out[threadIdx.x + 1] = 1; }  // heap overflow by the last thread
__global__ void stack_oob_kernel(int i, int* out) {
  volatile int local[4] = {0, 0, 0, 0};
  __syncthreads();
  out[threadIdx.x] = local[i];  // stack overflow when i == 4
}

static int run_child(void (*fn)()) {
  std::fflush(stdout);
  const pid_t pid = fork();
  if (pid == 0) {
    if (!getenv("SELFTEST_VERBOSE")) freopen("/dev/null", "w", stderr);
    fn();
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}
static std::vector<int> buf(1024);
int main() {
  int fails = 0;
  for (int kind = 0; kind < 4; ++kind)
    for (int width : {32, 16, 8, 4, 2, 1})
      for (int arg : {0, 1, 2, 3, 5, 8, 16, 31, 33}) {
        if (kind == 0 && arg >= 32) continue;
        std::fill(buf.begin(), buf.end(), -1);
        sim_launch(dim3(2), dim3(64), 0, shfl_kernel, kind, arg, width, buf.data());
        for (int t = 0; t < 128; ++t)
          if (buf[t] != expect(kind, arg, width, t % 64)) {
            std::printf("FAIL shuffle kind %d arg %d width %d thread %d: %d, expected %d\n", kind, arg, width, t, buf[t],
                        expect(kind, arg, width, t % 64));
            ++fails;
            break;
          }
      }
  std::vector<float> f(64);
  sim_launch(dim3(1), dim3(64), 0, half_warp_kernel, f.data());
  for (int t = 0; t < 64; ++t) {
    const int lane = t % 32;
    const float e = lane < 16 ? (t - lane) * 16 + 120 : t;
    if (f[t] != e) { std::printf("FAIL half warp thread %d: %g vs %g\n", t, f[t], e); ++fails; break; }
  }
  std::vector<double> d(64);
  sim_launch(dim3(1), dim3(64), 0, double_shfl_kernel, d.data());
  if (d[0] != 32 * 0.25 + 496 || d[32] != 32 * 0.25 + 32 * 32 + 496) { std::printf("FAIL double shfl_down %g %g\n", d[0], d[32]); ++fails; }
  struct Neg { const char* name; void (*fn)(); };
  const Neg negatives[] = {
      {"__syncthreads after an early return", [] { sim_launch(dim3(1), dim3(64), 0, bad_sync_divergent, buf.data()); }},
      {"__syncthreads at two call sites", [] { sim_launch(dim3(1), dim3(64), 0, bad_sync_two_sites, buf.data()); }},
      {"full-mask shuffle in divergent code", [] { sim_launch(dim3(1), dim3(64), 0, bad_shfl_divergent, buf.data()); }},
      {"full-mask shuffle in a partial warp", [] { sim_launch(dim3(1), dim3(48), 0, bad_shfl_partial_warp, buf.data()); }},
      {"shuffle vs barrier in one warp", [] { sim_launch(dim3(1), dim3(64), 0, bad_shfl_vs_barrier, buf.data()); }},
      {"shuffle reading a lane outside the mask", [] { sim_launch(dim3(1), dim3(64), 0, bad_shfl_reads_outside_mask, buf.data()); }},
      {"__syncthreads after a whole warp exited", [] { sim_launch(dim3(1), dim3(64), 0, bad_sync_exited_warp, buf.data()); }},
      {"grid.y > 65535", [] { sim_launch(dim3(1, 65536), dim3(32), 0, noop_kernel, buf.data()); }},
      {"block of 1025 threads", [] { sim_launch(dim3(1), dim3(1025), 0, noop_kernel, buf.data()); }},
      {"empty grid", [] { sim_launch(dim3(0), dim3(32), 0, noop_kernel, buf.data()); }},
      {"negative block count (int -1)", [] { sim_launch(dim3(-1), dim3(32), 0, noop_kernel, buf.data()); }},
  };
  for (const Neg& n : negatives) {
    const int st = run_child(n.fn);
    const bool aborted = WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT;
    std::printf("%s negative: %s\n", aborted ? "ok  " : "FAIL", n.name);
    fails += !aborted;
  }
  const Neg asan[] = {
      {"heap overflow in a kernel (ASan)", [] { std::vector<int> v(64); sim_launch(dim3(1), dim3(64), 0, oob_kernel, v.data()); }},
      {"stack overflow in a fiber (ASan)", [] { std::vector<int> v(64); sim_launch(dim3(1), dim3(64), 0, stack_oob_kernel, 4, v.data()); }},
  };
  for (const Neg& n : asan) {
    const int st = run_child(n.fn);
    const bool aborted = !(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    std::printf("%s negative: %s\n", aborted ? "ok  " : "FAIL", n.name);
    fails += !aborted;
  }
  std::printf("selftest: %d failures\n", fails);
  return fails != 0;
}
