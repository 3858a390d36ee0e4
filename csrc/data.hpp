// Read-only views of the caller's data: dense 2-D arrays of any supported dtype and strides, or
// compressed sparse rows. Rows are converted to float32 one mini-batch at a time, so no float
// copy of a whole data set is ever made.
#pragma once

#include <cstdint>

namespace fastinit {

enum class DType { Float32, Float64, UInt8, Bool };

struct ValueRange {
  double low, high;  // over the finite entries and infinities; NaNs are skipped
  bool finite;       // no NaN or infinity
};

// The index of a compressed-sparse-rows matrix (scipy.sparse's CSR in canonical form): row r's
// entries are at positions indptr[r] .. indptr[r + 1] of the values, in strictly increasing
// columns indices[p]; entries not listed are 0. Index arrays are int64 when `wide`, else int32.
struct SparseIndex {
  const void* indptr = nullptr;
  const void* indices = nullptr;
  bool wide = false;
  std::int64_t n_values = 0;  // length of the values and indices arrays
};

struct DataView {
  const char* data = nullptr;  // the entries (dense), or the CSR values
  DType dtype = DType::Float32;
  std::int64_t rows = 0, cols = 0;
  std::int64_t row_stride = 0, col_stride = 0;  // bytes; dense only
  SparseIndex sparse;                            // set (indptr) for CSR data

  bool is_sparse() const { return sparse.indptr != nullptr; }

  // out (n x cols) <- rows index[0..n) (or rows first..first+n when index is null).
  void load_rows(const std::int64_t* index, std::int64_t first, std::int64_t n, float* out) const;

  // The smallest and largest entry and whether all are finite, in one pass on up to n_threads
  // threads. (The input checks need both: NumPy would take three single-threaded passes.)
  ValueRange value_range(int n_threads) const;

  // CSR: throws std::invalid_argument unless the index is in canonical form and in bounds
  // (every later read relies on it).
  void check_sparse_index() const;

  // CSR: the columns of row r's ones into index (room for cols entries), in increasing order;
  // not_binary is set when an entry is neither 0 nor 1. Returns how many ones there are.
  std::int64_t sparse_row_ones(std::int64_t r, std::int32_t* index, bool& not_binary) const;
};

}  // namespace fastinit
