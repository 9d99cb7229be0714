#pragma once
// Eight-lane GCC vectors for the analytics loops that run across instruments or columns.

// Hot loops over the instruments are compiled three times, picked at load time by the CPU. No
// exception may leave such a function: GCC 12 treats calls through the clones' dispatcher as
// nothrow, and a throw there ends in std::terminate (rolling.cpp dispatches by hand for that reason).
#define SEXTANT_SIMD_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))

namespace sextant::analytics {

using V8 = double __attribute__((vector_size(64)));  // GCC vector: one zmm, two ymm or four xmm

}  // namespace sextant::analytics
