#include "rowops.hpp"

#include "dispatch.hpp"
#include "vmath.hpp"

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

FASTINIT_CLONES void momentum_step(float* w, float* velocity, float decay_step,
                                   const float* penalty, float penalty_scale,
                                   float next_momentum, std::int64_t n) {
  if (penalty) {
#pragma omp simd
    for (std::int64_t j = 0; j < n; ++j) {
      const float v = velocity[j] - (decay_step * w[j] + penalty_scale * penalty[j]);
      w[j] += v;
      velocity[j] = next_momentum * v;
    }
    return;
  }
#pragma omp simd
  for (std::int64_t j = 0; j < n; ++j) {
    const float v = velocity[j] - decay_step * w[j];
    w[j] += v;
    velocity[j] = next_momentum * v;
  }
}

}  // namespace fastinit::rowops
