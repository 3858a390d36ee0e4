// The partition function Z of an RBM: exact enumeration for small models and annealed importance
// sampling (AIS, Salakhutdinov & Murray 2008) for any size. All log-probabilities, partition
// functions and importance weights are accumulated in float64.
//
// Conventions as in rbm.hpp: W is (n_hidden x n_visible) row-major, visible bias a, hidden bias c;
// E(v, h) = -v.a - h.c - h.W v (Bernoulli visible units) or |v - a|^2 / 2 - h.c - h.W v
// (unit-variance Gaussian visible units, Z then includes the (2 pi)^(V/2) of the Gaussian integral).
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "rbm.hpp"

namespace fastinit {

// Exact enumeration sums over at most 2^30 states of one layer.
constexpr int kMaxExactUnits = 30;

// Which layer exact_log_partition enumerates: the hidden layer for Gaussian visible units (the
// only finite choice), otherwise the smaller layer (the hidden one on a tie).
bool exact_sums_hidden(const Model& model);

// log Z by enumerating all 2^n states of the summed layer (n <= kMaxExactUnits, else
// std::invalid_argument) with the other layer summed analytically:
//   Bernoulli, over h:  log Z = logsumexp_h [h.c + sum_i softplus(a_i + (W^T h)_i)]
//   Bernoulli, over v:  log Z = logsumexp_v [v.a + sum_j softplus(c_j + W_j.v)]
//   Gaussian, over h:   log Z = logsumexp_h [h.c + a.(W^T h) + |W^T h|^2 / 2] + (V / 2) log(2 pi)
// States are visited in Gray-code order within fixed blocks of 2^b states, so each state costs
// one float64 row update plus the element-wise terms; blocks run in parallel and their partial
// log-sum-exps are combined in block order (the result does not depend on n_threads).
// Softplus is split into max(x, 0) (float64) + log1p(exp(-|x|)) (float32, absolute error < 1e-7).
double exact_log_partition(const Model& model, int n_threads,
                           const std::function<bool()>& should_stop);

struct AisResult {
  std::vector<double> log_weights;  // per chain: log w_r, so that Z ~ Z_base * mean(w)
  double log_z_base = 0.0;          // log Z of the base-rate model (analytic)
};

// Annealed importance sampling from the base-rate model (W = 0, c = 0, visible bias
// `base_visible_bias`) to the model, through the distributions
//   log p*_beta(v) = -(1 - beta) E_base(v) - beta E_vis(v) + sum_j softplus(beta (c_j + W_j.v))
// with E_vis(v) = -v.a (Bernoulli) or |v - a|^2 / 2 (Gaussian) and E_base the same with a_base;
// the hidden units are summed out, so beta = 0 is the base model times 2^H.
// `betas` (length K + 1 >= 2) must rise from 0 to 1; it is rounded to float32 once, and AIS is
// then exact for the rounded schedule. Step k = 1..K adds log p*_k(v) - log p*_{k-1}(v) to the
// chain's log weight and, for k < K, applies one Gibbs sweep v -> h -> v at beta_k.
//
// The weight increment uses softplus(b x) = b max(x, 0) + log1p(e^{-b|x|}): the difference of
// two nearby softplus values becomes (b1 - b0) max(x, 0) - log1p((e0 - e1) / (1 + e1)), free of
// cancellation, so float32 element-wise terms (absolute error ~1e-7 per unit and step) add up
// to float64 log weights without drift.
//
// Random numbers (rng.hpp): stream make(kAis, (call << 24) | k), counter row 2 r (hidden units)
// and 2 r + 1 (visible units) for chain r; k = 0 is the exact sample from the base model. Chains
// are cut into blocks whose number depends only on n_chains; each block advances independently
// with single-threaded sgemm (two products of block x V x H per step), so the weights are
// bit-identical for any n_threads. The element-wise kernels are multi-versioned (AVX-512, AVX2,
// baseline) and chosen at load time; the instruction set can change the last bits of a result,
// the thread count never does.
// `should_stop` is polled on the calling thread every 256 steps (Interrupted is thrown).
AisResult ais_log_partition(const Model& model, const float* base_visible_bias,
                            std::int64_t n_chains, const std::vector<double>& betas,
                            std::uint64_t key, std::uint64_t call, int n_threads,
                            const std::function<bool()>& should_stop);

}  // namespace fastinit
