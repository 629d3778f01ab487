// CPU simulator of the CUDA execution model (v2: warps), for checking kernel indexing and
// synchronisation without a GPU. Included (via -include) before an unmodified .cu file whose
// launches gen.py rewrote from  k<<<grid, block[, shmem[, stream]]>>>(args)  to
// sim_launch(grid, block, shmem, k, args).
//
// Model: one OS thread. Each CUDA thread of a block is a fiber (own stack, x86-64 context switch). A fiber runs until it reaches
// a synchronisation point and then switches back to the scheduler:
//   __syncthreads()      block barrier: released only when every thread of the block waits at the same
//                        call site; a thread that exited (or waits elsewhere) while others wait aborts.
//   __shfl_*_sync, __syncwarp
//                        warp-level rendezvous: every lane named in `mask` must wait at the same call
//                        site with the same mask; then values are exchanged in lockstep. A mask naming
//                        a lane that does not exist (partial last warp), has exited, or waits at a
//                        block barrier or another shuffle aborts, as does reading a lane outside the
//                        mask. Out-of-segment partners (shfl_down past the segment end, shfl_up below
//                        it) return the caller's own value, as CUDA specifies.
// Blocks run one after another (order shuffled, see SIM_SEED), so __shared__ variables are function
// statics. The fibers of a block are resumed in a shuffled order each round, so a kernel whose result
// depends on the order of threads between two barriers can show different results for different seeds.
// atomicAdd is a plain read-modify-write (fibers never interleave inside one).
// Launch configurations are checked against CUDA's limits.
//
// Environment: SIM_SEED (scheduling order; 0 = in order), SIM_SM_COUNT (cudaDevAttrMultiProcessorCount).
#pragma once
#include <sys/mman.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <random>
#include <source_location>
#include <tuple>
#include <type_traits>
#include <vector>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __noinline__ __attribute__((noinline))
#define __launch_bounds__(...)
// __shared__ variables are function statics in one linker section, which is filled with 0xFF bytes
// (NaN for float/double, -1 for integers) before every block: reading shared memory the block has not
// written (or that a previous block left) shows up as NaN. Indexing them out of bounds is caught by
// UBSan's bounds check (ASan does not instrument variables in a named section).
#define __shared__ static __attribute__((section("sim_shared")))
extern "C" __attribute__((weak)) char __start_sim_shared[];
extern "C" __attribute__((weak)) char __stop_sim_shared[];
#define __align__(n) __attribute__((aligned(n)))

struct uint3 { unsigned x = 0, y = 0, z = 0; };
struct dim3 {
  unsigned x, y, z;
  dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};
// float4: 16-byte aligned as on a GPU, so UBSan's alignment check catches a misaligned vector access.
struct alignas(16) float4 {
  float x, y, z, w;
};
inline float4 make_float4(float x, float y, float z, float w) { return {x, y, z, w}; }
// The device min/max of CUDA's math headers (integer and float overloads).
using std::max;
using std::min;
inline uint3 threadIdx, blockIdx;
inline dim3 blockDim, gridDim;
constexpr int warpSize = 32;

// ---- runtime API stubs ---------------------------------------------------------------------------
typedef int cudaError_t;
typedef void* cudaStream_t;
constexpr cudaError_t cudaSuccess = 0;
enum cudaDeviceAttr { cudaDevAttrMultiProcessorCount = 16 };
inline cudaError_t cudaMemsetAsync(void* p, int v, size_t n, cudaStream_t = 0) { std::memset(p, v, n); return 0; }
inline cudaError_t cudaMemset(void* p, int v, size_t n) { std::memset(p, v, n); return 0; }
inline cudaError_t cudaGetLastError() { return 0; }
inline cudaError_t cudaPeekAtLastError() { return 0; }
inline const char* cudaGetErrorString(cudaError_t) { return "no error"; }
inline const char* cudaGetErrorName(cudaError_t) { return "cudaSuccess"; }
inline cudaError_t cudaGetDevice(int* d) { *d = 0; return 0; }
inline cudaError_t cudaDeviceGetAttribute(int* v, cudaDeviceAttr, int) {
  const char* e = std::getenv("SIM_SM_COUNT");
  *v = e ? std::atoi(e) : 132;  // H100 SXM
  return 0;
}

// ---- device intrinsics ---------------------------------------------------------------------------
// The _rn intrinsics are never fused into FMAs by nvcc; the empty asm keeps g++ from fusing them
// either when the simulation is built with -mfma -ffp-contract=fast (the "fma" variant).
template <class T> inline T sim_opaque(T v) { asm("" : "+x"(v)); return v; }
inline double __dadd_rn(double a, double b) { return sim_opaque(sim_opaque(a) + sim_opaque(b)); }
inline double __dmul_rn(double a, double b) { return sim_opaque(sim_opaque(a) * sim_opaque(b)); }
inline double __ddiv_rn(double a, double b) { return sim_opaque(a / b); }
inline double __dsqrt_rn(double a) { return sim_opaque(std::sqrt(a)); }
inline float __fadd_rn(float a, float b) { return sim_opaque(sim_opaque(a) + sim_opaque(b)); }
inline float __fmul_rn(float a, float b) { return sim_opaque(sim_opaque(a) * sim_opaque(b)); }
inline int __clzll(long long x) { return x == 0 ? 64 : __builtin_clzll(static_cast<unsigned long long>(x)); }
inline int __clz(int x) { return x == 0 ? 32 : __builtin_clz(static_cast<unsigned>(x)); }
inline double __longlong_as_double(long long x) { double d; std::memcpy(&d, &x, 8); return d; }
inline long long __double_as_longlong(double x) { long long d; std::memcpy(&d, &x, 8); return d; }
inline float __int_as_float(int x) { float d; std::memcpy(&d, &x, 4); return d; }
inline int __float_as_int(float x) { int d; std::memcpy(&d, &x, 4); return d; }

template <class T>
T atomicAdd(T* address, T value) {  // float, double, int, unsigned, unsigned long long
  const T old = *address;
  *address = old + value;
  return old;
}

// ---- fibers and the scheduler --------------------------------------------------------------------
inline long sim_launches = 0, sim_blocks = 0, sim_warp_syncs = 0, sim_block_barriers = 0;

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#define SIM_ASAN 1
#else
#define SIM_ASAN 0
#endif

// x86-64 context switch without a signal-mask syscall (glibc's swapcontext makes one, and ASan's
// swapcontext interceptor clears the whole target stack's shadow on every switch). Saves the
// callee-saved registers, MXCSR and the x87 control word on the old stack, stores its stack pointer
// in *save and continues on `to`. ASan is told about every switch (__sanitizer_*_switch_fiber).
extern "C" void sim_switch(void** save, void* to);
asm(R"(
.text
.weak sim_switch
.type sim_switch,@function
sim_switch:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  subq $8, %rsp
  stmxcsr (%rsp)
  fnstcw 4(%rsp)
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  ldmxcsr (%rsp)
  fldcw 4(%rsp)
  addq $8, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
.size sim_switch, .-sim_switch
)");

namespace sim {

[[noreturn]] inline void fail(const char* what) {
  std::fprintf(stderr,
               "\n*** sim: %s\n*** sim: block (%u,%u,%u) of grid (%u,%u,%u), blockDim (%u,%u,%u), launch #%ld\n",
               what, blockIdx.x, blockIdx.y, blockIdx.z, gridDim.x, gridDim.y, gridDim.z, blockDim.x, blockDim.y,
               blockDim.z, sim_launches);
  std::fflush(stderr);
  std::abort();
}

enum State { kRunnable, kAtBarrier, kAtWarpSync, kDone };

// Call sites are compared by source position (file, line, column), not by return address: the host
// compiler may duplicate a call (tail duplication), which nvcc never does to a barrier.
inline bool same_site(const std::source_location& a, const std::source_location& b) {
  return a.line() == b.line() && a.column() == b.column() && std::strcmp(a.file_name(), b.file_name()) == 0;
}
inline std::string where(const std::source_location& a) {
  return std::string(a.file_name()) + ":" + std::to_string(a.line()) + ":" + std::to_string(a.column());
}
enum ShflKind { kSync, kIdx, kUp, kDown, kXor };

struct Fiber {
  void* sp = nullptr;          // saved stack pointer while switched out
  void* fake_stack = nullptr;  // ASan bookkeeping
  char* stack = nullptr;
  State state = kRunnable;
  uint3 tid;
  unsigned linear = 0;  // linear thread index in the block
  std::source_location site;  // call site of the barrier / shuffle it waits at
  // warp rendezvous
  unsigned mask = 0;
  int kind = kSync, arg = 0, width = 32;
  unsigned char value[8] = {}, result[8] = {};
};

constexpr size_t kStackBytes = 256 * 1024;
constexpr unsigned kMaxThreads = 1024;

inline void* scheduler_sp = nullptr;
inline void* scheduler_fake_stack = nullptr;
inline const void* scheduler_stack_bottom = nullptr;
inline size_t scheduler_stack_size = 0;
inline Fiber* current = nullptr;
inline std::function<void()>* body = nullptr;
inline Fiber* fibers = nullptr;  // kMaxThreads, stacks mapped once
inline unsigned block_threads = 0;

inline void init_pool() {
  if (fibers) return;
  fibers = new Fiber[kMaxThreads];
  char* base = static_cast<char*>(mmap(nullptr, kStackBytes * kMaxThreads, PROT_READ | PROT_WRITE,
                                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0));
  if (base == MAP_FAILED) fail("mmap of fiber stacks failed");
  for (unsigned t = 0; t < kMaxThreads; ++t) fibers[t].stack = base + t * kStackBytes;
}

// Fiber side: back to the scheduler (dying: the fiber never resumes).
inline void to_scheduler(Fiber& f, bool dying) {
#if SIM_ASAN
  __sanitizer_start_switch_fiber(dying ? nullptr : &f.fake_stack, scheduler_stack_bottom, scheduler_stack_size);
#endif
  sim_switch(&f.sp, scheduler_sp);
#if SIM_ASAN
  __sanitizer_finish_switch_fiber(f.fake_stack, nullptr, nullptr);
#endif
  (void)dying;
}

// Scheduler side: run fiber f until it yields or ends.
inline void to_fiber(Fiber& f) {
#if SIM_ASAN
  __sanitizer_start_switch_fiber(&scheduler_fake_stack, f.stack, kStackBytes);
#endif
  sim_switch(&scheduler_sp, f.sp);
#if SIM_ASAN
  __sanitizer_finish_switch_fiber(scheduler_fake_stack, nullptr, nullptr);
#endif
}

[[noreturn]] inline void entry() {
#if SIM_ASAN
  __sanitizer_finish_switch_fiber(nullptr, &scheduler_stack_bottom, &scheduler_stack_size);
#endif
  (*body)();
  current->state = kDone;
  to_scheduler(*current, true);
  __builtin_unreachable();
}

// A fresh fiber's stack: sim_switch pops the control words and six registers, then returns into entry().
inline void prepare(Fiber& f) {
  uint64_t* top = reinterpret_cast<uint64_t*>(f.stack + kStackBytes);  // 16-byte aligned
  *--top = 0;                                            // entry's (fake) return address: rsp % 16 == 8 at entry
  *--top = reinterpret_cast<uint64_t>(&entry);
  for (int r = 0; r < 6; ++r) *--top = 0;                // rbp rbx r12 r13 r14 r15
  *--top = 0x1F80ull | (0x037Full << 32);                // MXCSR default, x87 control word default
  f.sp = top;
}

inline void yield(State s, const std::source_location& site) {
  if (!current) fail("a synchronisation primitive called outside a kernel");
  Fiber& f = *current;
  f.state = s;
  f.site = site;
  to_scheduler(f, false);
}

inline uint64_t seed() {
  static const uint64_t s = [] {
    const char* e = std::getenv("SIM_SEED");
    return e ? std::strtoull(e, nullptr, 10) : uint64_t{1};
  }();
  return s;
}
inline std::mt19937_64& order_rng() {
  static std::mt19937_64 r(seed());
  return r;
}

// Lanes [w*32, w*32+32) that exist in a block of n threads: a bit mask.
inline unsigned existing_lanes(unsigned warp, unsigned n) {
  const unsigned first = warp * 32, count = std::min(32u, n - first);
  return count == 32 ? 0xffffffffu : ((1u << count) - 1);
}

// Resolves every warp rendezvous whose lanes have all arrived; aborts on one that never can.
// Returns whether any fiber became runnable.
inline bool resolve_warps(unsigned n) {
  bool progressed = false;
  char msg[1024];
  for (unsigned warp = 0; warp * 32 < n; ++warp) {
    Fiber* lanes = fibers + warp * 32;
    const unsigned exist = existing_lanes(warp, n);
    unsigned handled = 0;
    for (unsigned l = 0; l < 32; ++l) {
      if (!(exist >> l & 1) || lanes[l].state != kAtWarpSync || (handled >> l & 1)) continue;
      const Fiber& f = lanes[l];
      const unsigned mask = f.mask;
      if (!(mask >> l & 1)) {
        std::snprintf(msg, sizeof msg, "warp %u lane %u: shuffle/syncwarp mask 0x%08x does not include the calling lane",
                      warp, l, mask);
        fail(msg);
      }
      if (mask & ~exist) {
        std::snprintf(msg, sizeof msg,
                      "warp %u: the shuffle/syncwarp at %s has mask 0x%08x, naming lanes that do not exist (block "
                      "of %u threads: lanes 0x%08x) -- undefined behaviour on a GPU",
                      warp, where(f.site).c_str(), mask, n, exist);
        fail(msg);
      }
      bool waiting_for_lanes = false;  // a lane of the mask has not been scheduled up to here yet
      for (unsigned m = 0; m < 32; ++m) waiting_for_lanes |= (mask >> m & 1) && lanes[m].state == kRunnable;
      if (waiting_for_lanes) continue;
      for (unsigned m = 0; m < 32; ++m) {
        if (!(mask >> m & 1)) continue;
        const Fiber& g = lanes[m];
        if (g.state == kDone) {
          std::snprintf(msg, sizeof msg,
                        "warp %u: divergent warp sync: lane %u waits at a shuffle/syncwarp with mask 0x%08x but lane %u "
                        "has exited (shuffle at %s)",
                        warp, l, mask, m, where(f.site).c_str());
          fail(msg);
        }
        if (g.state == kAtBarrier) {
          std::snprintf(msg, sizeof msg,
                        "warp %u: divergent warp sync: lane %u waits at a shuffle/syncwarp (mask 0x%08x) while lane %u "
                        "waits at __syncthreads (deadlock; shuffle at %s, barrier at %s)",
                        warp, l, mask, m, where(f.site).c_str(), where(g.site).c_str());
          fail(msg);
        }
        if (!same_site(g.site, f.site) || g.mask != mask || g.kind != f.kind || g.width != f.width) {
          std::snprintf(msg, sizeof msg,
                        "warp %u: lanes %u and %u wait at different shuffles/syncwarps (%s / %s, masks "
                        "0x%08x/0x%08x, kinds %d/%d)",
                        warp, l, m, where(f.site).c_str(), where(g.site).c_str(), mask, g.mask, f.kind, g.kind);
          fail(msg);
        }
      }
      // Exchange: every lane computes its source lane as CUDA specifies.
      for (unsigned m = 0; m < 32; ++m) {
        if (!(mask >> m & 1)) continue;
        Fiber& g = lanes[m];
        const int width = g.width;
        if (width < 1 || width > 32 || (width & (width - 1))) fail("shuffle width is not a power of two in [1, 32]");
        const int seg = static_cast<int>(m) & ~(width - 1);  // first lane of m's segment
        int src = static_cast<int>(m);
        switch (g.kind) {
          case kSync: src = -1; break;
          case kIdx: src = seg + (g.arg & (width - 1)); break;  // srcLane % width within the segment
          case kUp: src = static_cast<int>(m) - g.arg < seg ? static_cast<int>(m) : static_cast<int>(m) - g.arg; break;
          case kDown:
            src = static_cast<int>(m) + g.arg >= seg + width ? static_cast<int>(m) : static_cast<int>(m) + g.arg;
            break;
          case kXor: {
            const int x = static_cast<int>(m) ^ g.arg;
            // CUDA: a later group's lane gives the caller's own value; an earlier group's lane may be read.
            src = x >= seg + width ? static_cast<int>(m) : x;
            break;
          }
        }
        if (src >= 0) {
          if (!(mask >> src & 1)) {
            std::snprintf(msg, sizeof msg,
                          "warp %u lane %u reads lane %d, which is not in the shuffle mask 0x%08x (undefined value; %s)",
                          warp, m, src, mask, where(f.site).c_str());
            fail(msg);
          }
          std::memcpy(g.result, lanes[src].value, 8);
        }
      }
      for (unsigned m = 0; m < 32; ++m)
        if (mask >> m & 1) lanes[m].state = kRunnable;
      handled |= mask;
      progressed = true;
      ++sim_warp_syncs;
    }
  }
  return progressed;
}

inline void run_block(unsigned n, const dim3& block) {
  for (unsigned t = 0; t < n; ++t) {
    Fiber& f = fibers[t];
    f.state = kRunnable;
    f.linear = t;
    f.site = std::source_location();
    f.tid = {t % block.x, (t / block.x) % block.y, t / (block.x * block.y)};
    prepare(f);
  }
  if (__start_sim_shared && +__stop_sim_shared > +__start_sim_shared)  // unary +: compare as pointers
    std::memset(__start_sim_shared, 0xFF, static_cast<size_t>(__stop_sim_shared - __start_sim_shared));
  std::vector<unsigned> order(n);
  for (unsigned t = 0; t < n; ++t) order[t] = t;
  const bool shuffle = seed() != 0;
  const unsigned warps = (n + 31) / 32;
  std::vector<char> run_warp(warps, 1);
  // Scheduling (SIM_SEED != 0; one policy per block, drawn at random):
  //   0: every runnable fiber advances to its next barrier / shuffle each round, in a shuffled order;
  //   1: each round only a random half of the warps advances (warps drift apart);
  //   2: warps in a random priority order: the first warp with work runs alone until it waits at a
  //      __syncthreads (or ends), then the next, so some warp gets to the next barrier before another
  //      warp has even started. Exposes a missing barrier between a write and another warp's read.
  const int policy = shuffle ? static_cast<int>(order_rng()() % 3) : 0;
  std::vector<unsigned> priority(warps);
  for (unsigned w = 0; w < warps; ++w) priority[w] = w;
  if (shuffle) std::shuffle(priority.begin(), priority.end(), order_rng());
  char msg[1024];
  for (;;) {
    bool any_runnable = false;
    for (unsigned t = 0; t < n && !any_runnable; ++t) any_runnable = fibers[t].state == kRunnable;
    if (any_runnable) {
      if (shuffle) {
        std::shuffle(order.begin(), order.end(), order_rng());
        auto has_work = [&](unsigned w) {
          for (unsigned t = w * 32; t < std::min(n, w * 32 + 32); ++t)
            if (fibers[t].state == kRunnable) return true;
          return false;
        };
        if (policy == 1) {
          for (;;) {
            bool some = false;
            for (unsigned w = 0; w < warps; ++w) some |= (run_warp[w] = order_rng()() & 1) && has_work(w);
            if (some) break;
          }
        } else if (policy == 2) {
          bool chosen = false;
          for (unsigned i = 0; i < warps; ++i) {
            const unsigned w = priority[i];
            run_warp[w] = !chosen && has_work(w);
            chosen |= run_warp[w];
          }
        }
      }
      for (unsigned t : order) {
        Fiber& f = fibers[t];
        if (f.state != kRunnable || !run_warp[t / 32]) continue;
        current = &f;
        threadIdx = f.tid;
        to_fiber(f);
      }
      current = nullptr;
    }
    if (resolve_warps(n) || any_runnable) continue;
    unsigned done = 0, at_barrier = 0, at_warp = 0;
    const Fiber* first = nullptr;
    for (unsigned t = 0; t < n; ++t) {
      const Fiber& f = fibers[t];
      if (f.state == kDone) ++done;
      else if (f.state == kAtBarrier) {
        if (first && !same_site(f.site, first->site)) {
          std::snprintf(msg, sizeof msg,
                        "threads %u and %u wait at different __syncthreads (%s, %s): divergent barrier", first->linear,
                        f.linear, where(first->site).c_str(), where(f.site).c_str());
          fail(msg);
        }
        if (!first) first = &f;
        ++at_barrier;
      } else if (f.state == kAtWarpSync) ++at_warp;
    }
    if (done == n) return;
    if (at_warp) fail("internal: unresolved warp sync");
    if (done) {
      std::snprintf(msg, sizeof msg, "divergent __syncthreads: %u threads wait at the barrier at %s, %u have exited",
                    at_barrier, where(first->site).c_str(), done);
      fail(msg);
    }
    for (unsigned t = 0; t < n; ++t) fibers[t].state = kRunnable;  // release the barrier
    ++sim_block_barriers;
  }
}

}  // namespace sim

inline void __syncthreads(std::source_location site = std::source_location::current()) {
  sim::yield(sim::kAtBarrier, site);
}

namespace sim {
template <class T>
inline T warp_op(unsigned mask, T var, int kind, int arg, int width, const std::source_location& site) {
  static_assert(sizeof(T) <= 8 && std::is_trivially_copyable_v<T>, "shuffle of a type wider than 8 bytes");
  if (!current) fail("shuffle outside a kernel");
  Fiber& f = *current;
  f.mask = mask;
  f.kind = kind;
  f.arg = arg;
  f.width = width;
  std::memset(f.value, 0, 8);
  std::memcpy(f.value, &var, sizeof(T));
  std::memcpy(f.result, &var, sizeof(T));
  yield(kAtWarpSync, site);
  T out;
  std::memcpy(&out, f.result, sizeof(T));
  return out;
}
}  // namespace sim

using sim_loc = std::source_location;
template <class T>
T __shfl_sync(unsigned mask, T var, int src_lane, int width = 32, sim_loc site = sim_loc::current()) {
  return sim::warp_op(mask, var, sim::kIdx, src_lane, width, site);
}
template <class T>
T __shfl_up_sync(unsigned mask, T var, unsigned delta, int width = 32, sim_loc site = sim_loc::current()) {
  return sim::warp_op(mask, var, sim::kUp, static_cast<int>(delta), width, site);
}
template <class T>
T __shfl_down_sync(unsigned mask, T var, unsigned delta, int width = 32, sim_loc site = sim_loc::current()) {
  return sim::warp_op(mask, var, sim::kDown, static_cast<int>(delta), width, site);
}
template <class T>
T __shfl_xor_sync(unsigned mask, T var, int lane_mask, int width = 32, sim_loc site = sim_loc::current()) {
  return sim::warp_op(mask, var, sim::kXor, lane_mask, width, site);
}
inline void __syncwarp(unsigned mask = 0xffffffffu, sim_loc site = sim_loc::current()) {
  sim::warp_op(mask, 0, sim::kSync, 0, 32, site);
}

// kernel<<<grid, block, shmem, stream>>>(args...) becomes sim_launch(grid, block, shmem, kernel, args...).
// Arguments are converted to the kernel's parameter types once, as a launch does; every thread then
// gets its own copy of them.
template <class... P, class... A>
void sim_launch(dim3 grid, dim3 block, size_t shmem, void (*kernel)(P...), A&&... args) {
  static_assert(sizeof...(P) == sizeof...(A), "kernel argument count");
  const unsigned long long n = 1ull * block.x * block.y * block.z;
  if (grid.x == 0 || grid.y == 0 || grid.z == 0 || grid.x > 2147483647u || grid.y > 65535 || grid.z > 65535 ||
      n > 1024 || n == 0 || block.z > 64 || shmem > 48 * 1024) {
    std::fprintf(stderr, "\n*** sim: invalid launch configuration grid(%u,%u,%u) block(%u,%u,%u) shmem %zu\n", grid.x,
                 grid.y, grid.z, block.x, block.y, block.z, shmem);
    std::abort();
  }
  sim::init_pool();
  gridDim = grid;
  blockDim = block;
  sim_launches++;
  const std::tuple<std::decay_t<P>...> params(std::forward<A>(args)...);
  std::function<void()> fn = [&] {
    auto copy = params;  // per-thread copy of the parameters
    std::apply(kernel, copy);
  };
  sim::body = &fn;
  const unsigned long long blocks = 1ull * grid.x * grid.y * grid.z;
  sim_blocks += static_cast<long>(blocks);
  // Block order: shuffled (blocks are independent on a GPU), unless SIM_SEED=0.
  std::vector<unsigned long long> order;
  const bool shuffle = sim::seed() != 0 && blocks <= (1ull << 22);
  if (shuffle) {
    order.resize(blocks);
    for (unsigned long long b = 0; b < blocks; ++b) order[b] = b;
    std::shuffle(order.begin(), order.end(), sim::order_rng());
  }
  for (unsigned long long i = 0; i < blocks; ++i) {
    const unsigned long long b = shuffle ? order[i] : i;
    blockIdx = {static_cast<unsigned>(b % grid.x), static_cast<unsigned>(b / grid.x % grid.y),
                static_cast<unsigned>(b / grid.x / grid.y)};
    sim::run_block(static_cast<unsigned>(n), block);
  }
  sim::body = nullptr;
}
