#pragma once
// Eight-lane GCC vectors for the analytics loops that run across instruments or columns.

// Hot loops over the instruments are compiled three times, picked at load time by the CPU. No
// exception may leave such a function: GCC 12 treats calls through the clones' dispatcher as
// nothrow, and a throw there ends in std::terminate (rolling.cpp dispatches by hand for that reason).
// Under ThreadSanitizer there is one baseline version: the clones' resolver runs while the loader
// relocates, before TSan has started, and crashes in its function-entry hook.
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

namespace sextant::analytics {

using V8 = double __attribute__((vector_size(64)));  // GCC vector: one zmm, two ymm or four xmm

}  // namespace sextant::analytics
