#include "parallel.h"

#include <algorithm>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace wsr::cpu {
namespace {

thread_local bool in_parallel_region = false;

// Workers sleep on a generation counter; each generation hands every worker one chunk index.
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
    }
    wake_.notify_all();
    in_parallel_region = true;
    try {
      job(0);
    } catch (...) {
      first_error = std::current_exception();
    }
    in_parallel_region = false;
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [this] { return pending_ == 0; });
    job_ = nullptr;
    if (!first_error) first_error = error_;
    if (first_error) std::rethrow_exception(first_error);
  }

 private:
  void worker_loop(int index, uint64_t seen) {
    for (;;) {
      const std::function<void(int)>* job;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return stopping_ || generation_ != seen; });
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
      if (--pending_ == 0) done_.notify_one();
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

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  const std::function<void(int)>* job_ = nullptr;
  int chunks_ = 0, pending_ = 0;
  uint64_t generation_ = 0;
  bool stopping_ = false;
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
