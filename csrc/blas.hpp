// The one place that calls BLAS. Row-major single-precision products on raw pointers.
//
// OpenBLAS keeps its own pthread pool; inside our OpenMP regions both pools would fight for the
// two cores (a 256x784x512 sgemm took 31-50 ms that way against ~3 ms single-threaded), so the
// library is pinned to one thread and all parallelism is ours.
#pragma once

#include <cblas.h>

#include <cstdint>
#include <string>

namespace fastinit::blas {

enum class Op { N, T };

// C (m x n) = alpha * op(A) (m x k) * op(B) (k x n) + beta * C, all row-major.
inline void sgemm(Op op_a, Op op_b, std::int64_t m, std::int64_t n, std::int64_t k, float alpha,
                  const float* a, std::int64_t lda, const float* b, std::int64_t ldb, float beta,
                  float* c, std::int64_t ldc) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    // BLAS would only scale C by beta; do it here so callers need no special case.
    for (std::int64_t i = 0; i < m; ++i)
      for (std::int64_t j = 0; j < n; ++j) c[i * ldc + j] = beta == 0.0f ? 0.0f : beta * c[i * ldc + j];
    return;
  }
  scipy_cblas_sgemm(CblasRowMajor, op_a == Op::N ? CblasNoTrans : CblasTrans,
                    op_b == Op::N ? CblasNoTrans : CblasTrans, static_cast<blasint>(m),
                    static_cast<blasint>(n), static_cast<blasint>(k), alpha, a,
                    static_cast<blasint>(lda), b, static_cast<blasint>(ldb), beta, c,
                    static_cast<blasint>(ldc));
}

inline void pin_single_thread() { scipy_openblas_set_num_threads(1); }

inline int num_threads() { return scipy_openblas_get_num_threads(); }

inline std::string config() {
  const char* cfg = scipy_openblas_get_config();
  return cfg ? std::string(cfg) : std::string("unknown");
}

}  // namespace fastinit::blas
