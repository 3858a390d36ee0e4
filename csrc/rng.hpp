// Philox4x32-10 counter-based random numbers (Salmon et al., SC'11; Random123 constants).
//
// Every random number in the engine is a pure function of (key, counter). The counter is built
// from the *logical* position of the number (stream, row, column block) and never from the
// thread that happens to draw it, so results are bit-identical for any thread count.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>

namespace fastinit {

using Philox4x32Ctr = std::array<std::uint32_t, 4>;
using Philox4x32Key = std::array<std::uint32_t, 2>;

inline void philox_mulhilo(std::uint32_t a, std::uint32_t b, std::uint32_t& hi, std::uint32_t& lo) {
  const std::uint64_t product = static_cast<std::uint64_t>(a) * b;
  hi = static_cast<std::uint32_t>(product >> 32);
  lo = static_cast<std::uint32_t>(product);
}

inline Philox4x32Ctr philox4x32_10(Philox4x32Ctr ctr, Philox4x32Key key) {
  constexpr std::uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;
  constexpr std::uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      key[0] += kW0;
      key[1] += kW1;
    }
    std::uint32_t hi0, lo0, hi1, lo1;
    philox_mulhilo(kM0, ctr[0], hi0, lo0);
    philox_mulhilo(kM1, ctr[2], hi1, lo1);
    ctr = {hi1 ^ ctr[1] ^ key[0], lo1, hi0 ^ ctr[3] ^ key[1], lo0};
  }
  return ctr;
}

// 24 random bits make every float in [0, 1) on a 2^-24 grid equally likely, and u < p is then
// an exact Bernoulli(p) draw up to that grid.
inline float uint_to_unit_float(std::uint32_t u) {
  return static_cast<float>(u >> 8) * (1.0f / 16777216.0f);
}

// Uniforms of n_blocks consecutive blocks: out[4 b + w] = word w of block (first[0] + b, first[1],
// first[2], first[3]) as uint_to_unit_float; 16 blocks per AVX-512 instruction (rng.cpp).
void philox_uniform_blocks(const Philox4x32Ctr& first, Philox4x32Key key, std::int64_t n_blocks,
                           float* out);

// A stream of random numbers addressed as a matrix: number (row, col) of stream `stream`.
// Counter layout: {col / 4, row, stream low word, stream high word}; one Philox call gives
// four consecutive columns.
class CounterRng {
 public:
  CounterRng(std::uint64_t key, std::uint64_t stream)
      : key_{static_cast<std::uint32_t>(key), static_cast<std::uint32_t>(key >> 32)},
        stream_lo_(static_cast<std::uint32_t>(stream)),
        stream_hi_(static_cast<std::uint32_t>(stream >> 32)) {}

  Philox4x32Ctr block(std::uint64_t row, std::uint64_t block_index) const {
    return philox4x32_10({static_cast<std::uint32_t>(block_index), static_cast<std::uint32_t>(row),
                          stream_lo_, stream_hi_},
                         key_);
  }

  // Uniform floats for columns [col0, col1) of `row`; col0 need not be a multiple of 4.
  void uniform_row(std::uint64_t row, std::int64_t col0, std::int64_t col1, float* out) const {
    std::int64_t col = col0;
    // Whole blocks in the middle go through the vectorized generator.
    const std::int64_t first_block = (col0 + 3) / 4, end_block = col1 / 4;
    if (end_block - first_block >= 16) {
      for (; col < 4 * first_block; ++col)
        out[col - col0] = uint_to_unit_float(block(row, col / 4)[col % 4]);
      const Philox4x32Ctr first = {static_cast<std::uint32_t>(first_block),
                                   static_cast<std::uint32_t>(row), stream_lo_, stream_hi_};
      philox_uniform_blocks(first, key_, end_block - first_block, out + (col - col0));
      col = 4 * end_block;
    }
    while (col < col1) {
      const Philox4x32Ctr r = block(row, static_cast<std::uint64_t>(col / 4));
      for (std::int64_t lane = col % 4; lane < 4 && col < col1; ++lane, ++col) {
        out[col - col0] = uint_to_unit_float(r[lane]);
      }
    }
  }

  // Standard normal floats by Box-Muller: block col/2 gives the pair for columns 2m, 2m+1.
  void normal_row(std::uint64_t row, std::int64_t col0, std::int64_t col1, float* out) const {
    constexpr double kTwoPi = 6.283185307179586;
    std::int64_t col = col0;
    while (col < col1) {
      const Philox4x32Ctr r = block(row, static_cast<std::uint64_t>(col / 2));
      // (u + 1) / 2^32 lies in (0, 1], so the logarithm is finite.
      const double u1 = (static_cast<double>(r[0]) + 1.0) * (1.0 / 4294967296.0);
      const double u2 = static_cast<double>(r[1]) * (1.0 / 4294967296.0);
      const double radius = std::sqrt(-2.0 * std::log(u1));
      const double pair[2] = {radius * std::cos(kTwoPi * u2), radius * std::sin(kTwoPi * u2)};
      for (std::int64_t lane = col % 2; lane < 2 && col < col1; ++lane, ++col) {
        out[col - col0] = static_cast<float>(pair[lane]);
      }
    }
  }

  // An integer in [0, n) from 32 random bits (Lemire's multiply-shift; bias below n / 2^32).
  std::uint32_t below(std::uint64_t row, std::uint32_t n) const {
    const std::uint32_t u = block(row, 0)[0];
    return static_cast<std::uint32_t>((static_cast<std::uint64_t>(u) * n) >> 32);
  }

 private:
  Philox4x32Key key_;
  std::uint32_t stream_lo_, stream_hi_;
};

// Streams: the high byte says what the numbers are for, so no two uses ever share a counter.
namespace stream {
constexpr std::uint64_t kPurposeShift = 56;
constexpr std::uint64_t kTrain = 0;      // (step << 16) | phase, step < 2^40
constexpr std::uint64_t kShuffle = 1;    // epoch
constexpr std::uint64_t kGibbs = 2;      // (call << 32) | phase, call < 2^24
constexpr std::uint64_t kAis = 3;        // (call << 24) | beta index
constexpr std::uint64_t kTest = 0xFF;    // numbers drawn by tests through the bindings

constexpr std::uint64_t make(std::uint64_t purpose, std::uint64_t index) {
  return (purpose << kPurposeShift) | (index & ((std::uint64_t{1} << kPurposeShift) - 1));
}
}  // namespace stream

}  // namespace fastinit
