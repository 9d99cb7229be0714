// Isolation forest (isolation_forest.hpp).
#include "sextant/ml/isolation_forest.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "sextant/core/error.hpp"

namespace sextant::ml {
namespace {

double c_of(double n) {
  if (n <= 1) return 0;
  if (n == 2) return 1;
  return 2.0 * (std::log(n - 1) + 0.5772156649015329) - 2.0 * (n - 1) / n;
}

struct Builder {
  const double* x;
  std::size_t cols;
  std::size_t limit;
  std::mt19937_64 rng;
  std::vector<IsolationNode>& nodes;

  std::uint32_t grow(std::vector<std::size_t>& idx, std::size_t lo, std::size_t hi, std::size_t depth) {
    const std::uint32_t at = std::uint32_t(nodes.size());
    nodes.push_back({});
    const std::size_t n = hi - lo;
    if (depth >= limit || n <= 1) {
      nodes[at].size = std::uint32_t(n);
      return at;
    }
    // A random feature among those not constant here, then a uniform value inside its range.
    std::vector<std::size_t> order(cols);
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), rng);
    for (std::size_t f : order) {
      double mn = INFINITY, mx = -INFINITY;
      for (std::size_t i = lo; i < hi; ++i) mn = std::min(mn, x[idx[i] * cols + f]), mx = std::max(mx, x[idx[i] * cols + f]);
      if (!(mx > mn)) continue;
      double split = std::uniform_real_distribution<double>(mn, mx)(rng);
      if (split <= mn) split = std::nextafter(mn, mx);
      const auto mid = std::partition(idx.begin() + long(lo), idx.begin() + long(hi), [&](std::size_t r) { return x[r * cols + f] < split; });
      const std::size_t m = std::size_t(mid - idx.begin());
      const std::uint32_t l = grow(idx, lo, m, depth + 1);
      const std::uint32_t r = grow(idx, m, hi, depth + 1);
      nodes[at] = {split, std::int32_t(f), l, r, 0};
      return at;
    }
    nodes[at].size = std::uint32_t(n);  // every feature constant: a leaf of n equal points
    return at;
  }
};

}  // namespace

IsolationForest fit_isolation_forest(const double* x, std::size_t rows, std::size_t cols, std::size_t trees, std::size_t sample,
                                     std::uint64_t seed) {
  if (rows < 2 || cols < 1) fail(ErrorCode::invalid_argument, "X", "needs at least 2 rows and 1 column, got {}×{}", rows, cols);
  if (trees < 1 || trees > 10000) fail(ErrorCode::invalid_argument, "trees", "must be in [1, 10000], not {}", trees);
  if (sample < 2) fail(ErrorCode::invalid_argument, "sample", "must be >= 2, not {}", sample);
  for (std::size_t i = 0; i < rows * cols; ++i)
    if (!std::isfinite(x[i])) fail(ErrorCode::non_finite, fmt::format("X[{}][{}]", i / cols, i % cols), "values must be finite");
  IsolationForest f;
  f.features = cols, f.sample = std::min(sample, rows), f.seed = seed;
  Builder b{x, cols, std::size_t(std::ceil(std::log2(double(f.sample)))), std::mt19937_64(seed), f.nodes};
  std::vector<std::size_t> all(rows);
  std::iota(all.begin(), all.end(), 0);
  for (std::size_t t = 0; t < trees; ++t) {
    std::vector<std::size_t> idx(f.sample);
    std::sample(all.begin(), all.end(), idx.begin(), f.sample, b.rng);
    f.roots.push_back(b.grow(idx, 0, idx.size(), 0));
  }
  return f;
}

double isolation_score(const IsolationForest& f, const double* row) {
  double total = 0;
  for (std::uint32_t r : f.roots) {
    std::uint32_t i = r;
    double depth = 0;
    while (f.nodes[i].feature >= 0) {
      i = row[f.nodes[i].feature] < f.nodes[i].split ? f.nodes[i].left : f.nodes[i].right;
      ++depth;
    }
    total += depth + c_of(f.nodes[i].size);
  }
  return std::pow(2.0, -(total / double(f.roots.size())) / c_of(double(f.sample)));
}

}  // namespace sextant::ml
