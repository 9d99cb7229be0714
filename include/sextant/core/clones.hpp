#pragma once
// SEXTANT_SIMD_CLONES: hot loops over instruments or columns compiled three times (AVX-512, AVX2, the
// baseline), picked at load time by the CPU.
//
// No exception may leave such a function: GCC 12 treats calls through the clones' dispatcher as
// nothrow, and a throw there ends in std::terminate. Under ThreadSanitizer there is one baseline
// version: the clones' resolver runs while the loader relocates, before TSan has started, and crashes
// in its function-entry hook.
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SEXTANT_NO_CLONES 1
#endif
#endif
#if defined(SEXTANT_NO_CLONES) || defined(__SANITIZE_THREAD__)
#define SEXTANT_SIMD_CLONES
#else
#define SEXTANT_SIMD_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#endif
