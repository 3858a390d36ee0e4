// The engine's one thread pool: OpenMP loops with a fixed, thread-count-independent partition
// of the work, and exceptions carried out of the parallel region and rethrown after it.
#pragma once

#include <algorithm>
#include <cstdint>
#include <exception>
#include <mutex>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace fastinit {

inline bool openmp_enabled() {
#ifdef _OPENMP
  return true;
#else
  return false;
#endif
}

inline int max_threads() {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

// [begin, end) of block `b` when `n` items are cut into `n_blocks` near-equal blocks whose
// boundaries fall on multiples of `align` (so vector loops start aligned).
struct Range {
  std::int64_t begin, end;
};

inline Range block_range(std::int64_t n, std::int64_t n_blocks, std::int64_t b,
                         std::int64_t align = 16) {
  const std::int64_t units = (n + align - 1) / align;
  const std::int64_t lo = units * b / n_blocks, hi = units * (b + 1) / n_blocks;
  return {std::min(n, lo * align), std::min(n, hi * align)};
}

// Threads worth waking for `work` multiply-adds. A parallel region costs microseconds to open and
// much more when a core is busy with another process (a spinning thread then waits for one that
// was descheduled), so small products run on the calling thread alone.
inline int threads_for(std::int64_t work, int n_threads) {
  constexpr std::int64_t kMinWorkPerThread = std::int64_t{1} << 20;
  const std::int64_t useful = std::max<std::int64_t>(1, work / kMinWorkPerThread);
  return static_cast<int>(std::min<std::int64_t>(n_threads, useful));
}

// Runs fn(i) for i in [0, n) on up to n_threads threads (static schedule). The first exception
// thrown by any iteration is rethrown on the calling thread after the region has joined; the
// remaining iterations still run, so no thread is left waiting at a barrier.
template <class Fn>
void parallel_for(int n_threads, std::int64_t n, Fn&& fn) {
  std::exception_ptr error;
  std::mutex error_mutex;
  const auto guarded = [&](std::int64_t i) {
    try {
      fn(i);
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mutex);
      if (!error) error = std::current_exception();
    }
  };
#ifdef _OPENMP
  if (n_threads > 1 && n > 1) {
#pragma omp parallel for schedule(static) num_threads(n_threads)
    for (std::int64_t i = 0; i < n; ++i) guarded(i);
  } else {
    for (std::int64_t i = 0; i < n; ++i) guarded(i);
  }
#else
  (void)n_threads;
  for (std::int64_t i = 0; i < n; ++i) guarded(i);
#endif
  if (error) std::rethrow_exception(error);
}

}  // namespace fastinit
