// Gaussian HMM: Baum–Welch, forward filtering, Viterbi (hmm.hpp).
#include "sextant/ml/hmm.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <numeric>

#include "sextant/core/error.hpp"

namespace sextant::ml {
namespace {

double density(double x, double mean, double var) {
  const double d = x - mean;
  return std::exp(-0.5 * d * d / var) / std::sqrt(2 * std::numbers::pi * var);
}

// Scaled forward pass: alpha (T×K, each row sums to 1) and the scales c_t; log p(x) = Σ log c_t.
double forward(const GaussianHmm& m, std::span<const double> x, std::vector<double>& alpha, std::vector<double>& scale,
               std::vector<double>& emit) {
  const std::size_t T = x.size(), K = m.states;
  alpha.assign(T * K, 0), scale.assign(T, 0), emit.assign(T * K, 0);
  double ll = 0;
  for (std::size_t t = 0; t < T; ++t) {
    double c = 0;
    for (std::size_t j = 0; j < K; ++j) {
      emit[t * K + j] = std::max(density(x[t], m.mean[j], m.variance[j]), 1e-300);
      double prior = 0;
      if (t == 0) prior = m.start[j];
      else
        for (std::size_t i = 0; i < K; ++i) prior += alpha[(t - 1) * K + i] * m.transition[i * K + j];
      c += alpha[t * K + j] = prior * emit[t * K + j];
    }
    if (!(c > 0)) c = 1e-300;
    for (std::size_t j = 0; j < K; ++j) alpha[t * K + j] /= c;
    scale[t] = c;
    ll += std::log(c);
  }
  return ll;
}

void check_series(std::span<const double> x, std::size_t need, const char* field) {
  if (x.size() < need) fail(ErrorCode::invalid_argument, field, "needs at least {} values, got {}", need, x.size());
  for (std::size_t i = 0; i < x.size(); ++i)
    if (!std::isfinite(x[i])) fail(ErrorCode::non_finite, fmt::format("{}[{}]", field, i), "values must be finite");
}

}  // namespace

GaussianHmm fit_hmm(std::span<const double> x, std::size_t K, int max_iterations, double tolerance, const char* field) {
  if (K < 1 || K > 10) fail(ErrorCode::invalid_argument, "states", "must be in [1, 10], not {}", K);
  check_series(x, 10 * K, field);
  const std::size_t T = x.size();
  GaussianHmm m;
  m.states = K;
  m.start.assign(K, 1.0 / double(K));
  m.transition.assign(K * K, K > 1 ? 0.05 / double(K - 1) : 1.0);
  for (std::size_t i = 0; i < K; ++i) m.transition[i * K + i] = K > 1 ? 0.95 : 1.0;
  std::vector<double> sorted(x.begin(), x.end());
  std::sort(sorted.begin(), sorted.end());
  double total_var = 0, total_mean = std::accumulate(x.begin(), x.end(), 0.0) / double(T);
  for (double v : x) total_var += (v - total_mean) * (v - total_mean);
  total_var /= double(T);
  if (!(total_var > 0)) fail(ErrorCode::invalid_argument, field, "the series is constant");
  const double floor = 1e-8 * total_var;
  for (std::size_t k = 0; k < K; ++k) {
    const std::size_t a = k * T / K, b = (k + 1) * T / K;
    double s = 0, ss = 0;
    for (std::size_t i = a; i < b; ++i) s += sorted[i];
    const double mu = s / double(b - a);
    for (std::size_t i = a; i < b; ++i) ss += (sorted[i] - mu) * (sorted[i] - mu);
    m.mean.push_back(mu);
    m.variance.push_back(std::max(ss / double(b - a), floor));
  }
  std::vector<double> alpha, scale, emit, beta(T * K), gamma(T * K);
  double prev = -INFINITY;
  for (m.iterations = 0; m.iterations < max_iterations; ++m.iterations) {
    const double ll = forward(m, x, alpha, scale, emit);
    m.loglik = ll;
    if (ll - prev < tolerance * std::max(1.0, std::fabs(ll))) {
      m.converged = true;
      break;
    }
    prev = ll;
    for (std::size_t j = 0; j < K; ++j) beta[(T - 1) * K + j] = 1.0;
    for (std::size_t t = T - 1; t-- > 0;)
      for (std::size_t i = 0; i < K; ++i) {
        double s = 0;
        for (std::size_t j = 0; j < K; ++j) s += m.transition[i * K + j] * emit[(t + 1) * K + j] * beta[(t + 1) * K + j];
        beta[t * K + i] = s / scale[t + 1];
      }
    std::vector<double> xi(K * K, 0.0), occupancy(K, 0.0);
    for (std::size_t t = 0; t < T; ++t) {
      double s = 0;
      for (std::size_t j = 0; j < K; ++j) s += gamma[t * K + j] = alpha[t * K + j] * beta[t * K + j];
      for (std::size_t j = 0; j < K; ++j) gamma[t * K + j] /= s;
      if (t + 1 < T) {
        for (std::size_t i = 0; i < K; ++i) {
          occupancy[i] += gamma[t * K + i];
          for (std::size_t j = 0; j < K; ++j)
            xi[i * K + j] += alpha[t * K + i] * m.transition[i * K + j] * emit[(t + 1) * K + j] * beta[(t + 1) * K + j] / scale[t + 1];
        }
      }
    }
    for (std::size_t i = 0; i < K; ++i) {
      m.start[i] = gamma[i];
      double row = 0;
      for (std::size_t j = 0; j < K; ++j) row += xi[i * K + j];
      for (std::size_t j = 0; j < K; ++j) m.transition[i * K + j] = row > 0 ? xi[i * K + j] / row : 1.0 / double(K);
      double w = 0, s = 0;
      for (std::size_t t = 0; t < T; ++t) w += gamma[t * K + i], s += gamma[t * K + i] * x[t];
      if (!(w > 1e-12)) continue;  // an empty state keeps its emission
      const double mu = s / w;
      double v = 0;
      for (std::size_t t = 0; t < T; ++t) v += gamma[t * K + i] * (x[t] - mu) * (x[t] - mu);
      m.mean[i] = mu, m.variance[i] = std::max(v / w, floor);
    }
  }
  // Order the states by mean.
  std::vector<std::size_t> order(K);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return m.mean[a] < m.mean[b]; });
  GaussianHmm o = m;
  for (std::size_t a = 0; a < K; ++a) {
    o.start[a] = m.start[order[a]], o.mean[a] = m.mean[order[a]], o.variance[a] = m.variance[order[a]];
    for (std::size_t b = 0; b < K; ++b) o.transition[a * K + b] = m.transition[order[a] * K + order[b]];
  }
  o.loglik = hmm_loglik(o, x);
  return o;
}

double hmm_loglik(const GaussianHmm& m, std::span<const double> x) {
  std::vector<double> alpha, scale, emit;
  return forward(m, x, alpha, scale, emit);
}

std::vector<double> hmm_filter(const GaussianHmm& m, std::span<const double> x) {
  check_series(x, 1, "returns");
  std::vector<double> alpha, scale, emit;
  forward(m, x, alpha, scale, emit);
  return alpha;
}

std::vector<std::size_t> hmm_viterbi(const GaussianHmm& m, std::span<const double> x) {
  check_series(x, 1, "returns");
  const std::size_t T = x.size(), K = m.states;
  std::vector<double> v(K), next(K);
  std::vector<std::size_t> back(T * K, 0);
  auto lg = [](double p) { return p > 0 ? std::log(p) : -1e300; };
  for (std::size_t j = 0; j < K; ++j) v[j] = lg(m.start[j]) + lg(density(x[0], m.mean[j], m.variance[j]));
  for (std::size_t t = 1; t < T; ++t) {
    for (std::size_t j = 0; j < K; ++j) {
      std::size_t arg = 0;
      double best = -INFINITY;
      for (std::size_t i = 0; i < K; ++i) {
        const double s = v[i] + lg(m.transition[i * K + j]);
        if (s > best) best = s, arg = i;
      }
      next[j] = best + lg(density(x[t], m.mean[j], m.variance[j]));
      back[t * K + j] = arg;
    }
    v.swap(next);
  }
  std::vector<std::size_t> path(T);
  path[T - 1] = std::size_t(std::max_element(v.begin(), v.end()) - v.begin());
  for (std::size_t t = T - 1; t > 0; --t) path[t - 1] = back[t * K + path[t]];
  return path;
}

}  // namespace sextant::ml
