#pragma once
// Zero-copy bridges from sextant views to Eigen. Include only where Eigen is used: it is a heavy header.
#include <Eigen/Core>

#include "sextant/core/matrix.hpp"

namespace sextant {

using EigenRowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ConstEigenMap = Eigen::Map<const EigenRowMajor, Eigen::Unaligned, Eigen::OuterStride<>>;
using EigenMap = Eigen::Map<EigenRowMajor, Eigen::Unaligned, Eigen::OuterStride<>>;

inline ConstEigenMap as_eigen(MatrixView v) {
  return ConstEigenMap(v.data, Eigen::Index(v.rows), Eigen::Index(v.cols), Eigen::OuterStride<>(Eigen::Index(v.ld)));
}
inline EigenMap as_eigen(MutMatrixView v) {
  return EigenMap(v.data, Eigen::Index(v.rows), Eigen::Index(v.cols), Eigen::OuterStride<>(Eigen::Index(v.ld)));
}

}  // namespace sextant
