#include "ais.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "binary.hpp"
#include "blas.hpp"
#include "dispatch.hpp"
#include "parallel.hpp"
#include "rng.hpp"
#include "vmath.hpp"

namespace fastinit {
namespace {

using blas::Op;

constexpr double kLog2 = 0.69314718055994530942;
constexpr double kLog2Pi = 1.83787706640934548356;

// Exact enumeration: blocks of 2^b states per parallel task, tasks submitted in rounds between
// which Ctrl-C is polled.
constexpr std::int64_t kExactMinBlockBits = 10;
constexpr std::int64_t kExactMaxBlocksBits = 20;
constexpr std::int64_t kExactRound = 256;
// AIS: annealing steps between polls of Ctrl-C, and the target number of chains per block.
constexpr std::int64_t kAisSegment = 256;
constexpr std::int64_t kAisBlockRows = 64;


double softplus_f64(double x) {
  return x > 0.0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
}

// CounterRng(key, stream).uniform_row(row, 0, n, out), bit for bit, with the Philox blocks of a
// row computed side by side so that the rounds vectorize. `out` must hold n rounded up to 4.
FASTINIT_CLONES
void philox_uniform_row(std::uint64_t key, std::uint64_t stream, std::uint64_t row,
                        std::int64_t n, float* out) {
  constexpr std::uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;
  constexpr std::uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;
  const auto key0 = static_cast<std::uint32_t>(key), key1 = static_cast<std::uint32_t>(key >> 32);
  const auto s0 = static_cast<std::uint32_t>(stream), s1 = static_cast<std::uint32_t>(stream >> 32);
  const auto r = static_cast<std::uint32_t>(row);
  const std::int64_t n_blocks = (n + 3) / 4;
#pragma omp simd
  for (std::int64_t b = 0; b < n_blocks; ++b) {
    std::uint32_t c0 = static_cast<std::uint32_t>(b), c1 = r, c2 = s0, c3 = s1;
    std::uint32_t k0 = key0, k1 = key1;
    for (int round = 0; round < 10; ++round) {
      if (round > 0) {
        k0 += kW0;
        k1 += kW1;
      }
      const std::uint64_t p0 = static_cast<std::uint64_t>(kM0) * c0;
      const std::uint64_t p1 = static_cast<std::uint64_t>(kM1) * c2;
      const auto hi0 = static_cast<std::uint32_t>(p0 >> 32), lo0 = static_cast<std::uint32_t>(p0);
      const auto hi1 = static_cast<std::uint32_t>(p1 >> 32), lo1 = static_cast<std::uint32_t>(p1);
      c0 = hi1 ^ c1 ^ k0;
      c1 = lo1;
      c2 = hi0 ^ c3 ^ k1;
      c3 = lo0;
    }
    constexpr float kScale = 1.0f / 16777216.0f;  // uint_to_unit_float
    out[4 * b + 0] = static_cast<float>(static_cast<std::int32_t>(c0 >> 8)) * kScale;
    out[4 * b + 1] = static_cast<float>(static_cast<std::int32_t>(c1 >> 8)) * kScale;
    out[4 * b + 2] = static_cast<float>(static_cast<std::int32_t>(c2 >> 8)) * kScale;
    out[4 * b + 3] = static_cast<float>(static_cast<std::int32_t>(c3 >> 8)) * kScale;
  }
}

// One chain's hidden layer at step k: returns log p*_k(v) - log p*_{k-1}(v) minus the visible
// part, and leaves sigmoid(b1 x) in p. softplus(b x) = b max(x, 0) + log1p(e^{-b|x|}), so
//   sum_j [softplus(b1 x_j) - softplus(b0 x_j)]
//     = (b1 - b0) sum_j max(x_j, 0) - sum_j log1p((e0_j - e1_j) / (1 + e1_j))
// with e = exp(-b |x|) <= 1 and e1 <= e0: no cancellation between two large softplus values.
FASTINIT_CLONES
double hidden_terms(const float* x, std::int64_t H, float b0, float b1, double step, float* p) {
  double relu = 0.0;
  float log_terms = 0.0f;
#pragma omp simd reduction(+ : relu, log_terms)
  for (std::int64_t j = 0; j < H; ++j) {
    const float xj = x[j];
    const float magnitude = xj < 0.0f ? -xj : xj;
    const float e1 = exp_approx(-b1 * magnitude), e0 = exp_approx(-b0 * magnitude);
    const float inv = 1.0f / (1.0f + e1);
    relu += xj > 0.0f ? xj : 0.0f;
    log_terms += log1p_unit((e0 - e1) * inv);
    p[j] = (xj >= 0.0f ? 1.0f : e1) * inv;  // sigmoid(b1 x)
  }
  return step * relu - static_cast<double>(log_terms);
}

FASTINIT_CLONES
double dot_f64(const float* v, const double* w, std::int64_t n) {
  double sum = 0.0;
#pragma omp simd reduction(+ : sum)
  for (std::int64_t i = 0; i < n; ++i) sum += v[i] * w[i];
  return sum;
}

FASTINIT_CLONES
void bernoulli_draw(const float* u, const float* p, std::int64_t n, float* out) {
#pragma omp simd
  for (std::int64_t i = 0; i < n; ++i) out[i] = u[i] < p[i] ? 1.0f : 0.0f;
}

// v = [u < sigmoid(bias + b1 y)] (Bernoulli) or bias + b1 y + noise (Gaussian).
FASTINIT_CLONES
void visible_draw(const float* bias, const float* y, float b1, const float* noise, std::int64_t n,
                  bool gaussian, float* v) {
  if (gaussian) {
#pragma omp simd
    for (std::int64_t i = 0; i < n; ++i) v[i] = bias[i] + b1 * y[i] + noise[i];
  } else {
#pragma omp simd
    for (std::int64_t i = 0; i < n; ++i) v[i] = noise[i] < sigmoid(bias[i] + b1 * y[i]) ? 1.0f : 0.0f;
  }
}

// A running log-sum-exp in float64.
struct LogSumExp {
  double max = -std::numeric_limits<double>::infinity();
  double sum = 0.0;

  void add(double x) {
    if (x <= max) {
      sum += std::exp(x - max);
    } else {
      sum = sum * std::exp(max - x) + 1.0;
      max = x;
    }
  }
  void merge(const LogSumExp& other) {
    if (other.sum == 0.0) return;
    if (other.max <= max) {
      sum += other.sum * std::exp(other.max - max);
    } else {
      sum = sum * std::exp(max - other.max) + other.sum;
      max = other.max;
    }
  }
  double value() const { return max + std::log(sum); }
};

// x += sign * row, then the analytic sum over the other layer: sum_k softplus(x_k) (Bernoulli)
// or sum_k x_k^2 / 2 (Gaussian), in float64 except for log1p(exp(-|x|)) <= log 2.
FASTINIT_CLONES
double update_and_sum(double* x, const double* row, double sign, std::int64_t width,
                      bool gaussian) {
  double sum = 0.0;
  if (gaussian) {
#pragma omp simd reduction(+ : sum)
    for (std::int64_t k = 0; k < width; ++k) {
      const double value = x[k] + sign * row[k];
      x[k] = value;
      sum += 0.5 * value * value;
    }
  } else {
#pragma omp simd reduction(+ : sum)
    for (std::int64_t k = 0; k < width; ++k) {
      const double value = x[k] + sign * row[k];
      x[k] = value;
      const float magnitude = static_cast<float>(value < 0.0 ? -value : value);
      sum += (value > 0.0 ? value : 0.0) +
             static_cast<double>(log1p_unit(exp_approx(-magnitude)));
    }
  }
  return sum;
}

void check_finite(const float* p, std::int64_t n, const char* name) {
  for (std::int64_t i = 0; i < n; ++i) {
    if (!std::isfinite(p[i])) throw std::invalid_argument(std::string(name) + " must be finite");
  }
}

void check_model(const Model& m) {
  check_finite(m.W, m.n_hidden * m.n_visible, "the weights");
  check_finite(m.a, m.n_visible, "the visible biases");
  check_finite(m.c, m.n_hidden, "the hidden biases");
}

}  // namespace

bool exact_sums_hidden(const Model& m) {
  return m.visible == VisibleType::Gaussian || m.n_hidden <= m.n_visible;
}

double exact_log_partition(const Model& m, int n_threads,
                           const std::function<bool()>& should_stop) {
  const std::int64_t V = m.n_visible, H = m.n_hidden;
  const bool over_hidden = exact_sums_hidden(m);
  const bool gaussian = m.visible == VisibleType::Gaussian;
  const std::int64_t n = over_hidden ? H : V;
  const std::int64_t width = over_hidden ? V : H;
  if (n > kMaxExactUnits) {
    std::string message = "the exact partition function sums over all states of ";
    message += gaussian ? "the hidden layer (the only finite sum for Gaussian visible units)"
                        : "the smaller layer";
    message += ", which is limited to " + std::to_string(kMaxExactUnits) + " units; this model has " +
               std::to_string(V) + " visible and " + std::to_string(H) +
               " hidden units. Use method='ais'.";
    throw std::invalid_argument(message);
  }
  check_model(m);

  // Row t of `rows`: how flipping unit t of the summed layer moves the other layer's input.
  std::vector<double> rows(static_cast<std::size_t>(n * width)), bias_sum(n), bias_other(width);
  if (over_hidden) {
    for (std::int64_t j = 0; j < H; ++j)
      for (std::int64_t i = 0; i < V; ++i) rows[j * V + i] = m.W[j * V + i];
    std::copy(m.c, m.c + H, bias_sum.begin());
    std::copy(m.a, m.a + V, bias_other.begin());
  } else {
    for (std::int64_t j = 0; j < H; ++j)
      for (std::int64_t i = 0; i < V; ++i) rows[i * H + j] = m.W[j * V + i];
    std::copy(m.a, m.a + V, bias_sum.begin());
    std::copy(m.c, m.c + H, bias_other.begin());
  }
  double constant = 0.0;
  if (gaussian) {
    // Integrating v out: h.c + |a + W^T h|^2 / 2 - |a|^2 / 2 + (V / 2) log(2 pi).
    for (std::int64_t i = 0; i < V; ++i) constant -= 0.5 * static_cast<double>(m.a[i]) * m.a[i];
    constant += 0.5 * static_cast<double>(V) * kLog2Pi;
  }

  const std::int64_t bits = std::min(n, std::max(kExactMinBlockBits, n - kExactMaxBlocksBits));
  const std::int64_t n_blocks = std::int64_t{1} << (n - bits);
  const std::uint64_t block_size = std::uint64_t{1} << bits;
  std::vector<LogSumExp> partial(static_cast<std::size_t>(n_blocks));
  for (std::int64_t first = 0; first < n_blocks; first += kExactRound) {
    if (first > 0 && should_stop && should_stop()) throw Interrupted();
    const std::int64_t count = std::min(kExactRound, n_blocks - first);
    parallel_for(n_threads, count, [&](std::int64_t task) {
      const std::int64_t block = first + task;
      const std::uint64_t start = static_cast<std::uint64_t>(block) << bits;
      std::vector<double> x(bias_other);
      double linear = 0.0;
      const std::uint64_t gray0 = start ^ (start >> 1);
      for (std::int64_t t = 0; t < n; ++t) {
        if ((gray0 >> t) & 1u) {
          linear += bias_sum[t];
          const double* row = rows.data() + t * width;
          for (std::int64_t k = 0; k < width; ++k) x[k] += row[k];
        }
      }
      LogSumExp acc;
      acc.add(linear + update_and_sum(x.data(), rows.data(), 0.0, width, gaussian));
      // Gray code: state s differs from s - 1 in bit ctz(s) (start is a multiple of 2^bits).
      for (std::uint64_t s = 1; s < block_size; ++s) {
        const int t = __builtin_ctzll(s);
        const std::uint64_t index = start + s;
        const std::uint64_t gray = index ^ (index >> 1);
        const double sign = ((gray >> t) & 1u) ? 1.0 : -1.0;
        linear += sign * bias_sum[t];
        acc.add(linear + update_and_sum(x.data(), rows.data() + t * width, sign, width, gaussian));
      }
      partial[static_cast<std::size_t>(block)] = acc;
    });
  }
  LogSumExp total;
  for (const LogSumExp& p : partial) total.merge(p);
  return total.value() + constant;
}

AisResult ais_log_partition(const Model& m, const float* base_bias, std::int64_t n_chains,
                            const std::vector<double>& betas, std::uint64_t key,
                            std::uint64_t call, int n_threads,
                            const std::function<bool()>& should_stop) {
  const std::int64_t V = m.n_visible, H = m.n_hidden;
  if (n_chains < 1 || n_chains >= (std::int64_t{1} << 31))
    throw std::invalid_argument("n_chains must be in [1, 2**31)");
  if (betas.size() < 2) throw std::invalid_argument("betas needs at least 2 values (0 and 1)");
  if (betas.size() > (std::size_t{1} << 24))
    throw std::invalid_argument("betas may hold at most 2**24 values");
  if (call >= (std::uint64_t{1} << 32)) throw std::invalid_argument("call must be < 2**32");
  if (betas.front() != 0.0 || betas.back() != 1.0)
    throw std::invalid_argument("betas must start at 0 and end at 1");
  for (std::size_t k = 1; k < betas.size(); ++k) {
    if (!(betas[k] >= betas[k - 1]))
      throw std::invalid_argument("betas must be non-decreasing (and not NaN)");
  }
  check_model(m);
  check_finite(base_bias, V, "the base-rate visible biases");

  const bool gaussian = m.visible == VisibleType::Gaussian;
  const std::int64_t K = static_cast<std::int64_t>(betas.size()) - 1;
  std::vector<float> beta(betas.size());
  for (std::size_t k = 0; k < betas.size(); ++k) beta[k] = static_cast<float>(betas[k]);

  AisResult result;
  result.log_weights.assign(static_cast<std::size_t>(n_chains), 0.0);
  result.log_z_base = static_cast<double>(H) * kLog2;
  // E_base(v) - E_vis(v) = v.(a - a_base) + (|a_base|^2 - |a|^2) / 2 (the last term: Gaussian).
  std::vector<double> bias_gap(V);
  double gap_constant = 0.0;
  for (std::int64_t i = 0; i < V; ++i) {
    bias_gap[i] = static_cast<double>(m.a[i]) - base_bias[i];
    if (gaussian) {
      gap_constant += 0.5 * (static_cast<double>(base_bias[i]) * base_bias[i] -
                             static_cast<double>(m.a[i]) * m.a[i]);
    } else {
      result.log_z_base += softplus_f64(base_bias[i]);
    }
  }
  if (gaussian) result.log_z_base += 0.5 * static_cast<double>(V) * kLog2Pi;

  // Blocks of chains fixed by n_chains alone (an even count, so two threads share them evenly).
  const std::int64_t n_blocks =
      std::min(n_chains, 2 * ((n_chains + 2 * kAisBlockRows - 1) / (2 * kAisBlockRows)));
  struct Block {
    std::int64_t row0 = 0, rows = 0;
    std::vector<float> v, x, h, y, p, noise, visible_bias;
    BinaryRows v_ones, h_ones;  // the binary path of the products (binary.hpp)
  };
  // W^T, so that a binary v selects contiguous rows: x = c + sum of the rows v selects.
  std::vector<float> wt(gaussian ? 0 : static_cast<std::size_t>(V * H));
  for (std::int64_t i = 0; i < static_cast<std::int64_t>(wt.size() ? V : 0); ++i)
    for (std::int64_t j = 0; j < H; ++j) wt[i * H + j] = m.W[j * V + i];
  std::vector<Block> blocks(static_cast<std::size_t>(n_blocks));
  for (std::int64_t b = 0; b < n_blocks; ++b) {
    const Range r = block_range(n_chains, n_blocks, b, 1);
    Block& blk = blocks[b];
    blk.row0 = r.begin;
    blk.rows = r.end - r.begin;
    blk.v.resize(blk.rows * V);
    blk.y.resize(blk.rows * V);
    blk.x.resize(blk.rows * H);
    blk.h.resize(blk.rows * H);
    blk.p.resize(H);
    blk.noise.resize((std::max(V, H) + 3) / 4 * 4);
    blk.visible_bias.resize(V);
  }
  const auto stream_id = [&](std::int64_t k) {
    return stream::make(stream::kAis, (call << 24) | static_cast<std::uint64_t>(k));
  };
  double* log_w = result.log_weights.data();

  // k = 0: exact samples from the base model.
  parallel_for(n_threads, n_blocks, [&](std::int64_t b) {
    Block& blk = blocks[b];
    const CounterRng rng(key, stream_id(0));
    for (std::int64_t r = 0; r < blk.rows; ++r) {
      float* v = blk.v.data() + r * V;
      const auto row = static_cast<std::uint64_t>(2 * (blk.row0 + r) + 1);
      if (gaussian) {
        rng.normal_row(row, 0, V, blk.noise.data());
        for (std::int64_t i = 0; i < V; ++i) v[i] = base_bias[i] + blk.noise[i];
      } else {
        rng.uniform_row(row, 0, V, blk.noise.data());
        for (std::int64_t i = 0; i < V; ++i) v[i] = blk.noise[i] < sigmoid(base_bias[i]) ? 1.0f : 0.0f;
      }
    }
  });

  for (std::int64_t k0 = 1; k0 <= K; k0 += kAisSegment) {
    if (k0 > 1 && should_stop && should_stop()) throw Interrupted();
    const std::int64_t k1 = std::min(K + 1, k0 + kAisSegment);
    parallel_for(n_threads, n_blocks, [&](std::int64_t b) {
      Block& blk = blocks[b];
      const std::int64_t R = blk.rows;
      for (std::int64_t k = k0; k < k1; ++k) {
        const float b1 = beta[k], b0 = beta[k - 1];
        const double step = static_cast<double>(b1) - static_cast<double>(b0);
        const bool last = k == K;
        // x = c + v W^T: sgemm, or the sum of the rows of W^T that a sparse binary v selects
        // (chosen per block and step from the data alone, so still thread-count independent).
        if (!gaussian && blk.v_ones.build(blk.v.data(), R, V, 1)) {
          blk.v_ones.gather_sum(wt.data(), H, 0, H, blk.x.data(), H);
          for (std::int64_t r = 0; r < R; ++r) {
            float* x = blk.x.data() + r * H;
            for (std::int64_t j = 0; j < H; ++j) x[j] += m.c[j];
          }
        } else {
          for (std::int64_t r = 0; r < R; ++r) std::copy(m.c, m.c + H, blk.x.data() + r * H);
          blas::sgemm(Op::N, Op::T, R, H, V, 1.0f, blk.v.data(), V, m.W, V, 1.0f, blk.x.data(),
                      H);
        }
        const std::uint64_t stream_k = stream_id(k);
        for (std::int64_t r = 0; r < R; ++r) {
          const float* v = blk.v.data() + r * V;
          const double visible_term = dot_f64(v, bias_gap.data(), V) + gap_constant;
          log_w[blk.row0 + r] += hidden_terms(blk.x.data() + r * H, H, b0, b1, step, blk.p.data()) +
                                 step * visible_term;
          if (last) continue;
          // Transition at beta_k: h ~ p(h | v).
          philox_uniform_row(key, stream_k, static_cast<std::uint64_t>(2 * (blk.row0 + r)), H,
                             blk.noise.data());
          bernoulli_draw(blk.noise.data(), blk.p.data(), H, blk.h.data() + r * H);
        }
        if (last) break;
        // v ~ p(v | h) at beta_k: input (1 - beta) a_base + beta (a + W^T h).
        if (blk.h_ones.build(blk.h.data(), R, H, 1)) {
          blk.h_ones.gather_sum(m.W, V, 0, V, blk.y.data(), V);
        } else {
          blas::sgemm(Op::N, Op::N, R, V, H, 1.0f, blk.h.data(), H, m.W, V, 0.0f, blk.y.data(),
                      V);
        }
        float* bias = blk.visible_bias.data();
        for (std::int64_t i = 0; i < V; ++i) bias[i] = (1.0f - b1) * base_bias[i] + b1 * m.a[i];
        for (std::int64_t r = 0; r < R; ++r) {
          const auto row = static_cast<std::uint64_t>(2 * (blk.row0 + r) + 1);
          if (gaussian) {
            CounterRng(key, stream_k).normal_row(row, 0, V, blk.noise.data());
          } else {
            philox_uniform_row(key, stream_k, row, V, blk.noise.data());
          }
          visible_draw(bias, blk.y.data() + r * V, b1, blk.noise.data(), V, gaussian,
                       blk.v.data() + r * V);
        }
      }
    });
  }
  return result;
}

}  // namespace fastinit
