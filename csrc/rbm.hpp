// Restricted Boltzmann machine engine: contrastive divergence (CD-k, persistent CD), Gibbs
// sampling, free energy and pseudo-likelihood on float32 parameters owned by the caller.
//
// Conventions (DESIGN.md §4): W is (n_hidden x n_visible) row-major, visible bias a, hidden
// bias c; E(v, h) = -v.a - h.c - h.W v for Bernoulli visible units and
// E(v, h) = |v - a|^2 / 2 - h.c - h.W v for unit-variance Gaussian visible units.
#pragma once

#include <cstdint>
#include <exception>
#include <functional>
#include <vector>

#include "data.hpp"

namespace fastinit {

// Thrown on the calling thread (never inside a parallel region) when `should_stop` returned true;
// the bindings turn it into the pending KeyboardInterrupt.
struct Interrupted : std::exception {
  const char* what() const noexcept override { return "interrupted"; }
};

enum class VisibleType { Bernoulli, Gaussian };
// Views of the parameters, updated in place.
struct Model {
  // n_hidden x n_visible row-major (the API's layout), or n_visible x n_hidden when
  // visible_major: train_epoch's working copy, in which a binary visible row selects whole rows,
  // stored with rows w_ld >= n_hidden floats apart.
  float* W = nullptr;
  bool visible_major = false;
  std::int64_t w_ld = 0;  // visible-major only
  float* a = nullptr;  // n_visible
  float* c = nullptr;  // n_hidden
  std::int64_t n_visible = 0, n_hidden = 0;
  VisibleType visible = VisibleType::Bernoulli;
};

struct TrainConfig {
  int k = 1;
  bool persistent = false;
  float learning_rate = 0.1f;
  float momentum = 0.5f;
  float weight_decay = 0.0f;
  bool use_sparsity = false;
  float sparsity_target = 0.0f, sparsity_cost = 0.0f, sparsity_decay = 0.9f;
  bool sample_visible = false;
  std::int64_t batch_size = 100;
  bool shuffle = true;
  int n_threads = 1;
};

// State that persists across epochs and partial_fit calls (views of NumPy arrays).
struct TrainState {
  float* velocity_W = nullptr;  // n_hidden x n_visible
  float* velocity_a = nullptr;  // n_visible
  float* velocity_c = nullptr;  // n_hidden
  float* chain_hidden = nullptr;  // n_chains x n_hidden: PCD fantasy particles' hidden states
  std::int64_t n_chains = 0;
  float* hidden_mean = nullptr;  // n_hidden: running mean activation for the sparsity target
  std::uint64_t key = 0;
  std::uint64_t step = 0;  // mini-batch updates done so far; advanced by train_epoch
};

struct EpochStats {
  double reconstruction_error = 0.0;  // mean squared error per visible unit (PCD: every 10th batch)
  double free_energy = 0.0;           // mean free energy of the rows of every 10th mini-batch
  std::int64_t n_batches = 0;         // mini-batches completed
  bool interrupted = false;
  int team_size = 1;  // threads of the team that served the pass (some loops may run alone)
  // Per hidden unit, the mean of P(h = 1 | v) over the pass's data rows (as the positive phases
  // computed it, the parameters moving along): dead or saturated units show here for free.
  std::vector<double> hidden_activation;
};

// Random-number phases inside one training step (stream = kTrain, (step << 16) | phase):
//   0        hidden sample of the data's positive phase
//   2t - 1   visible sample at Gibbs step t = 1..k (uniforms, or normals for Gaussian units)
//   2t       hidden sample at Gibbs step t
// A NumPy reference can reproduce every update from these streams (see tests/test_rbm.py).
std::uint64_t train_stream(std::uint64_t step, std::uint64_t phase);

// The order in which train_epoch visits the rows of an n-row data set in `epoch`.
std::vector<std::int64_t> epoch_order(std::int64_t n, bool shuffle, std::uint64_t key,
                                      std::uint64_t epoch);

// One pass over X in mini-batches. `should_stop` is polled between mini-batches; when it
// returns true the pass ends after the last completed update, which leaves a valid model.
EpochStats train_epoch(const Model& model, TrainState& state, const TrainConfig& config,
                       const DataView& data, std::uint64_t epoch,
                       const std::function<bool()>& should_stop);

// P(h = 1 | v) for every row of X: out is rows x n_hidden.
void hidden_probabilities(const Model& model, const DataView& data, float* out, int n_threads);

// E[v | h] for every row of `hidden` (rows x n_hidden float32): out is rows x n_visible.
void visible_means(const Model& model, const float* hidden, std::int64_t rows, float* out,
                   int n_threads);

// Free energy F(v) of every row of X, accumulated in float64.
void free_energy(const Model& model, const DataView& data, double* out, int n_threads);

// Exact pseudo-log-likelihood sum_i log p(v_i | v_-i) of every row (Bernoulli visible units).
void pseudo_likelihood(const Model& model, const DataView& data, double* out, int n_threads);

// n_steps full Gibbs sweeps v -> h -> v in place on `visible` (rows x n_visible float32).
// Visible states are samples; `call` separates the random streams of independent calls.
// `should_stop` is polled on the calling thread between rounds of about 2^27 multiply-adds per
// thread (at least one sweep of one chunk of rows); when it returns true,
// Interrupted is thrown and `visible` holds states of different steps (the caller discards it).
void gibbs(const Model& model, float* visible, std::int64_t rows, std::int64_t n_steps,
           std::uint64_t key, std::uint64_t call, int n_threads,
           const std::function<bool()>& should_stop);

}  // namespace fastinit
