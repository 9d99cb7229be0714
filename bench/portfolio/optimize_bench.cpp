// Portfolio optimiser benchmarks (issue 4 targets): long-only min-variance for n = 500 with the
// covariance of 1,000 days (target 20 ms), and a 50-point frontier for n = 100 (target 100 ms).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "common/synthetic.hpp"
#include "sextant/accel/ops.hpp"
#include "sextant/portfolio/optimize.hpp"

namespace {

using namespace sextant;

portfolio::OptimizeInput problem(std::size_t n) {
  Matrix x = bench::synthetic_returns_mixed(1000, n, 17 + n);
  portfolio::OptimizeInput in;
  in.mu.assign(n, 0.0);
  for (std::size_t t = 0; t < x.rows(); ++t)
    for (std::size_t j = 0; j < n; ++j) in.mu[j] += x(t, j) / double(x.rows());
  in.sigma = accel::covariance(x);
  return in;
}

void BM_MinVarianceLongOnly(benchmark::State& st) {
  auto in = problem(std::size_t(st.range(0)));
  int held = 0;
  for (auto _ : st) {
    auto r = portfolio::optimize(in);
    benchmark::DoNotOptimize(r.weights.data());
    held = 0;
    for (double w : r.weights) held += w > 1e-12;
  }
  st.counters["held"] = held;
}
BENCHMARK(BM_MinVarianceLongOnly)->Arg(100)->Arg(500)->Arg(1000)->Unit(benchmark::kMillisecond)->UseRealTime();

// Long-only, at a volatility halfway between the min-variance and the max-return portfolios'.
void BM_TargetVolatility(benchmark::State& st) {
  auto in = problem(std::size_t(st.range(0)));
  in.objective = portfolio::Objective::min_variance;
  const double vmin = portfolio::optimize(in).volatility;
  double vmax = 0;
  for (std::size_t i = 0; i < in.mu.size(); ++i)
    if (in.mu[i] == *std::max_element(in.mu.begin(), in.mu.end())) vmax = std::sqrt(in.sigma(i, i));
  in.objective = portfolio::Objective::target_volatility;
  in.target_volatility = 0.5 * (vmin + vmax);
  int iterations = 0;
  for (auto _ : st) {
    auto r = portfolio::optimize(in);
    benchmark::DoNotOptimize(r.weights.data());
    iterations = r.iterations;
    if (std::abs(r.volatility - *in.target_volatility) > 1e-9 * *in.target_volatility) st.SkipWithError("missed the target");
  }
  st.counters["qp_iterations"] = iterations;
}
BENCHMARK(BM_TargetVolatility)->Arg(100)->Arg(500)->Arg(1000)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Frontier50(benchmark::State& st) {
  auto in = problem(std::size_t(st.range(0)));
  for (auto _ : st) {
    auto pts = portfolio::efficient_frontier(in, 50);
    benchmark::DoNotOptimize(pts.data());
  }
}
BENCHMARK(BM_Frontier50)->Arg(100)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_MaxSharpeLongOnly(benchmark::State& st) {
  auto in = problem(std::size_t(st.range(0)));
  in.objective = portfolio::Objective::max_sharpe;
  for (auto _ : st) benchmark::DoNotOptimize(portfolio::optimize(in).weights.data());
}
BENCHMARK(BM_MaxSharpeLongOnly)->Arg(500)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_RiskParity(benchmark::State& st) {
  auto in = problem(std::size_t(st.range(0)));
  in.objective = portfolio::Objective::risk_parity;
  for (auto _ : st) benchmark::DoNotOptimize(portfolio::optimize(in).weights.data());
}
BENCHMARK(BM_RiskParity)->Arg(500)->Unit(benchmark::kMillisecond)->UseRealTime();

// min-CVaR (Rockafellar-Uryasev LP, Clp): 2,520 return scenarios of n assets, α = 0.95.
void BM_MinCvar(benchmark::State& st) {
  const std::size_t n = std::size_t(st.range(0));
  portfolio::OptimizeInput in;
  in.scenarios = bench::synthetic_returns_mixed(2520, n, 29 + n);
  in.mu.assign(n, 0.0);
  in.sigma = accel::covariance(in.scenarios);
  in.objective = portfolio::Objective::min_cvar;
  double cvar = 0;
  for (auto _ : st) cvar = *portfolio::optimize(in).cvar;
  st.counters["cvar"] = cvar;
}
BENCHMARK(BM_MinCvar)->Arg(50)->Arg(200)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);

}  // namespace

BENCHMARK_MAIN();
