#pragma once
// Eight-lane GCC vectors for the analytics loops that run across instruments or columns.

#include "sextant/core/clones.hpp"  // SEXTANT_SIMD_CLONES (rolling.cpp dispatches by hand: its kernels throw)

namespace sextant::analytics {

using V8 = double __attribute__((vector_size(64)));  // GCC vector: one zmm, two ymm or four xmm

}  // namespace sextant::analytics
