#include "rowops.hpp"

#include "vmath.hpp"

#define FASTINIT_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))

namespace fastinit::rowops {

FASTINIT_CLONES float sigmoid_bias(float* p, const float* bias, std::int64_t n,
                                   bool with_softplus) {
  float sum = 0.0f;
  if (with_softplus) {
#pragma omp simd reduction(+ : sum)
    for (std::int64_t j = 0; j < n; ++j) sum += softplus(p[j] + bias[j]);
  }
#pragma omp simd
  for (std::int64_t j = 0; j < n; ++j) p[j] = sigmoid(p[j] + bias[j]);
  return sum;
}

FASTINIT_CLONES void add_bias(float* x, const float* bias, std::int64_t n) {
#pragma omp simd
  for (std::int64_t j = 0; j < n; ++j) x[j] += bias[j];
}

FASTINIT_CLONES void bernoulli(const float* u, const float* p, float* out, std::int64_t n) {
#pragma omp simd
  for (std::int64_t j = 0; j < n; ++j) out[j] = u[j] < p[j] ? 1.0f : 0.0f;
}

FASTINIT_CLONES void add(float* x, const float* noise, std::int64_t n) {
#pragma omp simd
  for (std::int64_t j = 0; j < n; ++j) x[j] += noise[j];
}

FASTINIT_CLONES void scale(float* x, float s, std::int64_t n) {
#pragma omp simd
  for (std::int64_t j = 0; j < n; ++j) x[j] *= s;
}

FASTINIT_CLONES float squared_distance(const float* x, const float* y, std::int64_t n) {
  float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
  for (std::int64_t j = 0; j < n; ++j) sum += (x[j] - y[j]) * (x[j] - y[j]);
  return sum;
}

FASTINIT_CLONES void momentum_step(float* w, float* velocity, const float* mean_v0,
                                   float decay_step, float penalty_step, std::int64_t n) {
#pragma omp simd
  for (std::int64_t i = 0; i < n; ++i) {
    velocity[i] -= decay_step * w[i] + penalty_step * mean_v0[i];
    w[i] += velocity[i];
  }
}

}  // namespace fastinit::rowops
