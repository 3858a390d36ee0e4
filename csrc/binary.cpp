#include "binary.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <numeric>
#include <stdexcept>

#include "dispatch.hpp"
#include "parallel.hpp"

namespace fastinit {
namespace {

// The crossover measured in CD-1 training at batch 100 (random binary data, one thread): row
// sums 1 % faster at 35 % ones, 13 % slower at 45 %; 10 % faster on Fashion-MNIST (31 %).
std::atomic<double> g_sparse_density{0.35};
std::atomic<bool> g_tables{true};

// Tables of subset sums (table_product) from this many rows of the binary operand on: their
// cost is a fixed part per call (16 sums per 4 table rows) plus a quarter of a row sum per
// operand row. 100 x 784 times 784 x 512, one thread: sgemm 812 us, tables 380-400 us at any
// density, row sums 344 us at 13 % ones, 820 us at 31 %, 1340 us at 50 %; with 32 rows (50 %
// ones) sgemm 283 us, tables 164 us; with 10 rows sgemm wins.
constexpr std::int64_t kTableRows = 32;
// Below this density row sums beat the tables (see above: equal near 15 %).
constexpr double kTableDensity = 0.15;

// Bytes of 4-bit codes per row of a binary matrix with `cols` columns (table_product).
inline std::int64_t chunks(std::int64_t cols) { return (cols + 3) / 4; }

bool tables_pay(std::int64_t rows) {
  return g_tables.load(std::memory_order_relaxed) && rows >= kTableRows;
}

// The density of ones below which row sums are the cheapest way for `rows` operand rows.
double row_sum_limit(std::int64_t rows) {
  const double threshold = g_sparse_density.load(std::memory_order_relaxed);
  return tables_pay(rows) ? std::min(threshold, kTableDensity) : threshold;
}

// GCC vector types: one 64-byte vector is a zmm register in the AVX-512 clone, two ymm in the
// AVX2 clone and four xmm otherwise. (Plain loops here were reordered into scalar code.) Each
// kernel is multi-versioned by FASTINIT_CLONES (dispatch.hpp).
using Vec16 = float __attribute__((vector_size(64)));

[[gnu::always_inline]] inline Vec16 load(const float* p) {
  Vec16 x;
  std::memcpy(&x, p, sizeof x);
  return x;
}
[[gnu::always_inline]] inline void store(float* p, Vec16 x) { std::memcpy(p, &x, sizeof x); }

// Columns are processed in strips of 64 (four vectors held in registers), then the remaining
// whole vectors (one to three) together, then one by one: unit blocks are 16-aligned, so only a
// layer's last block can have a scalar rest (none in train_epoch's padded visible-major W).
constexpr std::int64_t kStrip = 64;

// One output row's strip is accumulated in registers over the table rows it selects, so the
// output is written once. (Listing the ones per column instead, and adding each table row to
// the outputs that select it, measured no faster: Zen 4 is then bound by the output stores.)
template <int kVecs>
[[gnu::always_inline]] inline void gather_vectors(const float* table, std::int64_t ld,
                                                  const std::int32_t* index, std::int64_t count,
                                                  float* out) {
  Vec16 acc[kVecs] = {};
  for (std::int64_t n = 0; n < count; ++n) {
    const float* row = table + static_cast<std::int64_t>(index[n]) * ld;
    for (int q = 0; q < kVecs; ++q) acc[q] += load(row + 16 * q);
  }
  for (int q = 0; q < kVecs; ++q) store(out + 16 * q, acc[q]);
}

FASTINIT_CLONES void gather_row(const float* table, std::int64_t ld, const std::int32_t* index,
                                std::int64_t count, std::int64_t width, float* out) {
  std::int64_t j = 0;
  for (; j + kStrip <= width; j += kStrip)
    gather_vectors<kStrip / 16>(table + j, ld, index, count, out + j);
  switch ((width - j) / 16) {  // the remaining whole vectors, in one pass over the index
    case 3: gather_vectors<3>(table + j, ld, index, count, out + j); j += 48; break;
    case 2: gather_vectors<2>(table + j, ld, index, count, out + j); j += 32; break;
    case 1: gather_vectors<1>(table + j, ld, index, count, out + j); j += 16; break;
    default: break;
  }
  if (j == width) return;
  std::fill(out + j, out + width, 0.0f);
  for (std::int64_t n = 0; n < count; ++n) {
    const float* row = table + static_cast<std::int64_t>(index[n]) * ld;
    for (std::int64_t c = j; c < width; ++c) out[c] += row[c];
  }
}

// For each column k with ones: the strip of table row k is held in registers while the scaled
// value strips of the rows that select it are added, then written once.
template <int kVecs>
[[gnu::always_inline]] inline void scatter_vectors(const std::int32_t* start,
                                                   const std::int32_t* rows, const float* values,
                                                   std::int64_t ld_values, float alpha,
                                                   std::int64_t cols, float* table,
                                                   std::int64_t ld) {
  for (std::int64_t k = 0; k < cols; ++k) {
    if (start[k] == start[k + 1]) continue;
    float* t = table + k * ld;
    Vec16 acc[kVecs];
    for (int q = 0; q < kVecs; ++q) acc[q] = load(t + 16 * q);
    for (std::int32_t n = start[k]; n < start[k + 1]; ++n) {
      const float* src = values + static_cast<std::int64_t>(rows[n]) * ld_values;
      for (int q = 0; q < kVecs; ++q) acc[q] += alpha * load(src + 16 * q);
    }
    for (int q = 0; q < kVecs; ++q) store(t + 16 * q, acc[q]);
  }
}

FASTINIT_CLONES void scatter_columns(const std::int32_t* start, const std::int32_t* rows,
                                     const float* values, std::int64_t ld_values, float alpha,
                                     std::int64_t cols, std::int64_t width, float* table,
                                     std::int64_t ld) {
  std::int64_t j = 0;
  for (; j + kStrip <= width; j += kStrip)
    scatter_vectors<kStrip / 16>(start, rows, values + j, ld_values, alpha, cols, table + j, ld);
  switch ((width - j) / 16) {  // the remaining whole vectors, in one pass over the columns
    case 3: scatter_vectors<3>(start, rows, values + j, ld_values, alpha, cols, table + j, ld);
            j += 48; break;
    case 2: scatter_vectors<2>(start, rows, values + j, ld_values, alpha, cols, table + j, ld);
            j += 32; break;
    case 1: scatter_vectors<1>(start, rows, values + j, ld_values, alpha, cols, table + j, ld);
            j += 16; break;
    default: break;
  }
  if (j == width) return;
  for (std::int64_t k = 0; k < cols; ++k) {
    float* t = table + k * ld;
    for (std::int32_t n = start[k]; n < start[k + 1]; ++n) {
      const float* src = values + static_cast<std::int64_t>(rows[n]) * ld_values;
      for (std::int64_t c = j; c < width; ++c) t[c] += alpha * src[c];
    }
  }
}

// Tables of subset sums ("method of four Russians"): each chunk of 4 table rows gives 16
// vectors, the sums of every subset of them; a binary row then adds one vector per chunk, the
// one its 4 bits select, instead of one per one. Chunks are processed kGroup at a time so that
// their sums (kGroup x 16 x kStrip floats, 32 KB) stay in L1.
constexpr std::int64_t kGroup = 8;

// out[r, 0:kVecs*16] = (accumulate ? out : 0) + alpha * sum_k x[r, k] table[k * ld + 0 : ...],
// for the rows of a binary x given by codes[r * n_chunks + c] (bit b: x[r, 4c + b] is one);
// table has K rows. Sums run over the chunks in increasing order.
template <int kVecs>
[[gnu::always_inline]] inline void table_vectors(const std::uint8_t* codes, std::int64_t n_chunks,
                                                 std::int64_t rows, std::int64_t K,
                                                 const float* table, std::int64_t ld,
                                                 float alpha, bool accumulate, float* out,
                                                 std::int64_t ld_out, float* sums) {
  for (std::int64_t g0 = 0; g0 < n_chunks; g0 += kGroup) {
    const std::int64_t g1 = std::min(n_chunks, g0 + kGroup);
    for (std::int64_t c = g0; c < g1; ++c) {
      Vec16 row[4][kVecs];
      for (int b = 0; b < 4; ++b) {
        const std::int64_t k = 4 * c + b;
        for (int q = 0; q < kVecs; ++q) row[b][q] = k < K ? load(table + k * ld + 16 * q) : Vec16{};
      }
      float* chunk = sums + (c - g0) * 16 * kStrip;
      for (int q = 0; q < kVecs; ++q) {
        // Subset s adds its highest row to the subset without it, already summed.
        Vec16 sum[16];
        sum[0] = Vec16{};
        for (int s = 1; s < 16; ++s) {
          const int top = 31 - __builtin_clz(static_cast<unsigned>(s));
          sum[s] = sum[s ^ (1 << top)] + row[top][q];
        }
        for (int s = 0; s < 16; ++s) store(chunk + s * kStrip + 16 * q, sum[s]);
      }
    }
    const bool add = accumulate || g0 > 0;
    for (std::int64_t r = 0; r < rows; ++r) {
      const std::uint8_t* code = codes + r * n_chunks;
      Vec16 acc[kVecs] = {};
      for (std::int64_t c = g0; c < g1; ++c) {
        const float* t = sums + ((c - g0) * 16 + code[c]) * kStrip;
        for (int q = 0; q < kVecs; ++q) acc[q] += load(t + 16 * q);
      }
      float* o = out + r * ld_out;
      for (int q = 0; q < kVecs; ++q)
        store(o + 16 * q, add ? load(o + 16 * q) + alpha * acc[q] : alpha * acc[q]);
    }
  }
}

FASTINIT_CLONES void table_product(const std::uint8_t* codes, std::int64_t n_chunks,
                                   std::int64_t rows, std::int64_t K, const float* table,
                                   std::int64_t ld, std::int64_t width, float alpha,
                                   bool accumulate, float* out, std::int64_t ld_out) {
  alignas(64) float sums[kGroup * 16 * kStrip];
  std::int64_t j = 0;
  for (; j + kStrip <= width; j += kStrip)
    table_vectors<kStrip / 16>(codes, n_chunks, rows, K, table + j, ld, alpha, accumulate,
                               out + j, ld_out, sums);
  switch ((width - j) / 16) {  // the remaining whole vectors, in one pass over the codes
    case 3: table_vectors<3>(codes, n_chunks, rows, K, table + j, ld, alpha, accumulate, out + j,
                             ld_out, sums); j += 48; break;
    case 2: table_vectors<2>(codes, n_chunks, rows, K, table + j, ld, alpha, accumulate, out + j,
                             ld_out, sums); j += 32; break;
    case 1: table_vectors<1>(codes, n_chunks, rows, K, table + j, ld, alpha, accumulate, out + j,
                             ld_out, sums); j += 16; break;
    default: break;
  }
  for (; j < width; ++j) {  // a scalar rest (only a layer's last, unpadded block has one)
    for (std::int64_t r = 0; r < rows; ++r) {
      const std::uint8_t* code = codes + r * n_chunks;
      float acc = 0.0f;
      for (std::int64_t c = 0; c < n_chunks; ++c) {
        float sum = 0.0f;
        for (int b = 0; b < 4; ++b)
          if (code[c] >> b & 1) sum += table[(4 * c + b) * ld + j];
        acc += sum;
      }
      float& o = out[r * ld_out + j];
      o = accumulate ? o + alpha * acc : alpha * acc;
    }
  }
}

// Lists the positions of the ones of one row in index (which has room for cols entries) and
// returns how many there are; not_binary is set when an entry is neither 0 nor 1.
// Branch-free: every position is written, and the count advances past it only for a one.
std::int64_t scan_row(const float* row, std::int64_t cols, std::int32_t* index,
                      bool& not_binary) {
  std::int64_t count = 0;
  bool bad = false;
  for (std::int64_t i = 0; i < cols; ++i) {
    index[count] = static_cast<std::int32_t>(i);
    count += row[i] == 1.0f;
    bad |= (row[i] != 0.0f) & (row[i] != 1.0f);
  }
  not_binary = bad;
  return count;
}

#if FASTINIT_HAVE_AVX512_KERNELS
// The same with AVX-512: 16 entries per compare, their ones' positions compressed and stored
// together (10x the scalar scan: it was the largest cost of indexing a mini-batch).
__attribute__((target("avx512f"))) std::int64_t scan_row_avx512(const float* row,
                                                                std::int64_t cols,
                                                                std::int32_t* index,
                                                                bool& not_binary) {
  const __m512 one = _mm512_set1_ps(1.0f), zero = _mm512_setzero_ps();
  const __m512i step = _mm512_set1_epi32(16);
  __m512i position = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  std::int64_t count = 0, i = 0;
  unsigned bad = 0;
  for (; i + 16 <= cols; i += 16) {
    const __m512 x = _mm512_loadu_ps(row + i);
    const __mmask16 ones = _mm512_cmp_ps_mask(x, one, _CMP_EQ_OQ);
    const __mmask16 zeros = _mm512_cmp_ps_mask(x, zero, _CMP_EQ_OQ);
    bad |= static_cast<unsigned>(static_cast<__mmask16>(~(ones | zeros)));
    // count <= i, so the 16 stored entries stay inside the row's cols slots.
    _mm512_storeu_si512(index + count, _mm512_maskz_compress_epi32(ones, position));
    count += __builtin_popcount(static_cast<unsigned>(ones));
    position = _mm512_add_epi32(position, step);
  }
  bool tail_bad = false;
  const std::int64_t tail = scan_row(row + i, cols - i, index + count, tail_bad);
  for (std::int64_t n = count; n < count + tail; ++n) index[n] += static_cast<std::int32_t>(i);
  not_binary = bad != 0 || tail_bad;
  return count + tail;
}
#endif

using ScanRow = std::int64_t (*)(const float*, std::int64_t, std::int32_t*, bool&);
ScanRow pick_scan_row() {
#if FASTINIT_HAVE_AVX512_KERNELS
  if (__builtin_cpu_supports("avx512f")) return scan_row_avx512;
#endif
  return scan_row;
}
const ScanRow g_scan_row = pick_scan_row();

}  // namespace

double sparse_density_threshold() { return g_sparse_density.load(std::memory_order_relaxed); }
void set_sparse_density_threshold(double threshold) {
  g_sparse_density.store(threshold, std::memory_order_relaxed);
}
bool binary_tables() { return g_tables.load(std::memory_order_relaxed); }
void set_binary_tables(bool enabled) { g_tables.store(enabled, std::memory_order_relaxed); }

bool BinaryRows::build(const float* x, std::int64_t rows, std::int64_t cols, int n_threads) {
  return index_rows(rows, cols, n_threads, [&](std::int64_t r, std::int32_t* index, bool& bad) {
    return g_scan_row(x + r * cols, cols, index, bad);
  });
}

bool BinaryRows::build(const DataView& data, const std::int64_t* row_ids, std::int64_t rows,
                       int n_threads) {
  if (!data.is_sparse()) throw std::logic_error("BinaryRows::build: the view is not sparse");
  return index_rows(rows, data.cols, n_threads,
                    [&](std::int64_t r, std::int32_t* index, bool& bad) {
                      return data.sparse_row_ones(row_ids[r], index, bad);
                    });
}

template <class ScanRow>
bool BinaryRows::index_rows(std::int64_t rows, std::int64_t cols, int n_threads, ScanRow&& scan) {
  // Row r's ones are first listed in its own slot row_index_[r * cols ...], so rows index in
  // parallel; the column lists are then filled in row order.
  rows_ = rows;
  cols_ = cols;
  row_tables_ = false;
  row_counts_.resize(static_cast<std::size_t>(rows));
  if (row_index_.size() < static_cast<std::size_t>(rows * cols)) row_index_.resize(rows * cols);
  // With tables in reach every binary matrix pays, so only a non-binary entry stops the scan.
  const double size = static_cast<double>(rows * cols);
  const double limit = tables_pay(rows) ? size + 1 : sparse_density_threshold() * size;
  const std::int64_t n_blocks = threads_for(rows * cols * 32, n_threads);
  // A block stops early once its own ones reach the limit of the whole matrix: the answer is
  // then "dense" whatever the other blocks hold, so it never depends on the thread count.
  std::vector<char> refused(n_blocks, 0);
  parallel_for(n_blocks, n_blocks, [&](std::int64_t b) {
    const Range block = block_range(rows, n_blocks, b, 1);
    std::int64_t block_ones = 0;
    for (std::int64_t r = block.begin; r < block.end; ++r) {
      bool not_binary = false;
      const std::int64_t count = scan(r, row_index_.data() + r * cols, not_binary);
      row_counts_[r] = count;
      block_ones += count;
      if (not_binary || static_cast<double>(block_ones) >= limit) {
        refused[b] = 1;
        return;
      }
    }
  });
  if (std::find(refused.begin(), refused.end(), 1) != refused.end()) return false;
  const std::int64_t ones =
      std::accumulate(row_counts_.begin(), row_counts_.end(), std::int64_t{0});
  if (static_cast<double>(ones) < row_sum_limit(rows) * size) return true;
  if (!tables_pay(rows)) return false;
  row_tables_ = true;
  const std::int64_t n_chunks = chunks(cols_);
  row_codes_.assign(static_cast<std::size_t>(rows_ * n_chunks), 0);
  for (std::int64_t r = 0; r < rows_; ++r) {
    const std::int32_t* index = row_index_.data() + r * cols_;
    for (std::int64_t n = 0; n < row_counts_[r]; ++n)
      row_codes_[r * n_chunks + index[n] / 4] |= static_cast<std::uint8_t>(1u << (index[n] % 4));
  }
  return true;
}

void BinaryRows::gather_sum(const float* table, std::int64_t ld, std::int64_t col0,
                            std::int64_t width, float* out, std::int64_t ld_out) const {
  if (row_tables_) {
    table_product(row_codes_.data(), chunks(cols_), rows_, cols_, table + col0, ld, width, 1.0f,
                  false, out, ld_out);
    return;
  }
  for (std::int64_t r = 0; r < rows_; ++r) {
    gather_row(table + col0, ld, row_index_.data() + r * cols_, row_counts_[r], width,
               out + r * ld_out);
  }
}

void BinaryRows::list_columns(const BinaryRows* then) {
  if (then && then->cols_ != cols_)
    throw std::invalid_argument("list_columns: column counts differ");
  // Every (row, column) pair of a one, in row order, rows of `then` after this matrix's.
  const auto for_each_one = [&](auto&& fn) {
    for (const BinaryRows* m : {static_cast<const BinaryRows*>(this), then}) {
      if (!m) continue;
      const std::int64_t offset = m == this ? 0 : rows_;
      for (std::int64_t r = 0; r < m->rows_; ++r) {
        const std::int32_t* index = m->row_index_.data() + r * cols_;
        for (std::int64_t n = 0; n < m->row_counts_[r]; ++n) fn(offset + r, index[n]);
      }
    }
  };
  // Stacked rows and their ones decide between tables and row updates, as in build.
  stacked_rows_ = rows_ + (then ? then->rows_ : 0);
  std::int64_t ones = 0;
  for (const BinaryRows* m : {static_cast<const BinaryRows*>(this), then})
    if (m) ones = std::accumulate(m->row_counts_.begin(), m->row_counts_.end(), ones);
  column_tables_ = tables_pay(stacked_rows_) &&
                   static_cast<double>(ones) >=
                       row_sum_limit(stacked_rows_) * static_cast<double>(stacked_rows_ * cols_);
  if (column_tables_) {
    const std::int64_t n_chunks = chunks(stacked_rows_);
    column_codes_.assign(static_cast<std::size_t>(cols_ * n_chunks), 0);
    for_each_one([&](std::int64_t r, std::int32_t k) {
      column_codes_[k * n_chunks + r / 4] |= static_cast<std::uint8_t>(1u << (r % 4));
    });
    return;
  }
  // Counting sort of the pairs by column; rows stay in increasing order.
  col_start_.assign(static_cast<std::size_t>(cols_ + 1), 0);
  for_each_one([&](std::int64_t, std::int32_t k) { ++col_start_[k + 1]; });
  std::partial_sum(col_start_.begin(), col_start_.end(), col_start_.begin());
  col_rows_.resize(static_cast<std::size_t>(col_start_.back()));
  std::vector<std::int32_t> fill(col_start_.begin(), col_start_.end() - 1);
  for_each_one([&](std::int64_t r, std::int32_t k) {
    col_rows_[fill[k]++] = static_cast<std::int32_t>(r);
  });
}

void BinaryRows::scatter_add(const float* values, std::int64_t ld_values, std::int64_t col0,
                             std::int64_t width, float alpha, float* table,
                             std::int64_t ld) const {
  if (column_tables_) {
    table_product(column_codes_.data(), chunks(stacked_rows_), cols_, stacked_rows_,
                  values + col0, ld_values, width, alpha, true, table + col0, ld);
    return;
  }
  scatter_columns(col_start_.data(), col_rows_.data(), values + col0, ld_values, alpha, cols_,
                  width, table + col0, ld);
}

}  // namespace fastinit
