#include "binary.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <numeric>

#include "parallel.hpp"

namespace fastinit {
namespace {

std::atomic<double> g_sparse_density{0.25};

// One strip of kStrip output columns is accumulated in registers over all selected rows, so
// each selected table row is read once per strip. Compiled for AVX-512 and AVX2 as well as the
// baseline; the loader picks the best clone at run time (portable wheels, no -march=native).
constexpr std::int64_t kStrip = 64;

// GCC vector types: one 64-byte vector is a zmm register in the AVX-512 clone, two ymm in the
// AVX2 clone and four xmm otherwise. (Plain loops here were reordered into scalar code.)
using Vec16 = float __attribute__((vector_size(64)));

__attribute__((target_clones("avx512f", "avx2", "default")))
void sum_rows_strip(const float* table, std::int64_t ld, const std::int32_t* index,
                    std::int64_t count, float* out) {
  Vec16 acc[kStrip / 16] = {};
  for (std::int64_t n = 0; n < count; ++n) {
    const float* row = table + static_cast<std::int64_t>(index[n]) * ld;
    for (std::int64_t q = 0; q < kStrip / 16; ++q) {
      Vec16 x;
      std::memcpy(&x, row + 16 * q, sizeof x);
      acc[q] += x;
    }
  }
  std::memcpy(out, acc, sizeof acc);
}

__attribute__((target_clones("avx512f", "avx2", "default")))
void sum_rows_tail(const float* table, std::int64_t ld, const std::int32_t* index,
                   std::int64_t count, std::int64_t width, float* out) {
  std::fill(out, out + width, 0.0f);
  for (std::int64_t n = 0; n < count; ++n) {
    const float* row = table + static_cast<std::int64_t>(index[n]) * ld;
#pragma omp simd
    for (std::int64_t j = 0; j < width; ++j) out[j] += row[j];
  }
}

}  // namespace

double sparse_density_threshold() { return g_sparse_density.load(std::memory_order_relaxed); }
void set_sparse_density_threshold(double threshold) {
  g_sparse_density.store(threshold, std::memory_order_relaxed);
}

bool BinaryRows::build(const float* x, std::int64_t rows, std::int64_t cols, int n_threads) {
  // Row r's ones are listed in its own slot index_[r * cols ...], so rows index in parallel.
  cols_ = cols;
  counts_.resize(static_cast<std::size_t>(rows));
  if (index_.size() < static_cast<std::size_t>(rows * cols)) index_.resize(rows * cols);
  const double limit = sparse_density_threshold() * static_cast<double>(rows * cols);
  const std::int64_t n_blocks = threads_for(rows * cols * 32, n_threads);
  // A block stops early once its own ones reach the limit of the whole matrix: the answer is
  // then "dense" whatever the other blocks hold, so it never depends on the thread count.
  std::vector<char> refused(n_blocks, 0);
  parallel_for(n_blocks, n_blocks, [&](std::int64_t b) {
    const Range block = block_range(rows, n_blocks, b, 1);
    std::int64_t block_ones = 0;
    for (std::int64_t r = block.begin; r < block.end; ++r) {
      const float* row = x + r * cols;
      std::int32_t* index = index_.data() + r * cols;
      std::int64_t count = 0;
      bool not_binary = false;
      // Branch-free: write every position, advance past it only when the entry is one.
      for (std::int64_t i = 0; i < cols; ++i) {
        index[count] = static_cast<std::int32_t>(i);
        count += row[i] == 1.0f;
        not_binary |= (row[i] != 0.0f) & (row[i] != 1.0f);
      }
      counts_[r] = count;
      block_ones += count;
      if (not_binary || static_cast<double>(block_ones) >= limit) {
        refused[b] = 1;
        return;
      }
    }
  });
  if (std::find(refused.begin(), refused.end(), 1) != refused.end()) return false;
  const std::int64_t ones = std::accumulate(counts_.begin(), counts_.end(), std::int64_t{0});
  return static_cast<double>(ones) < limit;
}

void BinaryRows::gather_sum(const float* table, std::int64_t ld, std::int64_t col0,
                            std::int64_t width, float* out, std::int64_t ld_out) const {
  const auto rows = static_cast<std::int64_t>(counts_.size());
  for (std::int64_t r = 0; r < rows; ++r) {
    const std::int32_t* index = index_.data() + r * cols_;
    const std::int64_t count = counts_[r];
    float* dst = out + r * ld_out;
    std::int64_t j = 0;
    for (; j + kStrip <= width; j += kStrip)
      sum_rows_strip(table + col0 + j, ld, index, count, dst + j);
    if (j < width) sum_rows_tail(table + col0 + j, ld, index, count, width - j, dst + j);
  }
}

}  // namespace fastinit
