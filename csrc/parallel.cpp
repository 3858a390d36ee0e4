#include "parallel.hpp"

#include <chrono>
#include <ctime>
#include <thread>

#ifdef _OPENMP
#include <omp.h>
#endif
#if defined(__unix__) || defined(__APPLE__)
#include <pthread.h>
#define FASTINIT_HAVE_ATFORK 1
#endif
#ifdef __linux__
#include <sched.h>
#endif
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace fastinit {
namespace {

using Clock = std::chrono::steady_clock;

thread_local Team* t_team = nullptr;  // the team this thread leads
thread_local bool t_in_block = false;

// How long an idle worker spins for the next job before it sleeps. The loops of one
// mini-batch follow each other within microseconds, so a short spin catches them all, while
// between calls or on a machine whose cores are taken the worker leaves its core soon.
constexpr auto kSpin = std::chrono::microseconds(100);

// CPU time of the calling thread, where the platform has a clock for it; else wall time.
inline double thread_seconds() {
#if defined(CLOCK_THREAD_CPUTIME_ID)
  timespec ts{};
  if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) == 0)
    return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
#endif
  return std::chrono::duration<double>(Clock::now().time_since_epoch()).count();
}

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

// Calls ready() until it holds or `limit` has passed; true when it held.
template <class Ready>
bool spin_until(Ready&& ready, Clock::duration limit) {
  const auto deadline = Clock::now() + limit;
  for (int i = 0;; ++i) {
    if (ready()) return true;
    cpu_relax();
    if (i % 64 == 63 && Clock::now() >= deadline) return false;
  }
}

// How the calling thread's teams have fared. For every job the leader compares the team's time
// with what it would have taken alone (its own blocks' pace times all the blocks) and keeps the
// difference, recent jobs weighted most (kMemory of job time), up to a small credit. On a busy
// machine a worker is descheduled while it holds a block, and the leader waits for it a whole
// time slice: when the team has been slower than one thread over the recent past, the calling
// thread's loops run on it alone for a while. The while grows fourfold when contention returns
// within kCalm of team work after it (up to kMaxSolo) and starts again from kMinSolo otherwise,
// so that a busy machine probes rarely; a quiet machine's rare short stall is covered by the
// credit.
class Contention {
 public:
  bool solo() const { return solo_until_ > Clock::now(); }
  // Solo for long yet: contention has recurred (a single stray stall gives only kMinSolo).
  bool solo_for_long() const { return solo_until_ > Clock::now() + kLongSolo; }
  // Test hook: alone for `period`, or from scratch (no contention seen) when it is zero.
  void solo_for(Clock::duration period) {
    if (period <= Clock::duration::zero()) *this = Contention();
    else solo_until_ = Clock::now() + period;
  }
  // The leader spent `worked` seconds of wall time and `busy` of its own CPU time on its `own`
  // of the job's `n` blocks, then waited `waited` for the rest. Alone, at the pace of its CPU
  // time, it would have run every block in busy * n / own: a leader that shares its core with
  // another program (and that the OS would move to a core the team keeps busy) shows here too.
  void record(double worked, double busy, std::int64_t own, std::int64_t n, double waited) {
    if (own == 0) return;
    const double team = worked + waited;
    const double alone = busy * static_cast<double>(n) / static_cast<double>(own);
    balance_ = std::min(kCredit, balance_ * std::max(0.0, 1.0 - team / kMemory) + alone - team);
    team_seconds_ += team;
    if (balance_ >= -kSlack) return;
    // Contention again after little team work (idle time does not count: a process that pauses
    // between fits on a busy machine meets the same load when it resumes).
    period_ = team_seconds_ < kCalm ? std::min(4 * period_, kMaxSolo) : kMinSolo;
    solo_until_ = Clock::now() + period_;
    balance_ = team_seconds_ = 0.0;
  }

 private:
  // Seconds. The credit is capped so that gains cannot hide a descheduled worker for long: a
  // stall of more than kCredit + kSlack stops the team, however well it went before.
  static constexpr double kMemory = 0.02, kCredit = 3e-3, kSlack = 200e-6, kCalm = 0.1;
  static constexpr Clock::duration kMinSolo = std::chrono::milliseconds(2);
  static constexpr Clock::duration kLongSolo = std::chrono::milliseconds(50);
  static constexpr Clock::duration kMaxSolo = std::chrono::seconds(1);
  Clock::time_point solo_until_{};
  Clock::duration period_ = kMinSolo;
  double balance_ = 0.0;  // seconds the team gained over the leader alone, recent jobs first
  double team_seconds_ = kCalm;  // of jobs the team ran since it last stopped (none yet: calm)
};

thread_local Contention t_contention;

// Set in the child of a fork() that followed the first parallel region (pthread_atfork child
// handler: a lock-free store is all a handler may safely do there).
std::atomic<bool> g_forked{false};
static_assert(std::atomic<bool>::is_always_lock_free);

void mark_forked() { g_forked.store(true, std::memory_order_relaxed); }

// Registers the fork handler once, before the process's first region; false when it could not
// be registered, and regions must then not be opened (a forked child could not be told).
bool fork_handler_registered() {
#ifdef FASTINIT_HAVE_ATFORK
  static const bool registered = pthread_atfork(nullptr, nullptr, mark_forked) == 0;
  return registered;
#else
  return true;  // no fork() on this platform
#endif
}

class InBlock {
 public:
  InBlock() : previous_(t_in_block) { t_in_block = true; }
  ~InBlock() { t_in_block = previous_; }
  InBlock(const InBlock&) = delete;
  InBlock& operator=(const InBlock&) = delete;

 private:
  bool previous_;
};

}  // namespace

bool openmp_enabled() {
#ifdef _OPENMP
  return true;
#else
  return false;
#endif
}

int max_threads() {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

int usable_cpus() {
#ifdef __linux__
  cpu_set_t set;
  CPU_ZERO(&set);
  // Fails on machines with more CPUs than cpu_set_t holds (1024); the count below then serves.
  if (sched_getaffinity(0, sizeof(set), &set) == 0) return std::max(1, CPU_COUNT(&set));
#endif
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

int max_team_threads() {
  return static_cast<int>(std::min<std::int64_t>(
      kMaxTeam, std::int64_t{kThreadsPerCpu} * usable_cpus()));
}

bool forked_after_parallel() { return g_forked.load(std::memory_order_relaxed); }

int team_threads() { return t_team ? t_team->size() : 1; }

void run_alone_for(double seconds) {
  t_contention.solo_for(std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(seconds)));
}

namespace detail {
Team* current_team() { return t_in_block ? nullptr : t_team; }
bool inside_block() { return t_in_block; }
bool running_alone() { return t_contention.solo(); }
void run_blocks(int threads, std::int64_t n, BlockFn fn) {
  if (Team* team = current_team(); team && threads > 1) team->run(threads, n, fn);
  else run_serially(n, fn);
}
}  // namespace detail

bool Team::take(int share, bool own, std::uint64_t generation, std::int64_t& index) {
  constexpr std::uint64_t kMask = (std::uint64_t{1} << kIndexBits) - 1;
  std::atomic<std::uint64_t>& word = shares_[static_cast<std::size_t>(share)].word;
  std::uint64_t s = word.load(std::memory_order_acquire);
  for (;;) {
    const std::uint64_t next = (s >> kIndexBits) & kMask, end = s & kMask;
    if ((s >> (2 * kIndexBits)) != (generation & 0xFFFF) || next >= end) return false;
    const std::uint64_t taken = own ? s + (std::uint64_t{1} << kIndexBits) : s - 1;
    if (word.compare_exchange_weak(s, taken, std::memory_order_acq_rel,
                                   std::memory_order_acquire)) {
      index = static_cast<std::int64_t>(own ? next : end - 1);
      return true;
    }
  }
}

std::int64_t Team::claim(int self, int threads, std::uint64_t generation) {
  std::int64_t index = -1;
  if (take(self, true, generation, index)) return index;
  for (int k = 1; k < threads; ++k) {
    if (take((self + k) % threads, false, generation, index)) return index;
  }
  return -1;
}

void Team::run_block(std::int64_t index) {
  try {
    const InBlock in_block;
    fn_.call(fn_.context, offset_ + index);
  } catch (...) {
    // The first error wins its slot; the leader reads it once every block is done.
    if (!error_taken_.exchange(true, std::memory_order_acq_rel)) error_ = std::current_exception();
  }
}

std::int64_t Team::work(int self, int threads, std::uint64_t generation) {
  std::int64_t count = 0;
  for (std::int64_t i = claim(self, threads, generation); i >= 0;
       i = claim(self, threads, generation), ++count)
    run_block(i);
  // Once per thread and job: the leader waits on this count, and per-block increments would
  // bounce its cache line between the cores on every block.
  if (count > 0) done_.fetch_add(count, std::memory_order_release);
  return count;
}

void run_serially(std::int64_t n, BlockFn fn) {
  std::exception_ptr error;
  const InBlock in_block;
  for (std::int64_t i = 0; i < n; ++i) {
    try {
      fn.call(fn.context, i);
    } catch (...) {
      if (!error) error = std::current_exception();
    }
  }
  if (error) std::rethrow_exception(error);
}

void Team::run(int max_threads, std::int64_t n, BlockFn fn) {
  const int threads = std::min(max_threads, size_);
  if (threads <= 1 || t_contention.solo()) {
    run_serially(n, fn);  // the workers see no job, and sleep once their spin ends
    return;
  }
  fn_ = fn;
  error_ = nullptr;
  error_taken_.store(false, std::memory_order_relaxed);
  // Block indices within a part must fit the shares' index fields.
  const std::int64_t part = kMaxShare;
  for (std::int64_t first = 0; first < n; first += part)
    run_part(threads, first, std::min(n, first + part));
  if (error_) std::rethrow_exception(error_);
}

void Team::run_part(int threads, std::int64_t first, std::int64_t end) {
  const std::int64_t n = end - first;
  offset_ = first;
  done_.store(0, std::memory_order_relaxed);
  const std::uint64_t next = generation(state_.load(std::memory_order_relaxed)) + 1;
  const std::uint64_t tag = (next & 0xFFFF) << (2 * kIndexBits);
  for (int t = 0; t < threads; ++t) {
    const auto lo = static_cast<std::uint64_t>(n * t / threads);
    const auto hi = static_cast<std::uint64_t>(n * (t + 1) / threads);
    // Release: a thread whose compare-and-swap takes from this word then sees fn_ and offset_
    // (also one that read an old job's state and matches this job's tag after 2^16 jobs).
    shares_[static_cast<std::size_t>(t)].word.store(tag | (lo << kIndexBits) | hi,
                                                     std::memory_order_release);
  }
  // seq_cst, paired with the sleepers' count: either a sleeping worker sees this job when it
  // checks before sleeping, or the leader sees it asleep and wakes it.
  state_.store((next << kThreadsBits) | static_cast<std::uint64_t>(threads),
               std::memory_order_seq_cst);
  if (sleepers_.load(std::memory_order_seq_cst) > 0) {
    { const std::lock_guard<std::mutex> lock(sleep_mutex_); }
    wake_.notify_all();
  }
  const auto start = Clock::now();
  const double cpu_start = thread_seconds();
  const std::int64_t own = work(0, threads, next);
  const double busy = thread_seconds() - cpu_start;
  const auto worked = Clock::now();
  wait_until_done(n);
  const auto seconds = [](Clock::duration d) { return std::chrono::duration<double>(d).count(); };
  t_contention.record(seconds(worked - start), busy, own, n, seconds(Clock::now() - worked));
}

void Team::wait_until_done(std::int64_t n) {
  const auto done = [&] { return done_.load(std::memory_order_acquire) == n; };
  // A worker finishing a block ends within microseconds, unless the OS has descheduled it: then
  // the leader gives its core away rather than spin against it.
  if (spin_until(done, kSpin)) return;
  while (!done()) std::this_thread::yield();
}

std::uint64_t Team::wait_for_job(std::uint64_t seen) {
  std::uint64_t s = 0;
  const auto ready = [&] {
    s = state_.load(std::memory_order_seq_cst);
    return closed_.load(std::memory_order_acquire) || generation(s) != seen;
  };
  if (!spin_until(ready, kSpin)) {
    std::unique_lock<std::mutex> lock(sleep_mutex_);
    sleepers_.fetch_add(1, std::memory_order_seq_cst);
    wake_.wait(lock, ready);
    sleepers_.fetch_sub(1, std::memory_order_relaxed);
  }
  return closed_.load(std::memory_order_acquire) ? 0 : s;
}

void Team::serve(int index) noexcept {
  // Jobs count from generation 1, so a worker that starts late still joins the current one.
  std::uint64_t seen = 0;
  try {
    for (std::uint64_t s = wait_for_job(seen); s != 0; s = wait_for_job(seen)) {
      seen = generation(s);
      if (index < participants(s)) work(index, participants(s), seen);
    }
  } catch (...) {
    // Only a failing mutex or condition variable (waiting for a job, never inside one) gets
    // here: the worker stops and the others take its share.
  }
}

void Team::close() noexcept {
  closed_.store(true, std::memory_order_seq_cst);
  try {
    const std::lock_guard<std::mutex> lock(sleep_mutex_);
  } catch (...) {
  }
  wake_.notify_all();
}

void with_team(int n_threads, const std::function<void()>& body) {
#ifdef _OPENMP
  // While contention has recurred, the call runs alone without forming a team at all (the
  // region's start and end cost a busy machine a time slice each); a team is formed otherwise,
  // and takes up the loops within the call once a short solo period ends.
  // A forked child never opens a region (forked_after_parallel); the handler that tells it is
  // registered before the first one.
  if (n_threads > 1 && !t_team && !t_in_block && !t_contention.solo_for_long() &&
      !forked_after_parallel() && fork_handler_registered()) {
    n_threads = std::min(n_threads, max_team_threads());
    // The team outlives the region: its end barrier is where the workers have left serve().
    Team team(n_threads);
    std::exception_ptr error;
#pragma omp parallel num_threads(n_threads)
    {
      if (omp_get_thread_num() == 0) {
        team.set_size(omp_get_num_threads());
        t_team = &team;
        try {
          body();
        } catch (...) {
          error = std::current_exception();
        }
        t_team = nullptr;
        team.close();
      } else {
        team.serve(omp_get_thread_num());
      }
    }
    if (error) std::rethrow_exception(error);
    return;
  }
#else
  (void)n_threads;
#endif
  body();
}

}  // namespace fastinit
