#include "binary.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>

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

bool BinaryRows::build(const float* x, std::int64_t rows, std::int64_t cols) {
  const auto limit = static_cast<std::int64_t>(sparse_density_threshold() * rows * cols);
  offsets_.resize(static_cast<std::size_t>(rows + 1));
  if (index_.size() < static_cast<std::size_t>(rows * cols)) index_.resize(rows * cols);
  std::int64_t count = 0;
  offsets_[0] = 0;
  for (std::int64_t r = 0; r < rows; ++r) {
    const float* row = x + r * cols;
    // Branch-free: write every position, advance past it only when the entry is one.
    bool other = false;
    for (std::int64_t i = 0; i < cols; ++i) {
      index_[count] = static_cast<std::int32_t>(i);
      count += row[i] == 1.0f;
      other |= (row[i] != 0.0f) & (row[i] != 1.0f);
    }
    if (other || count >= limit) return false;
    offsets_[r + 1] = count;
  }
  return true;
}

void BinaryRows::gather_sum(const float* table, std::int64_t ld, std::int64_t col0,
                            std::int64_t width, float* out, std::int64_t ld_out) const {
  const std::int64_t rows = static_cast<std::int64_t>(offsets_.size()) - 1;
  for (std::int64_t r = 0; r < rows; ++r) {
    const std::int32_t* index = index_.data() + offsets_[r];
    const std::int64_t count = offsets_[r + 1] - offsets_[r];
    float* dst = out + r * ld_out;
    std::int64_t j = 0;
    for (; j + kStrip <= width; j += kStrip)
      sum_rows_strip(table + col0 + j, ld, index, count, dst + j);
    if (j < width) sum_rows_tail(table + col0 + j, ld, index, count, width - j, dst + j);
  }
}

}  // namespace fastinit
