#pragma once
// Limited-memory BFGS with a backtracking (Armijo) line search: the minimiser behind GARCH's
// likelihood and the logistic models. f(x, g) returns the objective and writes its gradient.
#include <cmath>
#include <deque>
#include <functional>
#include <numeric>
#include <vector>

namespace sextant::ml {

struct LbfgsResult {
  double value = 0;
  int iterations = 0;
  bool converged = false;
};

inline LbfgsResult lbfgs(const std::function<double(const std::vector<double>&, std::vector<double>&)>& f, std::vector<double>& x,
                         int max_iter = 500, double gtol = 1e-9, std::size_t memory = 10) {
  const std::size_t n = x.size();
  auto dot = [n](const std::vector<double>& a, const std::vector<double>& b) {
    double s = 0;
    for (std::size_t i = 0; i < n; ++i) s += a[i] * b[i];
    return s;
  };
  std::vector<double> g(n), d(n), xn(n), gn(n);
  std::deque<std::vector<double>> S, Y;
  std::deque<double> rho;
  LbfgsResult r;
  r.value = f(x, g);
  for (r.iterations = 0; r.iterations < max_iter; ++r.iterations) {
    if (std::sqrt(dot(g, g)) <= gtol * std::max(1.0, std::fabs(r.value))) {
      r.converged = true;
      break;
    }
    // Two-loop recursion: d = -H g.
    d = g;
    std::vector<double> alpha(S.size());
    for (std::size_t k = S.size(); k-- > 0;) {
      alpha[k] = rho[k] * dot(S[k], d);
      for (std::size_t i = 0; i < n; ++i) d[i] -= alpha[k] * Y[k][i];
    }
    if (!S.empty()) {
      const double gamma = dot(S.back(), Y.back()) / dot(Y.back(), Y.back());
      for (double& v : d) v *= gamma;
    }
    for (std::size_t k = 0; k < S.size(); ++k) {
      const double beta = rho[k] * dot(Y[k], d);
      for (std::size_t i = 0; i < n; ++i) d[i] += S[k][i] * (alpha[k] - beta);
    }
    for (double& v : d) v = -v;
    double slope = dot(g, d);
    if (!(slope < 0)) {  // not a descent direction: restart from steepest descent
      S.clear(), Y.clear(), rho.clear();
      for (std::size_t i = 0; i < n; ++i) d[i] = -g[i];
      slope = dot(g, d);
    }
    double step = S.empty() ? std::min(1.0, 1.0 / std::sqrt(dot(g, g))) : 1.0, fn = 0;
    bool moved = false;
    for (int ls = 0; ls < 60; ++ls, step *= 0.5) {
      for (std::size_t i = 0; i < n; ++i) xn[i] = x[i] + step * d[i];
      fn = f(xn, gn);
      if (std::isfinite(fn) && fn <= r.value + 1e-4 * step * slope) {
        moved = true;
        break;
      }
    }
    if (!moved) {
      r.converged = std::sqrt(dot(g, g)) <= 1e-6 * std::max(1.0, std::fabs(r.value));
      break;
    }
    std::vector<double> s(n), y(n);
    for (std::size_t i = 0; i < n; ++i) s[i] = xn[i] - x[i], y[i] = gn[i] - g[i];
    const double sy = dot(s, y);
    if (sy > 1e-300) {
      S.push_back(std::move(s)), Y.push_back(std::move(y)), rho.push_back(1.0 / sy);
      if (S.size() > memory) S.pop_front(), Y.pop_front(), rho.pop_front();
    }
    const double prev = r.value;
    x.swap(xn), g.swap(gn), r.value = fn;
    if (std::fabs(prev - fn) <= 1e-15 * std::max(1.0, std::fabs(fn)) && r.iterations > 5) {
      r.converged = true;
      break;
    }
  }
  return r;
}

}  // namespace sextant::ml
