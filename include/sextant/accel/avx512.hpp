#pragma once
// Sextant's own AVX-512 kernel, which the cpu backend calls where cpu_has_avx512() (OpenBLAS
// otherwise): centred_cross_product, for covariance and correlation: C = (X − 1μᵀ)ᵀ(X − 1μᵀ),
// centring while it packs. The OpenBLAS this platform links may run AVX2 kernels on an AVX-512 CPU
// (this project's machines set OPENBLAS_CORETYPE=Haswell); there its dsyrk takes 27 ms for
// 2,520 × 1,000 and this kernel 12 ms (src/accel/syrk_avx512.cpp). The matrix-vector kernels are in
// level2.hpp.
#include "sextant/core/matrix.hpp"

namespace sextant::accel {

//! True where the CPU and OS run AVX-512F code, which centred_cross_product needs, unless the
//! environment sets SME_AVX512=0 (or off).
bool cpu_has_avx512();

//! c = (x − 1·meanᵀ)ᵀ(x − 1·meanᵀ) for x of T×N and c of N×N: the lower triangle and diagonal are
//! written, entries above the diagonal are left unspecified (callers mirror). mean has N entries.
//! Requires cpu_has_avx512(). The sums run in a fixed order, so the result does not depend on the
//! number of threads.
void centred_cross_product(MatrixView x, const double* mean, MutMatrixView c);
//! The same in single precision: the centring is in double, the products and sums in float.
void centred_cross_product(MatrixView x, const double* mean, BasicMatrixView<float> c);

}  // namespace sextant::accel
