#pragma once
// The CPU backend's eigensolver for small symmetric matrices (eigh_small.cpp).
#include <cstddef>
#include <span>

#include "sextant/accel/device.hpp"

namespace sextant::accel::detail {

//! The k largest eigenvalues of the symmetric matrix a (its lower triangle is read), descending, in w,
//! and their unit eigenvectors in v's columns (signs not normalised), on the calling thread. The
//! entries must be finite (ops.cpp checks them before any backend runs).
void eigh_topk_small(MatrixView a, std::size_t k, std::span<double> w, MutMatrixView v);

}  // namespace sextant::accel::detail
