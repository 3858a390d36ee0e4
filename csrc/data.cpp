#include "data.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "parallel.hpp"

namespace fastinit {
namespace {

template <class T>
T read(const char* p) {
  T value;
  std::memcpy(&value, p, sizeof(T));  // memmaps may be unaligned
  return value;
}

template <class T>
void load_rows_as(const DataView& d, const std::int64_t* index, std::int64_t first, std::int64_t n,
                  float* out) {
  for (std::int64_t r = 0; r < n; ++r) {
    const std::int64_t src = index ? index[r] : first + r;
    const char* row = d.data + src * d.row_stride;
    float* dst = out + r * d.cols;
    // A constant stride compiles to plain loads.
    if (d.col_stride == static_cast<std::int64_t>(sizeof(T))) {
      for (std::int64_t j = 0; j < d.cols; ++j) dst[j] = static_cast<float>(read<T>(row + j * sizeof(T)));
    } else {
      for (std::int64_t j = 0; j < d.cols; ++j) dst[j] = static_cast<float>(read<T>(row + j * d.col_stride));
    }
  }
}

// Position p of a CSR index array.
inline std::int64_t index_at(const void* array, bool wide, std::int64_t p) {
  return wide ? static_cast<const std::int64_t*>(array)[p]
              : static_cast<const std::int32_t*>(array)[p];
}

template <class T>
void load_sparse_rows_as(const DataView& d, const std::int64_t* index, std::int64_t first,
                         std::int64_t n, float* out) {
  const SparseIndex& s = d.sparse;
  std::fill(out, out + n * d.cols, 0.0f);
  for (std::int64_t r = 0; r < n; ++r) {
    const std::int64_t src = index ? index[r] : first + r;
    float* dst = out + r * d.cols;
    const std::int64_t end = index_at(s.indptr, s.wide, src + 1);
    for (std::int64_t p = index_at(s.indptr, s.wide, src); p < end; ++p)
      dst[index_at(s.indices, s.wide, p)] = static_cast<float>(read<T>(d.data + p * sizeof(T)));
  }
}

// lo, hi: running extremes; nonfinite: a running sum of x - x, which is 0 while every x is
// finite and NaN from the first NaN or infinity on (a same-width accumulator vectorizes, where
// an integer flag for doubles did not).
template <class T>
[[gnu::always_inline]] inline void range_of_line(const char* line, std::int64_t n,
                                                 std::int64_t stride, T& lo, T& hi, T& nonfinite) {
#pragma omp simd reduction(min : lo) reduction(max : hi) reduction(+ : nonfinite)
  for (std::int64_t j = 0; j < n; ++j) {
    const T x = read<T>(line + j * stride);
    lo = x < lo ? x : lo;
    hi = x > hi ? x : hi;
    nonfinite += x - x;
  }
}

template <class T>
struct RangeOf {
  using Limits = std::numeric_limits<T>;
  T lo = Limits::has_infinity ? Limits::infinity() : Limits::max();
  T hi = Limits::has_infinity ? -Limits::infinity() : Limits::lowest();
  T nonfinite = 0;

  void add(const char* line, std::int64_t n, std::int64_t stride) {
    if (stride == static_cast<std::int64_t>(sizeof(T)))  // a constant stride vectorizes
      range_of_line(line, n, sizeof(T), lo, hi, nonfinite);
    else
      range_of_line(line, n, stride, lo, hi, nonfinite);
  }
  ValueRange result() const {
    return {static_cast<double>(lo), static_cast<double>(hi), nonfinite == 0};
  }
};

// Rows first..end of a dense view. The range does not depend on the order of the entries: walk
// the contiguous axis innermost, as lines of rows (by rows) or of their columns (by columns,
// e.g. Fortran order).
template <class T>
ValueRange dense_range_as(const DataView& d, std::int64_t first, std::int64_t end) {
  const bool by_rows = std::abs(d.col_stride) <= std::abs(d.row_stride);
  const std::int64_t n_lines = by_rows ? end - first : d.cols;
  const std::int64_t line_stride = by_rows ? d.row_stride : d.col_stride;
  const std::int64_t n = by_rows ? d.cols : end - first;
  const std::int64_t stride = by_rows ? d.col_stride : d.row_stride;
  const char* start = d.data + first * d.row_stride;
  RangeOf<T> range;
  for (std::int64_t i = 0; i < n_lines; ++i) range.add(start + i * line_stride, n, stride);
  return range.result();
}

// Values first..end of a CSR view (the implicit zeros are added by the caller).
template <class T>
ValueRange sparse_range_as(const DataView& d, std::int64_t first, std::int64_t end) {
  RangeOf<T> range;
  range.add(d.data + first * sizeof(T), end - first, sizeof(T));
  return range.result();
}

template <template <class> class Fn, class... Args>
auto by_dtype(DType dtype, Args&&... args) {
  switch (dtype) {
    case DType::Float64: return Fn<double>{}(args...);
    case DType::UInt8:
    case DType::Bool: return Fn<std::uint8_t>{}(args...);
    case DType::Float32: break;
  }
  return Fn<float>{}(args...);
}

template <class T>
struct LoadRows {
  void operator()(const DataView& d, const std::int64_t* index, std::int64_t first,
                  std::int64_t n, float* out) const {
    if (d.is_sparse()) load_sparse_rows_as<T>(d, index, first, n, out);
    else load_rows_as<T>(d, index, first, n, out);
  }
};

template <class T>
struct RangeOfBlock {
  ValueRange operator()(const DataView& d, std::int64_t first, std::int64_t end) const {
    return d.is_sparse() ? sparse_range_as<T>(d, first, end) : dense_range_as<T>(d, first, end);
  }
};

template <class T>
struct ValueAt {
  float operator()(const DataView& d, std::int64_t p) const {
    return static_cast<float>(read<T>(d.data + p * sizeof(T)));
  }
};

}  // namespace

void DataView::load_rows(const std::int64_t* index, std::int64_t first, std::int64_t n,
                         float* out) const {
  by_dtype<LoadRows>(dtype, *this, index, first, n, out);
}

ValueRange DataView::value_range(int n_threads) const {
  // Blocks of rows (dense) or of stored values (CSR).
  const std::int64_t items = is_sparse() ? index_at(sparse.indptr, sparse.wide, rows) : rows;
  const std::int64_t n_blocks = threads_for(is_sparse() ? items : rows * cols, n_threads);
  std::vector<ValueRange> block(n_blocks);
  parallel_for(n_blocks, n_blocks, [&](std::int64_t b) {
    const Range r = block_range(items, n_blocks, b, 1);
    block[b] = by_dtype<RangeOfBlock>(dtype, *this, r.begin, r.end);
  });
  ValueRange all = block[0];
  if (is_sparse() && items < rows * cols) {  // some entries are implicit zeros
    all.low = std::min(all.low, 0.0);
    all.high = std::max(all.high, 0.0);
  }
  for (const ValueRange& x : block) {
    all.low = std::min(all.low, x.low);
    all.high = std::max(all.high, x.high);
    all.finite = all.finite && x.finite;
  }
  return all;
}

void DataView::check_sparse_index() const {
  const SparseIndex& s = sparse;
  const auto fail = [](const std::string& what) {
    throw std::invalid_argument("the CSR matrix's index is not in canonical form: " + what);
  };
  if (index_at(s.indptr, s.wide, 0) != 0) fail("indptr[0] != 0");
  for (std::int64_t r = 0; r < rows; ++r) {
    const std::int64_t begin = index_at(s.indptr, s.wide, r);
    const std::int64_t end = index_at(s.indptr, s.wide, r + 1);
    if (end < begin || end > s.n_values) fail("indptr is not non-decreasing within the values");
    std::int64_t previous = -1;
    for (std::int64_t p = begin; p < end; ++p) {
      const std::int64_t column = index_at(s.indices, s.wide, p);
      if (column <= previous || column >= cols)
        fail("row " + std::to_string(r) + "'s column indices are not increasing within [0, " +
             std::to_string(cols) + ")");
      previous = column;
    }
  }
}

std::int64_t DataView::sparse_row_ones(std::int64_t r, std::int32_t* index,
                                       bool& not_binary) const {
  const std::int64_t end = index_at(sparse.indptr, sparse.wide, r + 1);
  std::int64_t count = 0;
  bool bad = false;
  for (std::int64_t p = index_at(sparse.indptr, sparse.wide, r); p < end; ++p) {
    // As the dense path judges a row: by its entries converted to float32.
    const float x = by_dtype<ValueAt>(dtype, *this, p);
    if (x == 1.0f) index[count++] = static_cast<std::int32_t>(index_at(sparse.indices, sparse.wide, p));
    else bad |= x != 0.0f;
  }
  not_binary = bad;
  return count;
}

}  // namespace fastinit
