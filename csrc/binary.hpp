// Products with binary (0/1) operands as sums of selected rows.
//
// Visible data and sampled states are 0/1, so x T for a binary row x is the sum of the rows of
// the table T that x selects: with MNIST-like data only 13-20% of the visible units are on,
// which makes the sum several times cheaper than the dense product. Used automatically when a
// batch is binary and sparse enough (sparse_density_threshold); results equal the dense product
// up to float rounding (a different summation order).
#pragma once

#include <cstdint>
#include <vector>

#include "data.hpp"

namespace fastinit {

// Density of ones below which the row sum replaces sgemm (the crossover measured by
// bench/bench_rbm.py). Adjustable so that tests and benchmarks can force either path.
double sparse_density_threshold();
void set_sparse_density_threshold(double threshold);

// Whether products with 32 or more binary rows may use tables of subset sums: 4 table rows
// give 16 sums, and a binary row adds the one its 4 bits select, at any density. On (the
// default), they replace sgemm for every such binary operand and row sums from 15 % ones up.
// Off, row sums and sgemm split at sparse_density_threshold() alone (tests force paths so).
bool binary_tables();
void set_binary_tables(bool enabled);

// The positions of the ones of a rows x cols matrix of zeros and ones, listed per row (for the
// row sums, gather_sum) and, after list_columns, per column (for the row updates, scatter_add,
// which then read and write each selected table row once per call).
class BinaryRows {
 public:
  // Index the ones of x on up to n_threads threads. True when every entry is 0 or 1 and row
  // sums (few ones) or tables (binary_tables()) beat sgemm, i.e. when gather_sum pays.
  bool build(const float* x, std::int64_t rows, std::int64_t cols, int n_threads);
  // The same for rows row_ids[0..rows) of a CSR view, read from its index (no scan).
  bool build(const DataView& data, const std::int64_t* row_ids, std::int64_t rows, int n_threads);

  // out[r, 0:width] = sum over the ones k of row r of table[k * ld + col0 : + width]: summed in
  // increasing k, or through tables of subset sums.
  void gather_sum(const float* table, std::int64_t ld, std::int64_t col0, std::int64_t width,
                  float* out, std::int64_t ld_out) const;

  // List the ones per column, of this matrix x or of the stacked [x; y] when `then` (y) is
  // given: the index scatter_add reads (or, when tables pay, the codes of its transpose). Call
  // after build (and after then->build).
  void list_columns(const BinaryRows* then = nullptr);

  // The transpose: table[k * ld + col0 : + width] += alpha * values[r * ld_values + col0 : + width]
  // for every one k of every row r of the listed matrix (in increasing r), i.e.
  // table += alpha * x^T values on that column range, each table row read and written once
  // (or alpha times its sum through tables of subset sums of the value rows).
  void scatter_add(const float* values, std::int64_t ld_values, std::int64_t col0,
                   std::int64_t width, float alpha, float* table, std::int64_t ld) const;

 private:
  // build's work: scan(r, index, not_binary) lists row r's ones and returns their count.
  template <class ScanRow>
  bool index_rows(std::int64_t rows, std::int64_t cols, int n_threads, ScanRow&& scan);

  std::int64_t rows_ = 0, cols_ = 0;
  std::vector<std::int64_t> row_counts_;  // ones per row
  std::vector<std::int32_t> row_index_;   // row r's ones at [r * cols_, r * cols_ + row_counts_[r])
  // When gather_sum uses tables: row r's ones as 4-bit codes, (cols_ + 3) / 4 bytes per row.
  bool row_tables_ = false;
  std::vector<std::uint8_t> row_codes_;
  // When scatter_add uses tables: the stacked matrix's columns as codes of 4 stacked rows.
  bool column_tables_ = false;
  std::int64_t stacked_rows_ = 0;
  std::vector<std::uint8_t> column_codes_;
  // From list_columns: column k's rows at col_rows_[col_start_[k] ... col_start_[k + 1]).
  std::vector<std::int32_t> col_start_;
  std::vector<std::int32_t> col_rows_;
};

}  // namespace fastinit
