// Sextant's side of the risk peer benchmark (bench/peers/risk/risk_peer.py drives it).
//   risk_peer <dir> <iterations>
// Reads <dir>/{cov.f64 (1000²), mu.f64, w1000.f64, panel.f64 (2520×1000), mc_cov.f64 (500²), w500.f64},
// times each workload (median of `iterations` after a warm-up) and writes <dir>/sextant.json with the
// times and the figures for the driver to check.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "sextant/accel/ops.hpp"
#include "sextant/risk/pretrade.hpp"
#include "sextant/risk/scenarios.hpp"
#include "sextant/risk/var.hpp"

using namespace sextant;

std::vector<double> load(const std::string& path, std::size_t n) {
  std::vector<double> v(n);
  std::ifstream(path, std::ios::binary).read(reinterpret_cast<char*>(v.data()), std::streamsize(n * sizeof(double)));
  return v;
}

template <class F>
double median_ms(int iterations, F&& f) {
  f();
  std::vector<double> ms;
  for (int i = 0; i < iterations; ++i) {
    auto s = std::chrono::steady_clock::now();
    f();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - s).count());
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

int main(int argc, char** argv) {
  const std::string dir = argv[1];
  const int iterations = std::atoi(argv[2]);
  Matrix cov(1000, 1000), panel(2520, 1000), mc_cov(500, 500);
  auto c = load(dir + "/cov.f64", 1000 * 1000);
  std::copy(c.begin(), c.end(), cov.data());
  auto p = load(dir + "/panel.f64", 2520 * 1000);
  std::copy(p.begin(), p.end(), panel.data());
  auto m = load(dir + "/mc_cov.f64", 500 * 500);
  std::copy(m.begin(), m.end(), mc_cov.data());
  auto mu = load(dir + "/mu.f64", 1000), w = load(dir + "/w1000.f64", 1000), w5 = load(dir + "/w500.f64", 500);

  risk::VarOptions g;
  g.confidence_levels = {0.99};
  g.methods = {risk::VarMethod::gaussian};
  risk::VarFigures gf;
  // The sub-millisecond workloads get as many warm runs as numpy's timing loop gives its side.
  double t_gauss = median_ms(std::max(iterations, 100), [&] { gf = risk::parametric_var(mu, cov, w, g).results[0][0].second; });

  risk::VarOptions h;
  h.confidence_levels = {0.99};
  h.methods = {risk::VarMethod::historical};
  risk::VarFigures hf;
  double t_hist = median_ms(std::max(iterations, 50), [&] { hf = risk::calculate_var(panel, w, h).results[0][0].second; });
  // The same figures from scenarios prepared once (8-bit screen, then the tail days exactly).
  risk::HistoricalScenarios scenarios;
  double t_prepare = median_ms(iterations, [&] { scenarios = risk::prepare_scenarios(panel); });
  risk::VarFigures pf;
  double t_prepared = median_ms(std::max(iterations, 50), [&] { pf = risk::historical_var(scenarios, w, h)[0]; });

  // Monte Carlo through the op the risk engine uses: the portfolio returns of N(0, Σ) scenarios
  // (accel::sample_portfolio), then the VaR quantile.
  double mc_var = 0;
  double t_mc = median_ms(std::max(1, iterations / 5), [&] {
    Matrix l = accel::cholesky(mc_cov);
    accel::SampleSpec spec;
    spec.seed = 42;
    spec.chol = l;
    std::vector<double> v = accel::sample_portfolio(spec, 100000, w5);
    std::sort(v.begin(), v.end());
    mc_var = -risk::quantile_sorted(v, 0.01, risk::QuantileMethod::linear);
  });

  // Pre-trade: 10,000 checks of random orders on the 500-asset book (VaR limit set).
  std::vector<double> pos(500, 100.0), px(500, 50.0);
  risk::PretradeLimits lim;
  lim.max_var = 1e12;
  risk::PretradeChecker checker(mc_cov, pos, px, lim);
  std::mt19937_64 rng(1);
  double t_pre = median_ms(iterations, [&] {
    for (int k = 0; k < 10000; ++k) checker.check({std::size_t(rng() % 500), double(int(rng() % 200) - 100), 50.0}, k);
  });

  std::ofstream out(dir + "/sextant.json");
  out.precision(17);
  out << "{\"gaussian_ms\":" << t_gauss << ",\"gaussian_var\":" << gf.var << ",\"gaussian_es\":" << gf.es
      << ",\"gaussian_component0\":" << gf.component_var[0] << ",\"historical_ms\":" << t_hist
      << ",\"historical_var\":" << hf.var << ",\"historical_es\":" << hf.es << ",\"prepared_ms\":" << t_prepared
      << ",\"prepare_ms\":" << t_prepare << ",\"prepared_var\":" << pf.var << ",\"prepared_es\":" << pf.es << ",\"mc_ms\":" << t_mc
      << ",\"mc_var\":" << mc_var << ",\"pretrade_10k_ms\":" << t_pre << "}\n";
  return 0;
}
