// Risk benchmarks (issue 3 targets), in-process:
//   cmake --preset bench && cmake --build --preset bench --target var_bench && build/bench/bench/var_bench
// Each benchmark checks its decomposition sums to the total before timing.
#include <benchmark/benchmark.h>

#include <cmath>
#include <numeric>
#include <random>
#include <stdexcept>

#include "common/synthetic.hpp"
#include "sextant/accel/ops.hpp"
#include "sextant/accel/router.hpp"
#include "sextant/risk/pretrade.hpp"
#include "sextant/risk/scenarios.hpp"
#include "sextant/risk/var.hpp"

#include <algorithm>
#include <chrono>

namespace {

using namespace sextant;

Matrix returns(std::size_t t, std::size_t n, std::uint64_t seed) { return bench::synthetic_returns(t, n, seed); }

void check_sum(const risk::VarFigures& f) {
  double s = std::accumulate(f.component_var.begin(), f.component_var.end(), 0.0);
  if (std::abs(s - f.var) > 1e-12 * std::max(1.0, std::abs(f.var))) throw std::runtime_error("components do not sum");
}

void BM_GaussianVarGivenCovariance(benchmark::State& state) {
  const std::size_t n = state.range(0);
  Matrix x = returns(2520, n, 1);
  Matrix cov = accel::covariance(x);
  std::vector<double> mu(n, 0.0002), w(n, 1.0 / double(n));
  risk::VarOptions opt;
  opt.confidence_levels = {0.99};
  opt.methods = {risk::VarMethod::gaussian};
  check_sum(risk::parametric_var(mu, cov, w, opt).results[0][0].second);
  for (auto _ : state) benchmark::DoNotOptimize(risk::parametric_var(mu, cov, w, opt));
}
BENCHMARK(BM_GaussianVarGivenCovariance)->Arg(1000)->Unit(benchmark::kMicrosecond);

// Historical VaR at 99% of an equal-weight book on t days × n assets.
struct HistoricalCase {
  Matrix x;
  std::vector<double> w;
  risk::VarOptions opt;
  explicit HistoricalCase(const benchmark::State& state)
      : x(returns(state.range(0), state.range(1), 2)), w(x.cols(), 1.0 / double(x.cols())) {
    opt.confidence_levels = {0.99};
    opt.methods = {risk::VarMethod::historical};
  }
};

void BM_HistoricalVar(benchmark::State& state) {
  HistoricalCase c(state);
  check_sum(risk::calculate_var(c.x, c.w, c.opt).results[0][0].second);
  for (auto _ : state) benchmark::DoNotOptimize(risk::calculate_var(c.x, c.w, c.opt));
}
BENCHMARK(BM_HistoricalVar)->Args({2520, 1000})->Unit(benchmark::kMillisecond);

// The same figures from prepared scenarios (include/sextant/risk/scenarios.hpp): the 8-bit screen,
// then the tail days exactly. Preparing is timed on its own below (once per panel).
void BM_HistoricalVarPrepared(benchmark::State& state) {
  HistoricalCase c(state);
  const risk::HistoricalScenarios s = risk::prepare_scenarios(c.x);
  const risk::VarFigures f = risk::historical_var(s, c.w, c.opt)[0];
  check_sum(f);
  if (std::abs(f.var - risk::calculate_var(c.x, c.w, c.opt).results[0][0].second.var) > 1e-12 * f.var)
    throw std::runtime_error("prepared and full-pass VaR differ");
  for (auto _ : state) benchmark::DoNotOptimize(risk::historical_var(s, c.w, c.opt));
}
BENCHMARK(BM_HistoricalVarPrepared)->Args({2520, 1000})->Unit(benchmark::kMicrosecond);

void BM_PrepareScenarios(benchmark::State& state) {
  Matrix x = returns(state.range(0), state.range(1), 2);
  for (auto _ : state) benchmark::DoNotOptimize(risk::prepare_scenarios(x));
}
BENCHMARK(BM_PrepareScenarios)->Args({2520, 1000})->Unit(benchmark::kMillisecond);

// Monte Carlo VaR at 99% of an equal-weight book on `sims` scenarios × n assets.
struct McCase {
  Matrix x;
  std::vector<double> w;
  risk::VarOptions opt;
  McCase(std::size_t sims, std::size_t n) : x(returns(1000, n, 3)), w(n, 1.0 / double(n)) {
    opt.confidence_levels = {0.99};
    opt.methods = {risk::VarMethod::monte_carlo};
    opt.simulations = sims;
  }
};

void BM_MonteCarloVar(benchmark::State& state) {
  McCase mc(state.range(0), state.range(1));
  const auto& [x, w, opt] = mc;
  for (auto _ : state) benchmark::DoNotOptimize(risk::calculate_var(x, w, opt));
}
BENCHMARK(BM_MonteCarloVar)->Args({100000, 500})->Unit(benchmark::kMillisecond)->Iterations(3);

// The same Monte Carlo with every accelerator op on the `reference` backend (SME_ACCELERATION=0):
// plain loops that form each scenario μ + L z in full. Checks that both give the same VaR first.
void BM_MonteCarloVarReference(benchmark::State& state) {
  McCase mc(state.range(0), state.range(1));
  const auto& [x, w, opt] = mc;
  const double fast = risk::calculate_var(x, w, opt).results[0][0].second.var;
  accel::Settings ref = accel::Router::instance().settings();
  const accel::Settings saved = ref;
  ref.forced = accel::Backend::reference;
  accel::Router::reset(ref);
  double slow = 0;
  for (auto _ : state) slow = risk::calculate_var(x, w, opt).results[0][0].second.var;
  accel::Router::reset(saved);
  if (std::abs(slow - fast) > 1e-10 * std::abs(fast)) throw std::runtime_error("reference and cpu Monte Carlo VaR differ");
}
BENCHMARK(BM_MonteCarloVarReference)->Args({100000, 500})->Unit(benchmark::kMillisecond)->Iterations(1);

// The same Monte Carlo with the scenario draw (accel::sample_portfolio, size = cube root of rows·d²)
// sent to cuda by SME_LARGE_THRESHOLD=2048; the other ops route as calibrated. Registered in main only
// where the cuda backend is built and a GPU is visible. Checked against the cpu backend first.
void BM_MonteCarloVarCuda(benchmark::State& state) {
  McCase mc(state.range(0), state.range(1));
  const auto& [x, w, opt] = mc;
  const accel::Settings saved = accel::Router::instance().settings();
  accel::Settings cpu = saved;
  cpu.forced = accel::Backend::cpu;
  accel::Router::reset(cpu);
  const double host = risk::calculate_var(x, w, opt).results[0][0].second.var;
  accel::Settings gpu = saved;
  gpu.large_threshold = 2048;
  accel::Router::reset(gpu);
  double got = risk::calculate_var(x, w, opt).results[0][0].second.var;  // also calibrates, untimed
  for (auto _ : state) got = risk::calculate_var(x, w, opt).results[0][0].second.var;
  const bool used_gpu = accel::Router::instance().counters(accel::Op::sample_portfolio, accel::Backend::cuda).calls > 0;
  accel::Router::reset(saved);
  if (!used_gpu) throw std::runtime_error("the Monte Carlo draw did not run on the cuda backend");
  if (std::abs(got - host) > 1e-10 * std::abs(host)) throw std::runtime_error("cuda and cpu Monte Carlo VaR differ");
}

// A pre-trade check on a 500-asset portfolio with every limit set; p50/p99 over the iterations.
void BM_PretradeCheck(benchmark::State& state) {
  const std::size_t n = state.range(0);
  Matrix cov = accel::covariance(returns(1000, n, 4));
  std::vector<double> pos(n, 100.0), px(n, 50.0);
  risk::PretradeLimits l;
  l.max_order_notional = 1e6, l.max_position = 1e5, l.max_gross_exposure = 1e8, l.max_net_exposure = 1e8;
  l.max_var = 1e9, l.max_orders_per_second = 1'000'000'000;
  risk::PretradeChecker checker(cov, pos, px, l);
  std::mt19937_64 rng(5);
  std::vector<double> ns;
  std::int64_t now = 0;
  for (auto _ : state) {
    risk::Order o{std::size_t(rng() % n), double(int(rng() % 200) - 100), 50.0};
    auto start = std::chrono::steady_clock::now();
    auto d = checker.check(o, now += 1000);
    ns.push_back(std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count());
    benchmark::DoNotOptimize(d);
  }
  std::sort(ns.begin(), ns.end());
  state.counters["p50_us"] = ns[ns.size() / 2] / 1e3;
  state.counters["p99_us"] = ns[ns.size() * 99 / 100] / 1e3;
}
BENCHMARK(BM_PretradeCheck)->Arg(500)->Iterations(100000)->Unit(benchmark::kMicrosecond);

// The 1% tail quantile of n portfolio returns (historical: 2,520 days; Monte Carlo: 100,000
// scenarios). Arg 1 = 0: risk::quantile_select; 1: std::nth_element plus the next order statistic,
// the plain selection it replaced. Both time the copy into scratch.
void BM_QuantileSelect(benchmark::State& state) {
  const std::size_t n = state.range(0);
  std::mt19937_64 rng(6);
  std::normal_distribution<double> g(0.0, 0.01);
  std::vector<double> v(n), scratch(n);
  for (double& x : v) x = g(rng);
  const std::size_t k = std::size_t(std::floor(double(n - 1) * 0.01));
  for (auto _ : state) {
    scratch = v;
    if (state.range(1) == 0) {
      benchmark::DoNotOptimize(risk::quantile_select(scratch, 0.01, risk::QuantileMethod::linear));
    } else {
      std::nth_element(scratch.begin(), scratch.begin() + std::ptrdiff_t(k), scratch.end());
      benchmark::DoNotOptimize(*std::min_element(scratch.begin() + std::ptrdiff_t(k) + 1, scratch.end()));
    }
  }
}
BENCHMARK(BM_QuantileSelect)->Args({2520, 0})->Args({2520, 1})->Args({100000, 0})->Args({100000, 1})->Unit(benchmark::kMicrosecond);

}  // namespace

int main(int argc, char** argv) {
  if (accel::Router::instance().available(accel::Backend::cuda))
    benchmark::RegisterBenchmark("BM_MonteCarloVarCuda", BM_MonteCarloVarCuda)
        ->Args({100000, 500})
        ->Args({1000000, 500})
        ->Unit(benchmark::kMillisecond)
        ->Iterations(3);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
