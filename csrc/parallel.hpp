// The engine's threads: a team per engine call, whose parallel loops hand out fixed blocks to
// whichever threads are running.
//
// Blocks are cut from the problem's size alone, never from the thread count, so results do not
// depend on n_jobs or on which thread runs a block. A loop is a job: each participating thread
// first takes the blocks of its own share (contiguous, as OpenMP's static schedule cuts them, so
// a thread meets the same columns of W in loop after loop, in its cache), then takes what is
// left of the others' shares from their ends, and the leader (the calling thread) returns as
// soon as every block is done. A worker that the OS has descheduled (a busy core, another
// process's threads) takes nothing and delays nobody; the threads that run do the work. OpenMP provides
// the threads: one parallel region per call (with_team), instead of one per loop, whose end
// barrier would wait for every thread, running or not. Idle workers spin for a bounded time,
// then sleep until the next job. Exceptions are carried out of the blocks and the region and
// rethrown on the calling thread.
#pragma once

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <type_traits>
#include <vector>

namespace fastinit {

bool openmp_enabled();
// Threads an OpenMP region would start by default (OMP_NUM_THREADS, threadpoolctl's limits).
int max_threads();

// CPUs the calling thread may run on (its affinity mask), at least 1.
int usable_cpus();

// A team has at most kThreadsPerCpu threads per usable CPU. n_jobs keeps its scikit-learn
// meaning (threads asked for, more than the cores allowed), and since blocks never depend on
// the thread count a few extra threads only take turns on the cores; but every thread costs a
// stack and a kernel task, and OpenMP ends the process (no exception can be thrown) when it
// cannot create one (n_jobs=40000, or a container's low task limit). Four per CPU still forms
// teams of a few threads under a one-CPU affinity mask (the tests under taskset) and stays far
// below any task limit.
constexpr int kThreadsPerCpu = 4;
int max_team_threads();

// True in a process forked (fork() without exec) from one in which the engine had opened a
// parallel region: libgomp's thread pool does not survive fork, and the child's first region
// with more than one thread would wait forever for the parent's workers. Every call then runs
// on the calling thread alone, with the same results.
bool forked_after_parallel();

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

// Threads worth waking for `work` multiply-adds: small loops run on the calling thread alone,
// where handing out blocks would cost more than it saves.
inline int threads_for(std::int64_t work, int n_threads) {
  constexpr std::int64_t kMinWorkPerThread = std::int64_t{1} << 20;
  const std::int64_t useful = std::max<std::int64_t>(1, work / kMinWorkPerThread);
  return static_cast<int>(std::min<std::int64_t>(n_threads, useful));
}

// A block of a job: fn(context, block index), without std::function's allocation.
struct BlockFn {
  void* context;
  void (*call)(void*, std::int64_t);
};

// The threads of one engine call. Only with_team creates one; parallel_for finds it.
class Team {
 public:
  explicit Team(int size) : size_(size), shares_(static_cast<std::size_t>(size)) {}
  Team(const Team&) = delete;
  Team& operator=(const Team&) = delete;

  // Threads in the team (the leader included): at most what with_team asked for.
  int size() const { return size_; }
  // Leader: blocks [0, n) of fn on the leader and up to max_threads - 1 workers; returns once
  // all are done, rethrowing the first exception a block threw (the other blocks still run).
  void run(int max_threads, std::int64_t n, BlockFn fn);
  // Worker `index` (1 .. size - 1): serve jobs until close().
  void serve(int index) noexcept;
  // Leader: let the workers go (they leave the region's barrier).
  void close() noexcept;
  // Leader, before the first job: the threads the OpenMP region actually has.
  void set_size(int size) { size_ = std::min(size, static_cast<int>(shares_.size())); }

 private:
  // state_ = generation (48 bits) | participants (16 bits): a new job when the generation moves.
  static constexpr int kThreadsBits = 16;
  static std::uint64_t generation(std::uint64_t s) { return s >> kThreadsBits; }
  static int participants(std::uint64_t s) {
    return static_cast<int>(s & ((1u << kThreadsBits) - 1));
  }
  // A participant's share of the job's blocks: [next, end) of the generation's low 16 bits, 24
  // bits each. The owner takes from next, the others from end, each by compare-and-swap; a
  // share showing blocks of a generation is a share of a job not yet done, so a match is safe.
  struct alignas(64) Share {
    std::atomic<std::uint64_t> word{0};
  };
  static constexpr int kIndexBits = 24;
  static constexpr std::int64_t kMaxShare = (std::int64_t{1} << kIndexBits) - 1;
  // Blocks [first, end) of the current job on up to `threads` participants.
  void run_part(int threads, std::int64_t first, std::int64_t end);
  // One block of the current job for `self`: its own share first, then the others'; -1 when
  // none is left.
  std::int64_t claim(int self, int threads, std::uint64_t generation);
  bool take(int share, bool own, std::uint64_t generation, std::int64_t& index);
  void run_block(std::int64_t index);
  // Claim and run blocks until none is left; returns how many this thread ran.
  std::int64_t work(int self, int threads, std::uint64_t generation);
  // Worker: the state of the first job after generation `seen`, or 0 once closed.
  std::uint64_t wait_for_job(std::uint64_t seen);
  void wait_until_done(std::int64_t n);

  int size_;  // set by the leader before its first job
  std::atomic<std::uint64_t> state_{0};
  std::atomic<std::int64_t> done_{0};
  std::atomic<bool> closed_{false};
  std::vector<Share> shares_;
  // The job, written by the leader before it publishes the job's state and stable until all of
  // its blocks are done (a thread reads them only after claiming a block).
  BlockFn fn_{nullptr, nullptr};
  std::int64_t offset_ = 0;  // block index = offset_ + index within the part
  std::exception_ptr error_;
  std::atomic<bool> error_taken_{false};
  // Workers waiting on wake_ for a job; the leader notifies only when this count is non-zero.
  std::mutex sleep_mutex_;
  std::condition_variable wake_;
  std::atomic<int> sleepers_{0};
};

// Threads serving the calling thread's parallel loops: its team's size, or 1.
int team_threads();

// Test hook: the calling thread's loops run on it alone for `seconds`, as after contention.
void run_alone_for(double seconds);

// Runs body() on the calling thread with a team of up to n_threads threads (at most
// max_team_threads()) that serve its parallel_for loops (directly, or from functions it calls);
// inside another team's call, with one thread or in a forked child (forked_after_parallel),
// body() just runs. While the machine's cores are taken by other work the loops run on the
// calling thread alone (the idle workers sleep); when contention has recurred for a while,
// without a team at all.
constexpr int kMaxTeam = 4096;  // the jobs' participant field holds 16 bits
void with_team(int n_threads, const std::function<void()>& body);

// Blocks [0, n) of fn on the calling thread, in order; the first exception a block threw is
// rethrown once all have run.
void run_serially(std::int64_t n, BlockFn fn);

namespace detail {
Team* current_team();  // the team the calling thread leads, outside its blocks; else null
bool inside_block();   // the calling thread is running a block of a job
bool running_alone();  // contention has sent the calling thread's loops to it alone for now
// Blocks [0, n) on the calling thread's team when it has one, else on the calling thread.
void run_blocks(int threads, std::int64_t n, BlockFn fn);
}  // namespace detail

// Runs fn(i) for i in [0, n) on up to n_threads threads. The first exception thrown by any
// iteration is rethrown on the calling thread once all iterations have run. Inside a
// with_team call the team serves it; otherwise a team is formed for this loop alone.
template <class Fn>
void parallel_for(int n_threads, std::int64_t n, Fn&& fn) {
  if (n <= 0) return;
  const BlockFn block{static_cast<void*>(&fn), [](void* f, std::int64_t i) {
                        (*static_cast<std::remove_reference_t<Fn>*>(f))(i);
                      }};
  const int threads = static_cast<int>(std::min<std::int64_t>(n_threads, n));
  // A team for this loop alone, unless contention says one thread does better right now: the
  // region's start and end would cost more than the loop (with_team's callers keep theirs).
  if (threads > 1 && !detail::current_team() && !detail::inside_block() &&
      !detail::running_alone()) {
    with_team(threads, [&] { detail::run_blocks(threads, n, block); });
  } else {
    detail::run_blocks(threads, n, block);
  }
}

}  // namespace fastinit
