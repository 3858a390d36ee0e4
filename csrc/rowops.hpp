// Element-wise row kernels of the Gibbs half-steps and the weight update.
//
// Each is compiled for AVX-512, AVX2 and the baseline, and the loader picks the best clone at run
// time: portable wheels (no -march=native) that still use the machine's full vector width for the
// epilogues that follow every product.
#pragma once

#include <cstdint>

namespace fastinit::rowops {

// p <- sigmoid(p + bias); returns sum_j softplus(p_j + bias_j) (the free-energy term) when asked.
float sigmoid_bias(float* p, const float* bias, std::int64_t n, bool with_softplus);

// x <- x + bias.
void add_bias(float* x, const float* bias, std::int64_t n);

// out <- (u < p) as 0/1 floats: a Bernoulli(p) sample from uniforms u.
void bernoulli(const float* u, const float* p, float* out, std::int64_t n);

// x <- x + noise.
void add(float* x, const float* noise, std::int64_t n);

// x <- s x.
void scale(float* x, float s, std::int64_t n);

// sum_j (x_j - y_j)^2.
float squared_distance(const float* x, const float* y, std::int64_t n);

// velocity <- velocity - decay_step w - penalty_scale penalty; w <- w + velocity; then
// velocity <- next_momentum velocity, the next step's decay of it, taken here while the row is
// loaded (pass 1 to leave it). penalty may be null (no sparsity target).
void momentum_step(float* w, float* velocity, float decay_step, const float* penalty,
                   float penalty_scale, float next_momentum, std::int64_t n);

}  // namespace fastinit::rowops
