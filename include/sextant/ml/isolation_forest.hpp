#pragma once
// Isolation forest (Liu, Ting and Zhou, 2008): trees that split a subsample at random features and
// random values; anomalies isolate in few splits. score = 2^(-E[h(x)] / c(ψ)), in (0, 1]: above 0.5 is
// anomalous, near 1 very. c(n) = 2H(n-1) - 2(n-1)/n is the mean path length of an unsuccessful search
// in a binary search tree of n points, added at a leaf that still holds n > 1 points.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace sextant::ml {

struct IsolationNode {
  double split = 0;
  std::int32_t feature = -1;  //!< -1: a leaf
  std::uint32_t left = 0, right = 0;
  std::uint32_t size = 0;     //!< points at a leaf
};

struct IsolationForest {
  std::vector<IsolationNode> nodes;
  std::vector<std::uint32_t> roots;
  std::size_t features = 0, sample = 0;
  std::uint64_t seed = 0;
};

//! `rows` × `cols` row-major, finite. trees in [1, 10000]; sample is clamped to rows.
IsolationForest fit_isolation_forest(const double* x, std::size_t rows, std::size_t cols, std::size_t trees = 100,
                                     std::size_t sample = 256, std::uint64_t seed = 42);
double isolation_score(const IsolationForest& f, const double* row);

}  // namespace sextant::ml
