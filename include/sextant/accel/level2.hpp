#pragma once
// Sextant's own matrix-vector kernels, Σw and Xw, in AVX-512 and AVX2+FMA versions; the cpu backend
// calls them where level2_kernels() is not none (OpenBLAS otherwise). Both products are bound by
// reading the matrix, so these run at about OpenBLAS's speed alone; they exist so the risk engine's
// hot paths thread through TBB alone. OpenBLAS's idle threads spin (sched_yield) for ~2^28 cycles
// after each threaded call, and on a 2-core machine that slows the TBB code that follows, and the
// threaded dsymv itself at n = 1,000 (src/accel/level2.cpp).
#include "sextant/core/matrix.hpp"

namespace sextant::accel {

enum class Level2Kernels { none, avx2, avx512 };
//! The widest the CPU runs: avx512 (unless SME_AVX512=0), avx2 with FMA (unless SME_AVX2=0), or none.
Level2Kernels level2_kernels();

//! y = a·x for symmetric a of N×N, reading only its lower triangle and diagonal; x and y have N
//! entries. Requires level2_kernels() != none. Independent of the number of threads.
void symmetric_matvec(MatrixView a, const double* x, double* y);
//! y = a·x for a of M×N (x: N entries, y: M). Requires level2_kernels() != none. Each y_r is one row's sum.
void matvec(MatrixView a, const double* x, double* y);

}  // namespace sextant::accel
