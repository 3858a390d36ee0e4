#pragma once

// CPU dispatch, decided once for every source file.
//
// On x86-64 Linux the element-wise kernels marked FASTINIT_CLONES are compiled for AVX-512, AVX2
// and the baseline, and the loader picks a clone by the CPU (function multi-versioning through
// ifunc): wheels stay portable while using the machine's vector width. A few kernels are also
// written with AVX-512 intrinsics (FASTINIT_HAVE_AVX512_KERNELS) and chosen at run time by
// __builtin_cpu_supports. Results depend on the instruction set through summation order only,
// never on the thread count.
//
// Everywhere else (aarch64, macOS, MSVC) the kernels compile once for the target, with no
// attributes: the compiler's own vectorizer and -march flags decide.
//
// FASTINIT_DISPATCH_LEVEL narrows the choice so that tests can run the paths a development
// machine would never pick (CMake's FASTINIT_DISPATCH option): 2 = AVX-512, AVX2 and baseline
// (default), 1 = AVX2 and baseline, 0 = baseline only.
#ifndef FASTINIT_DISPATCH_LEVEL
#define FASTINIT_DISPATCH_LEVEL 2
#endif

#if defined(__x86_64__) && defined(__linux__) && defined(__GNUC__)
#define FASTINIT_X86_DISPATCH 1
#else
#define FASTINIT_X86_DISPATCH 0
#endif

#if FASTINIT_X86_DISPATCH && FASTINIT_DISPATCH_LEVEL >= 2
#define FASTINIT_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#define FASTINIT_HAVE_AVX512_KERNELS 1
#elif FASTINIT_X86_DISPATCH && FASTINIT_DISPATCH_LEVEL == 1
#define FASTINIT_CLONES __attribute__((target_clones("avx2", "default")))
#define FASTINIT_HAVE_AVX512_KERNELS 0
#else
#define FASTINIT_CLONES
#define FASTINIT_HAVE_AVX512_KERNELS 0
#endif

#if FASTINIT_HAVE_AVX512_KERNELS
#include <immintrin.h>
#endif

namespace fastinit {

// The dispatch this build was compiled for, for build_info: "avx512+avx2+baseline",
// "avx2+baseline", "baseline" (x86-64 Linux) or "compiler target" (elsewhere).
constexpr const char* kDispatch = !FASTINIT_X86_DISPATCH       ? "compiler target"
                                  : FASTINIT_DISPATCH_LEVEL >= 2 ? "avx512+avx2+baseline"
                                  : FASTINIT_DISPATCH_LEVEL == 1 ? "avx2+baseline"
                                                                 : "baseline";

}  // namespace fastinit
