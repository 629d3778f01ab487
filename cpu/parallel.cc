#include "parallel.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace wsr::cpu {
namespace {

thread_local bool in_parallel_region = false;

// Workers wait on a generation counter; each generation hands every worker one chunk index. A worker
// that has just finished spins on the counter for a while before it sleeps, and so does the caller
// waiting for the workers: waking a sleeping thread costs 30-70 µs on the 2-core development machine
// (bench/native/parallel_round_trip.cc), a training step runs dozens of parallel regions back to back,
// and OpenMP (PyTorch's pool) spins the same way. The hand-off itself stays under the mutex.
class ThreadPool {
 public:
  explicit ThreadPool(int threads) { resize(threads); }
  ~ThreadPool() { stop_workers(); }

  int size() const { return static_cast<int>(workers_.size()) + 1; }

  void resize(int threads) {
    stop_workers();
    stopping_ = false;
    const uint64_t current = generation_;  // new workers must not replay a finished generation
    for (int i = 1; i < threads; ++i) workers_.emplace_back([this, i, current] { worker_loop(i, current); });
  }

  // Runs job(chunk) for chunk in [0, chunks); chunk 0 on the caller.
  void run(int chunks, const std::function<void(int)>& job) {
    std::exception_ptr first_error;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      job_ = &job;
      chunks_ = chunks;
      pending_ = chunks - 1;
      error_ = nullptr;
      ++generation_;
      if (sleepers_ > 0) wake_.notify_all();
    }
    in_parallel_region = true;
    try {
      job(0);
    } catch (...) {
      first_error = std::current_exception();
    }
    in_parallel_region = false;
    spin_until([this] { return pending_.load() == 0; });
    std::unique_lock<std::mutex> lock(mutex_);
    caller_sleeping_ = true;
    done_.wait(lock, [this] { return pending_ == 0; });
    caller_sleeping_ = false;
    job_ = nullptr;
    if (!first_error) first_error = error_;
    if (first_error) std::rethrow_exception(first_error);
  }

 private:
  // Spins (pausing the core) until ready() or until the spin budget is spent.
  template <class Ready>
  static void spin_until(const Ready& ready) {
    const auto give_up = std::chrono::steady_clock::now() + kSpin;
    for (int i = 1; !ready(); ++i) {
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
      if (i % 64 == 0 && std::chrono::steady_clock::now() > give_up) return;
    }
  }

  void worker_loop(int index, uint64_t seen) {
    for (;;) {
      spin_until([&] { return generation_.load() != seen || stopping_.load(); });
      const std::function<void(int)>* job;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        ++sleepers_;
        wake_.wait(lock, [&] { return stopping_ || generation_ != seen; });
        --sleepers_;
        if (stopping_) return;
        seen = generation_;
        if (index >= chunks_) continue;
        job = job_;
      }
      in_parallel_region = true;
      std::exception_ptr error;
      try {
        (*job)(index);
      } catch (...) {
        error = std::current_exception();
      }
      in_parallel_region = false;
      std::unique_lock<std::mutex> lock(mutex_);
      if (error && !error_) error_ = error;
      if (--pending_ == 0 && caller_sleeping_) done_.notify_one();
    }
  }

  void stop_workers() {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    for (auto& t : workers_) t.join();
    workers_.clear();
  }

  // How long an idle thread spins before it sleeps: longer than the gaps between the parallel regions
  // of one training step, short enough that an idle process gives its cores back at once.
  static constexpr std::chrono::microseconds kSpin{100};

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  const std::function<void(int)>* job_ = nullptr;
  int chunks_ = 0, sleepers_ = 0;
  bool caller_sleeping_ = false;
  // Written under mutex_, also read without it by the spinning threads.
  std::atomic<int> pending_{0};
  std::atomic<uint64_t> generation_{0};
  std::atomic<bool> stopping_{false};
  std::exception_ptr error_;
};

int default_threads() { return std::max(1u, std::thread::hardware_concurrency()); }

ThreadPool& pool() {
  static ThreadPool instance(default_threads());
  return instance;
}

std::mutex run_mutex;  // one parallel region at a time across JS worker threads

}  // namespace

OpSize::OpSize(double flops) : saved_(in_parallel_region) {
  if (flops < kMinParallelFlops) in_parallel_region = true;
}
OpSize::~OpSize() { in_parallel_region = saved_; }

int num_threads() { return pool().size(); }

void set_num_threads(int n) {
  std::lock_guard<std::mutex> guard(run_mutex);
  pool().resize(std::max(1, n));
}

void parallel_for(int64_t n, const std::function<void(int64_t, int64_t)>& fn, int64_t grain) {
  if (n <= 0) return;
  grain = std::max<int64_t>(1, grain);
  const int64_t max_chunks = std::max<int64_t>(1, n / grain);
  const int chunks = static_cast<int>(std::min<int64_t>(num_threads(), max_chunks));
  if (chunks <= 1 || in_parallel_region) {
    fn(0, n);
    return;
  }
  std::lock_guard<std::mutex> guard(run_mutex);
  pool().run(chunks, [&](int chunk) {
    const int64_t begin = n * chunk / chunks, end = n * (chunk + 1) / chunks;
    if (begin < end) fn(begin, end);
  });
}

}  // namespace wsr::cpu
