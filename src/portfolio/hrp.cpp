// Hierarchical risk parity (López de Prado 2016); conventions in optimize.hpp.
#include "model.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>

#include "sextant/core/error.hpp"

namespace sextant::portfolio::detail {

std::vector<double> hrp(const OptimizeInput& in) {
  const std::size_t n = in.mu.size();
  if (in.constraints.beyond_budget() || !in.constraints.long_only)
    fail(ErrorCode::invalid_argument, "constraints", "hrp supports the long-only budget only");
  for (std::size_t i = 0; i < n; ++i)
    if (!(in.sigma(i, i) > 0)) fail(ErrorCode::invalid_argument, fmt::format("covariance[{}][{}]", i, i), "hrp needs positive variances");
  auto dist = [&](std::size_t i, std::size_t j) {
    double rho = in.sigma(i, j) / std::sqrt(in.sigma(i, i) * in.sigma(j, j));
    return std::sqrt(std::clamp((1.0 - rho) / 2.0, 0.0, 1.0));
  };
  // Single linkage = Kruskal on the minimum spanning tree (Prim, O(n²)).
  struct Edge { double d; std::size_t a, b, found; };
  std::vector<Edge> edges;
  {
    std::vector<char> in_tree(n, 0);
    std::vector<double> best(n, kInf);
    std::vector<std::size_t> from(n, 0);
    std::size_t cur = 0;
    in_tree[0] = 1;
    for (std::size_t step = 1; step < n; ++step) {
      for (std::size_t j = 0; j < n; ++j)
        if (!in_tree[j]) {
          double d = dist(cur, j);
          if (d < best[j]) best[j] = d, from[j] = cur;
        }
      std::size_t nxt = n;
      for (std::size_t j = 0; j < n; ++j)
        if (!in_tree[j] && (nxt == n || best[j] < best[nxt])) nxt = j;
      edges.push_back({best[nxt], from[nxt], nxt, step});
      in_tree[nxt] = 1;
      cur = nxt;
    }
  }
  std::stable_sort(edges.begin(), edges.end(), [](const Edge& x, const Edge& y) { return x.d < y.d; });
  std::vector<std::size_t> parent(n), cluster(n);  // union-find over leaves; cluster id of each root
  std::iota(parent.begin(), parent.end(), 0);
  std::iota(cluster.begin(), cluster.end(), 0);
  std::function<std::size_t(std::size_t)> root = [&](std::size_t x) { return parent[x] == x ? x : parent[x] = root(parent[x]); };
  std::vector<std::pair<std::size_t, std::size_t>> children;  // of cluster n + k
  for (const auto& e : edges) {
    std::size_t ra = root(e.a), rb = root(e.b);
    std::size_t ca = cluster[ra], cb = cluster[rb];
    children.emplace_back(std::min(ca, cb), std::max(ca, cb));
    parent[rb] = ra;
    cluster[ra] = n + children.size() - 1;
  }
  std::vector<std::size_t> order;  // quasi-diagonal: leaves left-first
  std::vector<std::size_t> stack{n == 1 ? 0 : 2 * n - 2};
  while (!stack.empty()) {
    std::size_t c = stack.back();
    stack.pop_back();
    if (c < n) order.push_back(c);
    else stack.push_back(children[c - n].second), stack.push_back(children[c - n].first);
  }
  auto cluster_var = [&](std::size_t lo, std::size_t hi) {  // inverse-variance portfolio of order[lo, hi)
    double s = 0;
    for (std::size_t k = lo; k < hi; ++k) s += 1.0 / in.sigma(order[k], order[k]);
    double v = 0;
    for (std::size_t k = lo; k < hi; ++k)
      for (std::size_t l = lo; l < hi; ++l)
        v += in.sigma(order[k], order[l]) / (in.sigma(order[k], order[k]) * in.sigma(order[l], order[l]) * s * s);
    return v;
  };
  std::vector<double> w(n, 1.0);
  std::vector<std::pair<std::size_t, std::size_t>> items{{0, n}};
  while (!items.empty()) {
    std::vector<std::pair<std::size_t, std::size_t>> next;
    for (auto [lo, hi] : items) {
      if (hi - lo < 2) continue;
      std::size_t mid = lo + (hi - lo) / 2;
      double vl = cluster_var(lo, mid), vr = cluster_var(mid, hi);
      double alpha = 1 - vl / (vl + vr);
      for (std::size_t k = lo; k < mid; ++k) w[order[k]] *= alpha;
      for (std::size_t k = mid; k < hi; ++k) w[order[k]] *= 1 - alpha;
      next.emplace_back(lo, mid), next.emplace_back(mid, hi);
    }
    items = std::move(next);
  }
  for (auto& v : w) v *= in.constraints.budget;
  return w;
}

}  // namespace sextant::portfolio::detail
