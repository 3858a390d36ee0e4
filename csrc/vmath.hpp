// Vectorizable exp / sigmoid / softplus for float32.
//
// libm's expf is an opaque call that stops `#pragma omp simd` loops from vectorizing. These are
// branch-free Cephes polynomials (relative error about 1e-7, the same as libm for our inputs),
// so a loop over a row of activations compiles to packed SSE/AVX arithmetic.
#pragma once

#include <cstdint>
#include <cstring>

namespace fastinit {

#pragma omp declare simd
inline float exp_approx(float x) {
  // Clamp to the range where exp(x) is a finite normal float.
  x = x < -87.33654f ? -87.33654f : x;
  x = x > 88.72283f ? 88.72283f : x;
  // exp(x) = 2^n * exp(r), n = round(x / ln 2), |r| <= ln2 / 2.
  float fn = x * 1.44269504088896341f + 0.5f;
  std::int32_t n = static_cast<std::int32_t>(fn);
  n -= static_cast<float>(n) > fn;  // floor for negative values, without a branch
  const float nf = static_cast<float>(n);
  // Cody-Waite: ln 2 split in two so that r keeps full precision.
  float r = x - nf * 0.693359375f;
  r = r + nf * 2.12194440e-4f;
  const float r2 = r * r;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r2 + r + 1.0f;
  // n + 127 can reach 255 only at the clamp bound 88.72, where 2^128 * exp(r) still rounds into
  // range because r < 0 there; scale in two halves to stay safe at both ends.
  const std::int32_t n1 = n >> 1, n2 = n - n1;
  std::int32_t b1 = (n1 + 127) << 23, b2 = (n2 + 127) << 23;
  float s1, s2;
  std::memcpy(&s1, &b1, sizeof s1);
  std::memcpy(&s2, &b2, sizeof s2);
  return p * s1 * s2;
}

#pragma omp declare simd
inline float sigmoid(float x) { return 1.0f / (1.0f + exp_approx(-x)); }

// log(1 + t) for t in [0, 1], Cephes logf on the mantissa of 1 + t.
#pragma omp declare simd
inline float log1p_unit(float t) {
  const float y = 1.0f + t;
  // 1 + t in [1, 2]: exponent 0 or 1.
  std::int32_t bits;
  std::memcpy(&bits, &y, sizeof bits);
  std::int32_t e = ((bits >> 23) & 0xFF) - 127;
  std::int32_t mbits = (bits & 0x007FFFFF) | 0x3F800000;
  float m;
  std::memcpy(&m, &mbits, sizeof m);
  // Centre the mantissa on 1: m in [sqrt(1/2), sqrt(2)).
  const bool big = m > 1.41421356f;
  m = big ? m * 0.5f : m;
  e = big ? e + 1 : e;
  // Recover the rounding of 1 + t when e == 0 and m == y: use t directly for accuracy near 0.
  float x = (e == 0) ? t : m - 1.0f;
  const float z = x * x;
  float p = 7.0376836292e-2f;
  p = p * x - 1.1514610310e-1f;
  p = p * x + 1.1676998740e-1f;
  p = p * x - 1.2420140846e-1f;
  p = p * x + 1.4249322787e-1f;
  p = p * x - 1.6668057665e-1f;
  p = p * x + 2.0000714765e-1f;
  p = p * x - 2.4999993993e-1f;
  p = p * x + 3.3333331174e-1f;
  float y2 = x * z * p;
  const float ef = static_cast<float>(e);
  y2 += -2.12194440e-4f * ef;
  y2 += -0.5f * z;
  return x + y2 + 0.693359375f * ef;
}

// softplus(x) = log(1 + e^x), computed without overflow.
#pragma omp declare simd
inline float softplus(float x) {
  const float ax = x < 0.0f ? -x : x;
  return (x > 0.0f ? x : 0.0f) + log1p_unit(exp_approx(-ax));
}

}  // namespace fastinit
