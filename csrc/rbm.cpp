#include "rbm.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <numeric>
#include <optional>
#include <vector>

#ifdef __SSE__
#include <xmmintrin.h>
#endif

#include "binary.hpp"
#include "blas.hpp"
#include "parallel.hpp"
#include "rng.hpp"
#include "rowops.hpp"
#include "vmath.hpp"

namespace fastinit {
namespace {

using blas::Op;

// Rows per chunk for whole-data-set passes: large enough for an efficient product, small
// enough that a chunk of float rows stays in the L2 cache.
constexpr std::int64_t kChunkRows = 256;

// Multiply-adds per thread between two looks for Ctrl-C in gibbs: a small fraction of a second
// of work on any core, and enough that the looks (the GIL, the workers' wake-up) cost nothing
// next to it.
constexpr std::int64_t kGibbsRoundWork = std::int64_t{1} << 27;

// Unit blocks (hidden or visible columns) for the threads. The cut depends on the layer size
// only, never on the thread count: BLAS rounds a product differently for different block
// shapes, so cutting per thread would make the model depend on n_jobs. Blocks of about 128
// units keep each product efficient; an even count balances two threads.
constexpr std::int64_t kBlockUnits = 128;
inline std::int64_t unit_blocks(std::int64_t n, std::int64_t block_units = kBlockUnits) {
  const std::int64_t blocks = (n + block_units - 1) / block_units;
  return blocks <= 1 ? 1 : blocks + blocks % 2;
}

// Hidden-unit blocks of a pass over `rows` rows. With few rows OpenBLAS's small-matrix kernel
// runs v W on 64-unit blocks at 1.6x the speed of 128-unit ones (10 x 784 x 500, one thread:
// 77 vs 125 us); with many rows 128-unit blocks are 4-6 % faster.
inline std::int64_t hidden_blocks(std::int64_t n_hidden, std::int64_t rows) {
  return unit_blocks(n_hidden, rows <= 32 ? 64 : kBlockUnits);
}

// Rows of the hidden products from which a hidden-major mirror of a visible-major W pays for
// the copy of W it costs per mini-batch (train_epoch's sparse_hidden). At batch 100 (MNIST,
// hidden states ~10 % on) it made an epoch 12 % faster; at batch 10 it saved nothing.
constexpr std::int64_t kMirrorRows = 32;

// Columns [j0, j0 + width) of W as the row-sum kernels take them: in the visible-major copy the
// last hidden block runs on to the end of the padded row, so that it too is whole vectors. (With
// 500 hidden units its 4-column scalar rest made the thread holding it take 1.4x as long as the
// other over the update pass of PCD-1 at batch 10.) The padding columns of W and of the hidden
// statistics hold zeros throughout: sums of zero columns, and updates by those sums.
inline std::int64_t kernel_width(const Model& m, std::int64_t j0, std::int64_t width) {
  return m.visible_major && j0 + width == m.n_hidden ? m.w_ld - j0 : width;
}

// Row stride of the hidden statistics of a pass: the padded one with visible-major W.
inline std::int64_t hidden_ld(const Model& m) { return m.visible_major ? m.w_ld : m.n_hidden; }

// Scratch for one pass: probabilities -> samples and per-row reductions.
struct HiddenOutputs {
  float* probabilities;           // rows x hidden_ld(m), required
  float probability_scale = 1.f;  // applied after sampling (folds 1/B into the gradient)
  float* samples = nullptr;       // rows x H binary states, optional
  const CounterRng* rng = nullptr;
  std::int64_t rng_row0 = 0;      // counter row of the first input row
  double* softplus_sum = nullptr;  // rows: sum_j softplus(pre_j), optional
  // Binary input: pre = sums of the rows of W it selects instead of sgemm (visible-major W only).
  const BinaryRows* binary_input = nullptr;
  // Called with (first unit, width) once a block of units is final, on the block's thread, while
  // its columns of W are still in cache.
  const std::function<void(std::int64_t, std::int64_t)>* after_block = nullptr;
};

// h-side of one Gibbs half-step: pre = v W^T + c, then sigmoid, sampling and free-energy terms
// on each column block while it is still in cache. Threads split the hidden units.
void hidden_pass(const Model& m, const float* v, std::int64_t rows, const HiddenOutputs& out,
                 int n_threads) {
  const std::int64_t H = m.n_hidden, V = m.n_visible, ld_out = hidden_ld(m);
  const std::int64_t n_blocks = hidden_blocks(H, rows);
  std::vector<double> partial(out.softplus_sum ? n_blocks * rows : 0, 0.0);
  parallel_for(threads_for(rows * H * V, n_threads), n_blocks, [&](std::int64_t b) {
    const Range cols = block_range(H, n_blocks, b);
    const std::int64_t width = cols.end - cols.begin;
    if (width <= 0) return;
    if (out.binary_input) {
      out.binary_input->gather_sum(m.W, m.w_ld, cols.begin, kernel_width(m, cols.begin, width),
                                   out.probabilities + cols.begin, ld_out);
    } else if (m.visible_major) {
      blas::sgemm(Op::N, Op::N, rows, width, V, 1.0f, v, V, m.W + cols.begin, m.w_ld, 0.0f,
                  out.probabilities + cols.begin, ld_out);
    } else {
      blas::sgemm(Op::N, Op::T, rows, width, V, 1.0f, v, V, m.W + cols.begin * V, V, 0.0f,
                  out.probabilities + cols.begin, ld_out);
    }
    std::vector<float> uniforms(out.samples ? width : 0);
    const float* bias = m.c + cols.begin;
    for (std::int64_t r = 0; r < rows; ++r) {
      float* p = out.probabilities + r * ld_out + cols.begin;
      const float softplus_sum = rowops::sigmoid_bias(p, bias, width, out.softplus_sum != nullptr);
      if (out.softplus_sum) partial[b * rows + r] = softplus_sum;
      if (out.samples) {
        out.rng->uniform_row(static_cast<std::uint64_t>(out.rng_row0 + r), cols.begin, cols.end,
                             uniforms.data());
        rowops::bernoulli(uniforms.data(), p, out.samples + r * H + cols.begin, width);
      }
      if (out.probability_scale != 1.0f) rowops::scale(p, out.probability_scale, width);
    }
    if (out.after_block) (*out.after_block)(cols.begin, width);
  });
  if (out.softplus_sum) {
    for (std::int64_t r = 0; r < rows; ++r) {
      double sum = 0.0;
      for (std::int64_t b = 0; b < n_blocks; ++b) sum += partial[b * rows + r];
      out.softplus_sum[r] = sum;
    }
  }
}

struct VisibleOutputs {
  float* values;                    // rows x V: means, or samples when rng is set
  const CounterRng* rng = nullptr;  // sample when set
  std::int64_t rng_row0 = 0;
  const float* reference = nullptr;  // rows x V: accumulate |mean - reference|^2 when set
  // Binary h: sums of the rows of the hidden-major W it selects instead of sgemm. They are m.W's
  // own rows, or with visible-major m those of hidden_major_W, which must then be set.
  const BinaryRows* binary_input = nullptr;
  const float* hidden_major_W = nullptr;
};

// v-side of one Gibbs half-step: mean = h W + a (through the sigmoid for Bernoulli units),
// optionally sampled. Threads split the visible units. Returns the squared reconstruction error.
double visible_pass(const Model& m, const float* h, std::int64_t rows, const VisibleOutputs& out,
                    int n_threads) {
  const std::int64_t H = m.n_hidden, V = m.n_visible;
  const std::int64_t n_blocks = unit_blocks(V);
  const bool bernoulli = m.visible == VisibleType::Bernoulli;
  std::vector<double> error(n_blocks, 0.0);
  parallel_for(threads_for(rows * H * V, n_threads), n_blocks, [&](std::int64_t b) {
    const Range cols = block_range(V, n_blocks, b);
    const std::int64_t width = cols.end - cols.begin;
    if (width <= 0) return;
    if (out.binary_input) {
      out.binary_input->gather_sum(m.visible_major ? out.hidden_major_W : m.W, V, cols.begin,
                                   width, out.values + cols.begin, V);
    } else if (m.visible_major) {
      blas::sgemm(Op::N, Op::T, rows, width, H, 1.0f, h, H, m.W + cols.begin * m.w_ld, m.w_ld,
                  0.0f, out.values + cols.begin, V);
    } else {
      blas::sgemm(Op::N, Op::N, rows, width, H, 1.0f, h, H, m.W + cols.begin, V, 0.0f,
                  out.values + cols.begin, V);
    }
    std::vector<float> noise(out.rng ? width : 0);
    const float* bias = m.a + cols.begin;
    for (std::int64_t r = 0; r < rows; ++r) {
      float* x = out.values + r * V + cols.begin;
      if (bernoulli) rowops::sigmoid_bias(x, bias, width, false);
      else rowops::add_bias(x, bias, width);
      if (out.reference) error[b] += rowops::squared_distance(x, out.reference + r * V + cols.begin, width);
      if (!out.rng) continue;
      const auto counter_row = static_cast<std::uint64_t>(out.rng_row0 + r);
      if (bernoulli) {
        out.rng->uniform_row(counter_row, cols.begin, cols.end, noise.data());
        rowops::bernoulli(noise.data(), x, x, width);
      } else {
        out.rng->normal_row(counter_row, cols.begin, cols.end, noise.data());
        rowops::add(x, noise.data(), width);
      }
    }
  });
  return std::accumulate(error.begin(), error.end(), 0.0);
}

// dst (cols x rows, rows ld_dst apart) = src (rows x cols, rows ld_src apart)^T, in square
// tiles that stay in L1 on both sides, as 4 x 4 register transposes where the tile allows
// (4x the speed of element copies: train_epoch transposes blocks of W on every mini-batch).
void transpose(const float* src, std::int64_t rows, std::int64_t cols, std::int64_t ld_src,
               float* dst, std::int64_t ld_dst, int n_threads) {
  constexpr std::int64_t kTile = 32;
  const std::int64_t n_tiles = (rows + kTile - 1) / kTile;
  parallel_for(threads_for(rows * cols * 4, n_threads), n_tiles, [&](std::int64_t t) {
    const std::int64_t r0 = t * kTile, r1 = std::min(rows, r0 + kTile);
    for (std::int64_t c0 = 0; c0 < cols; c0 += kTile) {
      const std::int64_t c1 = std::min(cols, c0 + kTile);
      std::int64_t r = r0;
#ifdef __SSE__
      const std::int64_t c4 = c0 + (c1 - c0) / 4 * 4;
      for (; r + 4 <= r1; r += 4) {
        const float* s = src + r * ld_src;
        for (std::int64_t c = c0; c < c4; c += 4) {
          __m128 x0 = _mm_loadu_ps(s + c), x1 = _mm_loadu_ps(s + ld_src + c);
          __m128 x2 = _mm_loadu_ps(s + 2 * ld_src + c), x3 = _mm_loadu_ps(s + 3 * ld_src + c);
          _MM_TRANSPOSE4_PS(x0, x1, x2, x3);
          float* d = dst + c * ld_dst + r;
          _mm_storeu_ps(d, x0);
          _mm_storeu_ps(d + ld_dst, x1);
          _mm_storeu_ps(d + 2 * ld_dst, x2);
          _mm_storeu_ps(d + 3 * ld_dst, x3);
        }
        for (std::int64_t i = r; i < r + 4; ++i)
          for (std::int64_t c = c4; c < c1; ++c) dst[c * ld_dst + i] = src[i * ld_src + c];
      }
#endif
      for (; r < r1; ++r)
        for (std::int64_t c = c0; c < c1; ++c) dst[c * ld_dst + r] = src[r * ld_src + c];
    }
  });
}

// A visible-major (transposed) working copy of an n_hidden x n_visible matrix, written back when
// it goes out of scope: at the end of an epoch, on interruption and on error alike. Its rows
// are padded with zeros to whole cache lines (ld() is a multiple of 16 floats): the row-sum
// kernels then run every hidden block as whole vectors (kernel_width), and threads updating
// adjacent 16-aligned column blocks of a row never write to the same line.
class TransposedCopy {
 public:
  TransposedCopy(float* target, std::int64_t rows, std::int64_t cols, int n_threads)
      : target_(target), rows_(rows), cols_(cols), ld_((rows + kLine - 1) / kLine * kLine),
        n_threads_(n_threads), storage_(cols * ld_ + kLine) {
    const auto address = reinterpret_cast<std::uintptr_t>(storage_.data());
    copy_ = storage_.data() + (kLine - address / sizeof(float) % kLine) % kLine;
    transpose(target_, rows_, cols_, cols_, copy_, ld_, n_threads_);
  }
  ~TransposedCopy() { write_back(); }
  TransposedCopy(const TransposedCopy&) = delete;
  TransposedCopy& operator=(const TransposedCopy&) = delete;
  float* data() { return copy_; }
  std::int64_t ld() const { return ld_; }
  // The target (hidden-major) as the copy stands now.
  void write_back() { transpose(copy_, cols_, rows_, ld_, target_, cols_, n_threads_); }

 private:
  static constexpr std::int64_t kLine = 64 / sizeof(float);
  float* target_;
  std::int64_t rows_, cols_, ld_;
  int n_threads_;
  std::vector<float> storage_;
  float* copy_;
};

// block = beta * block, where block is columns [j0, j0 + width) of a rows x ld matrix. beta = 0
// writes zeros (as BLAS does), so stale non-finite values do not survive.
void scale_columns(float* x, std::int64_t rows, std::int64_t ld, std::int64_t j0,
                   std::int64_t width, float beta) {
  if (beta == 1.0f) return;
  for (std::int64_t i = 0; i < rows; ++i) {
    float* row = x + i * ld + j0;
    if (beta == 0.0f) std::fill(row, row + width, 0.0f);
    else rowops::scale(row, beta, width);
  }
}

// The visible-only part of the free energy: -v.a (Bernoulli) or |v - a|^2 / 2 (Gaussian).
double visible_energy(const Model& m, const float* v) {
  double sum = 0.0;
  if (m.visible == VisibleType::Bernoulli) {
    for (std::int64_t i = 0; i < m.n_visible; ++i) sum -= static_cast<double>(v[i]) * m.a[i];
  } else {
    for (std::int64_t i = 0; i < m.n_visible; ++i) {
      const double d = static_cast<double>(v[i]) - m.a[i];
      sum += 0.5 * d * d;
    }
  }
  return sum;
}

void load_rows_parallel(const DataView& data, const std::int64_t* index, std::int64_t rows,
                        float* out, int n_threads) {
  const std::int64_t n_blocks = threads_for(rows * data.cols * 16, n_threads);
  parallel_for(n_blocks, n_blocks, [&](std::int64_t b) {
    const Range r = block_range(rows, n_blocks, b, 1);
    if (r.end > r.begin) data.load_rows(index + r.begin, 0, r.end - r.begin, out + r.begin * data.cols);
  });
}

}  // namespace

std::vector<std::int64_t> epoch_order(std::int64_t n, bool shuffle, std::uint64_t key,
                                      std::uint64_t epoch) {
  std::vector<std::int64_t> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), std::int64_t{0});
  if (shuffle) {
    // Fisher-Yates; draw i picks from [0, i].
    const CounterRng rng(key, stream::make(stream::kShuffle, epoch));
    for (std::int64_t i = n - 1; i > 0; --i) {
      const auto j = rng.below(static_cast<std::uint64_t>(i), static_cast<std::uint32_t>(i + 1));
      std::swap(order[static_cast<std::size_t>(i)], order[j]);
    }
  }
  return order;
}

std::uint64_t train_stream(std::uint64_t step, std::uint64_t phase) {
  return stream::make(stream::kTrain, (step << 16) | (phase & 0xFFFF));
}

namespace {

EpochStats run_epoch(const Model& model, TrainState& state, const TrainConfig& cfg,
                     const DataView& data, std::uint64_t epoch,
                     const std::function<bool()>& should_stop) {
  const std::int64_t N = data.rows, V = model.n_visible, H = model.n_hidden;
  const std::int64_t B = std::min(cfg.batch_size, N);
  const std::int64_t n_neg_max = cfg.persistent ? state.n_chains : B;
  const int nt = std::max(1, cfg.n_threads);
  const float lr = cfg.learning_rate, mom = cfg.momentum;
  const float decay_step = lr * cfg.weight_decay;
  // Without momentum, decay or sparsity penalty the velocity is just the last step, so the
  // gradient goes straight into W and the velocity is set once, from the last mini-batch.
  const bool direct = mom == 0.0f && cfg.weight_decay == 0.0f && !cfg.use_sparsity;

  const std::vector<std::int64_t> order = epoch_order(N, cfg.shuffle, state.key, epoch);
  // Positive and negative statistics are stacked so that a dense weight gradient is one
  // product: [v0 ; v_k]^T [ph0 / B ; -ph_k / N_neg].
  std::vector<float> v_stack((B + n_neg_max) * V);

  // The layout of W for this call. Sparse binary data (judged on the first mini-batch): train on
  // visible-major copies of W and its velocity, in which a data row selects whole rows, for the
  // hidden products and the weight gradient alike. Otherwise W stays hidden-major, where sparse
  // sampled hidden states select rows of W for the visible products instead; that is also the
  // better trade for CD-k with mean-field negatives and k > 1, where the data enter 2 of the
  // 2k + 3 products and the hidden samples k of them (CD-10, one thread: 8.5 s vs 12.0 s).
  BinaryRows v0_rows, v_neg_rows, h_rows;
  // The ones of the data rows order[first .. first + n), loaded into v_stack: a CSR matrix lists
  // them already.
  const auto index_data = [&](std::int64_t first, std::int64_t n) {
    return data.is_sparse() ? v0_rows.build(data, order.data() + first, n, nt)
                            : v0_rows.build(v_stack.data(), n, V, nt);
  };
  load_rows_parallel(data, order.data(), B, v_stack.data(), nt);
  const bool sampled_negatives = cfg.persistent || cfg.sample_visible;
  const bool visible_major = model.visible == VisibleType::Bernoulli &&
                             (cfg.k == 1 || sampled_negatives) && index_data(0, B);
  std::optional<TransposedCopy> weights, velocity;
  Model m = model;
  float* vel_W = state.velocity_W;
  if (visible_major) {
    weights.emplace(model.W, H, V, nt);
    velocity.emplace(state.velocity_W, H, V, nt);
    m.W = weights->data();
    m.visible_major = true;
    m.w_ld = weights->ld();
    vel_W = velocity->data();
  }
  const std::int64_t ldh = hidden_ld(m);
  std::vector<float> h_stack((B + n_neg_max) * ldh);

  std::vector<float> h_samples(std::max(B, n_neg_max) * H);
  std::vector<float> v_recon(cfg.persistent ? B * V : 0);
  std::vector<double> softplus_sum(B);
  std::vector<float> mean_v0(V), penalty(cfg.use_sparsity ? H : 0);
  // Sum over the data rows of P(h = 1 | v), per hidden unit: the epoch's mean activations.
  std::vector<double> activation_sum(H, 0.0);
  // The ones of binary rows when sparse enough to pay: visible rows (data, sampled negatives)
  // in the visible-major layout, sampled hidden states in the hidden-major one.
  const auto sparse_visible = [&](BinaryRows& rows, const float* v, std::int64_t n) {
    return visible_major && rows.build(v, n, V, nt) ? &rows : nullptr;
  };
  // With visible-major W, sparse sampled hidden states select rows of the caller's hidden-major
  // W instead, kept current while they are used: each block of W's update is transposed into it
  // while still in cache. After a mini-batch without sparse hidden states the mirror lapses, and
  // it is rebuilt whole when they return. mirror_used: this mini-batch read the mirror, so its
  // update keeps it current.
  const bool mirror_allowed = visible_major && n_neg_max >= kMirrorRows;
  bool mirror_current = true, mirror_used = false;
  const auto sparse_hidden = [&](const float* h, std::int64_t n) -> const BinaryRows* {
    if (visible_major && !mirror_allowed) return nullptr;
    if (!h_rows.build(h, n, H, nt)) return nullptr;
    if (visible_major) {
      if (!mirror_current) weights->write_back();
      mirror_current = mirror_used = true;
    }
    return &h_rows;
  };
  // The current mini-batch, as the weight gradient reads it.
  std::int64_t b = 0, n_neg = 0;
  // The velocity's decay, momentum * velocity, is applied by the momentum step of the
  // mini-batch before, which spares the gradient product a pass over the velocity (BLAS's beta):
  // velocity_beta is the decay this mini-batch's gradient product still applies (momentum on a
  // call's first mini-batch, else 1) and next_decay the one its momentum step applies for the
  // next (1 on the last, so that the caller's velocity is the usual one).
  float velocity_beta = mom, next_decay = 1.0f;
  const BinaryRows *v0_ones = nullptr, *v_neg_ones = nullptr;

  // target[:, j0:j0+width] = beta * target + lr * gradient, where the gradient is
  // v0^T ph0 / B - v_k^T ph_k / N_neg: sgemm for dense phases, row updates for sparse ones.
  const auto add_gradient = [&](float* target, float beta, std::int64_t j0, std::int64_t width) {
    const float* v0 = v_stack.data();
    const float* v_neg = v0 + b * V;
    const float* ph0 = h_stack.data();
    const float* ph_neg = ph0 + b * ldh;
    if (!visible_major) {
      blas::sgemm(Op::T, Op::N, width, V, b + n_neg, lr, ph0 + j0, ldh, v0, V, beta,
                  target + j0 * V, V);
      return;
    }
    const std::int64_t ld = m.w_ld;
    if (!v0_ones && !v_neg_ones) {
      blas::sgemm(Op::T, Op::N, V, width, b + n_neg, lr, v0, V, ph0 + j0, ldh, beta,
                  target + j0, ld);
      return;
    }
    if (!v0_ones) {
      blas::sgemm(Op::T, Op::N, V, width, b, lr, v0, V, ph0 + j0, ldh, beta, target + j0, ld);
    } else if (!v_neg_ones) {
      blas::sgemm(Op::T, Op::N, V, width, n_neg, lr, v_neg, V, ph_neg + j0, ldh, beta,
                  target + j0, ld);
    } else {
      scale_columns(target, V, ld, j0, width, beta);
    }
    // Both phases sparse: one pass over the stacked [v0; v_k] (columns listed before the update).
    const std::int64_t span = kernel_width(m, j0, width);
    if (v0_ones) v0_ones->scatter_add(ph0, ldh, j0, span, lr, target, ld);
    else v_neg_ones->scatter_add(ph_neg, ldh, j0, span, lr, target, ld);
  };

  // Visible biases: a += momentum * velocity_a + lr * (mean v0 - mean v_k); keeps mean v0.
  const auto update_visible_biases = [&] {
    const float* v0 = v_stack.data();
    const float* v_neg = v0 + b * V;
    parallel_for(threads_for((b + n_neg) * V, nt), unit_blocks(V), [&](std::int64_t blk) {
      const Range cols = block_range(V, unit_blocks(V), blk);
      const std::int64_t width = cols.end - cols.begin;
      // Column sums row by row, so that the reads are contiguous and the loop vectorizes.
      std::vector<double> pos(width, 0.0), neg(width, 0.0);
      for (std::int64_t r = 0; r < b; ++r) {
        const float* row = v0 + r * V + cols.begin;
#pragma omp simd
        for (std::int64_t j = 0; j < width; ++j) pos[j] += row[j];
      }
      for (std::int64_t r = 0; r < n_neg; ++r) {
        const float* row = v_neg + r * V + cols.begin;
#pragma omp simd
        for (std::int64_t j = 0; j < width; ++j) neg[j] += row[j];
      }
      for (std::int64_t j = 0; j < width; ++j) {
        const std::int64_t i = cols.begin + j;
        mean_v0[i] = static_cast<float>(pos[j] / b);
        const float grad = static_cast<float>(pos[j] / b - neg[j] / n_neg);
        state.velocity_a[i] = mom * state.velocity_a[i] + lr * grad;
        m.a[i] += state.velocity_a[i];
      }
    });
  };

  // Hidden biases and the columns [j0, j0 + width) of W: velocity = momentum * velocity +
  // lr * (gradient - decay * W - sparsity penalty); W += velocity. Runs on each block of hidden
  // units as soon as the last negative phase has finished it, while its columns are in cache.
  const std::function<void(std::int64_t, std::int64_t)> update_hidden_block =
      [&](std::int64_t j0, std::int64_t width) {
        const std::int64_t K = b + n_neg;
        // Bias gradients: column sums of the stacked, pre-scaled hidden statistics.
        std::vector<double> grad_c(width, 0.0), mean_h0(width, 0.0);
        for (std::int64_t r = 0; r < K; ++r) {
          const float* row = h_stack.data() + r * ldh + j0;
          for (std::int64_t j = 0; j < width; ++j) grad_c[j] += row[j];
          if (r + 1 == b) std::copy(grad_c.begin(), grad_c.end(), mean_h0.begin());
        }
        for (std::int64_t j = 0; j < width; ++j) {
          const std::int64_t unit = j0 + j;
          float unit_penalty = 0.0f;
          if (cfg.use_sparsity) {
            float& q = state.hidden_mean[unit];
            q = cfg.sparsity_decay * q +
                (1.0f - cfg.sparsity_decay) * static_cast<float>(mean_h0[j]);
            unit_penalty = cfg.sparsity_cost * (q - cfg.sparsity_target);
            penalty[unit] = lr * unit_penalty;
          }
          state.velocity_c[unit] =
              mom * state.velocity_c[unit] + lr * (static_cast<float>(grad_c[j]) - unit_penalty);
          m.c[unit] += state.velocity_c[unit];
          activation_sum[unit] += mean_h0[j] * static_cast<double>(b);
        }
        if (direct) {
          add_gradient(m.W, 1.0f, j0, width);
        } else {
          add_gradient(vel_W, velocity_beta, j0, width);
          if (!visible_major) {
            // Row j of W: the penalty is lr * penalty_j times the mean data row.
            for (std::int64_t j = j0; j < j0 + width; ++j) {
              rowops::momentum_step(m.W + j * V, vel_W + j * V, decay_step,
                                    cfg.use_sparsity ? mean_v0.data() : nullptr,
                                    cfg.use_sparsity ? penalty[j] : 0.0f, next_decay, V);
            }
          } else {
            const float* unit_penalties = cfg.use_sparsity ? penalty.data() + j0 : nullptr;
            for (std::int64_t i = 0; i < V; ++i) {
              rowops::momentum_step(m.W + i * m.w_ld + j0, vel_W + i * m.w_ld + j0, decay_step,
                                    unit_penalties, mean_v0[i], next_decay, width);
            }
          }
        }
        if (mirror_used) transpose(m.W + j0, V, width, m.w_ld, model.W + j0 * V, V, 1);
      };

  EpochStats stats;
  double recon_sum = 0.0, free_energy_sum = 0.0;
  std::int64_t recon_rows = 0, fe_rows = 0;

  // Ctrl-C is polled one mini-batch ahead: whether another one follows decides how this one
  // leaves the velocity (next_decay).
  bool stop = should_stop && should_stop();
  for (std::int64_t start = 0, batch = 0; start < N && !stop; start += B, ++batch) {
    const bool more = start + B < N;
    if (more) stop = should_stop && should_stop();
    velocity_beta = batch == 0 ? mom : 1.0f;
    next_decay = more && !stop ? mom : 1.0f;
    b = std::min(B, N - start);
    n_neg = cfg.persistent ? state.n_chains : b;
    float* v0 = v_stack.data();
    float* v_neg = v0 + b * V;
    float* ph0 = h_stack.data();
    float* ph_neg = ph0 + b * ldh;
    const auto rng = [&](std::uint64_t phase) {
      return CounterRng(state.key, train_stream(state.step, phase));
    };

    mirror_used = false;
    // The first mini-batch was loaded (and, for the visible-major layout, indexed) above, when
    // the layout was chosen.
    if (batch > 0) load_rows_parallel(data, order.data() + start, b, v0, nt);
    // Monitors cost element-wise work on every row, so the free energy (and PCD's extra
    // reconstruction) are estimated on every 10th mini-batch; CD's reconstruction is free.
    const bool monitor = batch % 10 == 0;
    if (monitor) {
      for (std::int64_t r = 0; r < b; ++r) free_energy_sum += visible_energy(m, v0 + r * V);
    }

    // Positive phase. PCD samples h0 only on the mini-batches that monitor reconstruction.
    const CounterRng rng0 = rng(0);
    HiddenOutputs positive{ph0, 1.0f / static_cast<float>(b)};
    positive.samples = (!cfg.persistent || monitor) ? h_samples.data() : nullptr;
    positive.rng = &rng0;
    positive.softplus_sum = monitor ? softplus_sum.data() : nullptr;
    const bool v0_indexed = visible_major && (batch == 0 || index_data(start, b));
    v0_ones = positive.binary_input = v0_indexed ? &v0_rows : nullptr;
    hidden_pass(m, v0, b, positive, nt);
    if (monitor) {
      for (std::int64_t r = 0; r < b; ++r) free_energy_sum -= softplus_sum[r];
      fe_rows += b;
    }

    // Negative phase: k Gibbs steps from the data (CD) or from the fantasy particles (PCD).
    if (cfg.persistent && monitor) {
      VisibleOutputs recon{v_recon.data()};
      recon.reference = v0;
      recon.binary_input = sparse_hidden(h_samples.data(), b);
      recon.hidden_major_W = model.W;
      recon_sum += visible_pass(m, h_samples.data(), b, recon, nt);
      recon_rows += b;
    }
    const float* h_current = cfg.persistent ? state.chain_hidden : h_samples.data();
    v_neg_ones = nullptr;
    for (int t = 1; t <= cfg.k; ++t) {
      const CounterRng rng_v = rng(2 * t - 1), rng_h = rng(2 * t);
      VisibleOutputs vis{v_neg};
      vis.rng = (cfg.persistent || cfg.sample_visible) ? &rng_v : nullptr;
      vis.reference = (!cfg.persistent && t == 1) ? v0 : nullptr;
      vis.binary_input = sparse_hidden(h_current, n_neg);
      vis.hidden_major_W = model.W;
      const double err = visible_pass(m, h_current, n_neg, vis, nt);
      if (vis.reference) {
        recon_sum += err;
        recon_rows += b;
      }
      const bool last = t == cfg.k;
      HiddenOutputs hid{ph_neg, last ? -1.0f / static_cast<float>(n_neg) : 1.0f};
      hid.rng = &rng_h;
      // PCD keeps the chains' new hidden states; CD needs samples only between steps.
      hid.samples = cfg.persistent && last ? state.chain_hidden
                    : last                 ? nullptr
                                           : h_samples.data();
      if (vis.rng) v_neg_ones = hid.binary_input = sparse_visible(v_neg_rows, v_neg, n_neg);
      if (last) {
        // The update rides on the last hidden pass (see update_hidden_block).
        update_visible_biases();
        if (v0_ones) v0_rows.list_columns(v_neg_ones);
        else if (v_neg_ones) v_neg_rows.list_columns();
        hid.after_block = &update_hidden_block;
      }
      hidden_pass(m, v_neg, n_neg, hid, nt);
      h_current = h_samples.data();
    }

    mirror_current = mirror_used;
    ++state.step;
    ++stats.n_batches;
  }
  stats.interrupted = stop;
  stats.team_size = team_threads();
  if (direct && stats.n_batches > 0) {
    parallel_for(threads_for((b + n_neg) * H * V, nt), unit_blocks(H), [&](std::int64_t blk) {
      const Range units = block_range(H, unit_blocks(H), blk);
      if (units.end > units.begin) add_gradient(vel_W, 0.0f, units.begin, units.end - units.begin);
    });
  }
  stats.reconstruction_error = recon_rows ? recon_sum / (static_cast<double>(recon_rows) * V) : 0.0;
  stats.free_energy = fe_rows ? free_energy_sum / static_cast<double>(fe_rows) : 0.0;
  const double rows_seen = static_cast<double>(std::min(N, stats.n_batches * B));
  stats.hidden_activation.resize(H);
  for (std::int64_t j = 0; j < H; ++j)
    stats.hidden_activation[j] = rows_seen > 0 ? activation_sum[j] / rows_seen : 0.0;
  return stats;
}

}  // namespace

EpochStats train_epoch(const Model& model, TrainState& state, const TrainConfig& cfg,
                       const DataView& data, std::uint64_t epoch,
                       const std::function<bool()>& should_stop) {
  // One team for the whole pass: its loops, several per mini-batch, go to whichever threads run.
  // It has no more threads than the pass's largest loop asks for (threads_for of its work): the
  // products of a mini-batch's rows, the indexing of its binary rows (32 per element) and the
  // transposes of W bound every loop of run_epoch, so a small model opens no region at all.
  const std::int64_t V = model.n_visible, H = model.n_hidden;
  const std::int64_t rows = std::min(cfg.batch_size, data.rows) +
                            (cfg.persistent ? state.n_chains : std::min(cfg.batch_size, data.rows));
  const std::int64_t largest_loop = rows * (H * V + 32 * (H + V)) + 4 * H * V;
  EpochStats stats;
  with_team(threads_for(largest_loop, std::max(1, cfg.n_threads)),
            [&] { stats = run_epoch(model, state, cfg, data, epoch, should_stop); });
  return stats;
}

void hidden_probabilities(const Model& m, const DataView& data, float* out, int n_threads) {
  const std::int64_t n_chunks = (data.rows + kChunkRows - 1) / kChunkRows;
  parallel_for(n_threads, n_chunks, [&](std::int64_t chunk) {
    const std::int64_t first = chunk * kChunkRows, rows = std::min(kChunkRows, data.rows - first);
    std::vector<float> v(rows * m.n_visible);
    data.load_rows(nullptr, first, rows, v.data());
    hidden_pass(m, v.data(), rows, {out + first * m.n_hidden}, 1);
  });
}

void visible_means(const Model& m, const float* hidden, std::int64_t rows, float* out,
                   int n_threads) {
  const std::int64_t n_chunks = (rows + kChunkRows - 1) / kChunkRows;
  parallel_for(n_threads, n_chunks, [&](std::int64_t chunk) {
    const std::int64_t first = chunk * kChunkRows, n = std::min(kChunkRows, rows - first);
    visible_pass(m, hidden + first * m.n_hidden, n, {out + first * m.n_visible}, 1);
  });
}

void free_energy(const Model& m, const DataView& data, double* out, int n_threads) {
  const std::int64_t n_chunks = (data.rows + kChunkRows - 1) / kChunkRows;
  parallel_for(n_threads, n_chunks, [&](std::int64_t chunk) {
    const std::int64_t first = chunk * kChunkRows, rows = std::min(kChunkRows, data.rows - first);
    std::vector<float> v(rows * m.n_visible), h(rows * m.n_hidden);
    std::vector<double> softplus_sum(rows);
    data.load_rows(nullptr, first, rows, v.data());
    HiddenOutputs hid{h.data()};
    hid.softplus_sum = softplus_sum.data();
    hidden_pass(m, v.data(), rows, hid, 1);
    for (std::int64_t r = 0; r < rows; ++r) {
      out[first + r] = visible_energy(m, v.data() + r * m.n_visible) - softplus_sum[r];
    }
  });
}

void pseudo_likelihood(const Model& m, const DataView& data, double* out, int n_threads) {
  const std::int64_t V = m.n_visible, H = m.n_hidden;
  // W^T so that flipping visible unit i reads one contiguous row.
  std::vector<float> wt(V * H);
  transpose(m.W, H, V, V, wt.data(), H, n_threads);
  const std::int64_t n_chunks = (data.rows + kChunkRows - 1) / kChunkRows;
  parallel_for(n_threads, n_chunks, [&](std::int64_t chunk) {
    const std::int64_t first = chunk * kChunkRows, rows = std::min(kChunkRows, data.rows - first);
    std::vector<float> v(rows * V), pre(rows * H), base(H);
    data.load_rows(nullptr, first, rows, v.data());
    blas::sgemm(Op::N, Op::T, rows, H, V, 1.0f, v.data(), V, m.W, V, 0.0f, pre.data(), H);
    for (std::int64_t r = 0; r < rows; ++r) {
      float* x = pre.data() + r * H;
      const float* vr = v.data() + r * V;
      for (std::int64_t j = 0; j < H; ++j) {
        x[j] += m.c[j];
        base[j] = softplus(x[j]);
      }
      double total = 0.0;
      for (std::int64_t i = 0; i < V; ++i) {
        // Flip v_i -> 1 - v_i; F(v) - F(v') = s a_i + sum_j [softplus(x_j + s w_ji) - softplus(x_j)].
        // Summing the (small) differences rather than two large sums keeps float32 accurate.
        const float s = 1.0f - 2.0f * vr[i];
        const float* w = wt.data() + i * H;
        float change = 0.0f;
#pragma omp simd reduction(+ : change)
        for (std::int64_t j = 0; j < H; ++j) change += softplus(x[j] + s * w[j]) - base[j];
        const double gap = static_cast<double>(s) * m.a[i] + change;
        // log p(v_i | v_-i) = -softplus(F(v) - F(v')), in double for small probabilities.
        total -= gap > 0 ? gap + std::log1p(std::exp(-gap)) : std::log1p(std::exp(gap));
      }
      out[first + r] = total;
    }
  });
}

void gibbs(const Model& m, float* visible, std::int64_t rows, std::int64_t n_steps,
           std::uint64_t key, std::uint64_t call, int n_threads,
           const std::function<bool()>& should_stop) {
  const std::int64_t H = m.n_hidden, V = m.n_visible;
  const std::int64_t n_chunks = (rows + kChunkRows - 1) / kChunkRows;
  if (n_chunks == 0 || n_steps <= 0) return;
  const int threads = static_cast<int>(std::min<std::int64_t>(std::max(1, n_threads), n_chunks));
  // A chunk's sweeps depend on its rows and the step number alone, so how the chunks x steps are
  // cut into rounds decides only when the calling thread looks for Ctrl-C, never the samples.
  const std::int64_t sweep_work = std::max<std::int64_t>(1, 2 * std::min(kChunkRows, rows) * H * V);
  const std::int64_t sweeps_per_round =
      threads * std::max<std::int64_t>(1, kGibbsRoundWork / sweep_work);
  const std::int64_t round_chunks = std::min(n_chunks, sweeps_per_round);
  const std::int64_t round_steps = std::max<std::int64_t>(1, sweeps_per_round / round_chunks);
  // One team for all the rounds (as for a training pass), which are short.
  with_team(threads, [&] {
    bool first = true;
    for (std::int64_t c0 = 0; c0 < n_chunks; c0 += round_chunks) {
      const std::int64_t c1 = std::min(n_chunks, c0 + round_chunks);
      for (std::int64_t s0 = 0; s0 < n_steps; s0 += round_steps) {
        if (!first && should_stop && should_stop()) throw Interrupted();
        first = false;
        const std::int64_t s1 = std::min(n_steps, s0 + round_steps);
        parallel_for(threads, c1 - c0, [&](std::int64_t i) {
          const std::int64_t chunk = c0 + i;
          const std::int64_t first_row = chunk * kChunkRows;
          const std::int64_t n = std::min(kChunkRows, rows - first_row);
          std::vector<float> probabilities(n * H), samples(n * H);
          float* v = visible + first_row * V;
          for (std::int64_t s = s0; s < s1; ++s) {
            const std::uint64_t phase = static_cast<std::uint64_t>(2 * s);
            const CounterRng rng_h(key, stream::make(stream::kGibbs, (call << 32) | phase));
            const CounterRng rng_v(key, stream::make(stream::kGibbs, (call << 32) | (phase + 1)));
            HiddenOutputs hid{probabilities.data()};
            hid.samples = samples.data();
            hid.rng = &rng_h;
            hid.rng_row0 = first_row;
            hidden_pass(m, v, n, hid, 1);
            visible_pass(m, samples.data(), n, {v, &rng_v, first_row}, 1);
          }
        });
      }
    }
  });
}

}  // namespace fastinit
