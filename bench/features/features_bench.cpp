// The features engine's targets (issue 7), each on a seeded synthetic OHLCV universe:
//   cmake --preset bench && cmake --build --preset bench --target features_bench
//   build/bench/bench/features_bench [--benchmark_filter=...]
//
//   Catalogue/last_value      every computable catalogued definition (≥ 380,000, the cross-sectional
//                              ones need more than one instrument) for one instrument with 252 bars,
//                              last value only, program compiled beforehand (compile time reported too);
//                              /0 plans every call, /1 reuses a plan (plan time reported)
//   Alpha158/batch/{1,0}      Alpha158 for 500 instruments × 2,520 days, one thread and all threads
//   WQ101/batch               all 101 alphas, 4,000 instruments × 261 days
//   Stream/active             Alpha158 + WQ101 + the seed families (~760 factors) × 500 instruments:
//                              one new bar, p50/p99 over 300 timed bars
//   Stream/wq20x4000          20 WorldQuant alphas × 4,000 instruments, one new bar (DolphinDB's shape)
//
// Each checks its answer first (the stream against batch on the warm-up bars; batch values finite).
#include <benchmark/benchmark.h>
#include <tbb/global_control.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>
#include <random>
#include <stdexcept>

#include "sextant/features/catalogue.hpp"
#include "sextant/features/evaluate.hpp"
#include "sextant/features/stream.hpp"

namespace {

using namespace sextant::features;
using Ms = std::chrono::duration<double, std::milli>;

// N instruments × T days of random-walk OHLCV with sector/industry/subindustry groups and a cap.
FieldPanel universe(std::size_t T, std::size_t N, std::uint64_t seed) {
  FieldPanel p;
  p.rows = T;
  for (std::size_t j = 0; j < N; ++j) p.instruments.push_back("S" + std::to_string(j));
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> z;
  std::uniform_real_distribution<double> u(0, 1);
  for (const char* f : {"open", "high", "low", "close", "volume", "sector", "industry", "subindustry", "cap"}) p.fields[f].assign(T * N, 0);
  std::vector<double> px(N);
  for (double& x : px) x = 20 + 80 * u(rng);
  for (std::size_t t = 0; t < T; ++t) {
    const double market = 0.01 * z(rng);
    for (std::size_t j = 0; j < N; ++j) {
      const std::size_t i = t * N + j;
      const double open = px[j] * std::exp(0.004 * z(rng));
      const double close = open * std::exp(0.7 * market + 0.012 * z(rng));
      p.fields["open"][i] = open;
      p.fields["close"][i] = close;
      p.fields["high"][i] = std::max(open, close) * (1 + 0.006 * u(rng));
      p.fields["low"][i] = std::min(open, close) * (1 - 0.006 * u(rng));
      p.fields["volume"][i] = 1e6 * std::exp(0.5 * z(rng));
      p.fields["sector"][i] = double(j % 11);
      p.fields["industry"][i] = double(j % 24);
      p.fields["subindustry"][i] = double(j % 60);
      p.fields["cap"][i] = close * 1e7 * (1 + j % 7);
      px[j] = close;
    }
  }
  return p;
}

FieldDefaults supplied_by(const FieldPanel& p) {
  FieldDefaults d;
  d.supplied.clear();
  for (const auto& [name, v] : p.fields) d.supplied.push_back(name);
  return d;
}

std::vector<std::string> family_ids(std::initializer_list<const char*> families) {
  std::vector<std::string> ids;
  for (const char* f : families) for_each_factor(f, [&](const Factor& x) { ids.push_back(x.id); });
  return ids;
}

void limit_threads(std::optional<tbb::global_control>& g, benchmark::State& state) {
  if (state.range(0) > 0) g.emplace(tbb::global_control::max_allowed_parallelism, std::size_t(state.range(0)));
}

// Arg 0: planned on every call (evaluate(program, ...)); arg 1: planned once (plan_evaluation), as a
// caller updating the same instrument each bar would, on two different histories in turn.
void BM_CatalogueLastValue(benchmark::State& state) {
  const FieldPanel panels[2] = {universe(252, 1, 11), universe(252, 1, 21)};
  const FieldPanel& panel = panels[0];
  const auto t0 = std::chrono::steady_clock::now();
  const auto [ids, compiled] = computable_factors("", supplied_by(panel), 1);
  const double compile_ms = Ms(std::chrono::steady_clock::now() - t0).count();
  EvalOptions opt;
  opt.last_only = true;
  std::size_t finite = 0;
  const auto check = evaluate(compiled.program, compiled.outputs, panel, opt);
  for (std::size_t k = 0; k < check.size(); ++k) finite += std::isfinite(check[k][0]);
  if (ids.size() < 380000 || finite < ids.size() / 2) throw std::runtime_error("the catalogue run is wrong");
  const auto t1 = std::chrono::steady_clock::now();
  const EvalPlan plan = plan_evaluation(compiled.program, compiled.outputs, 252, 1, opt);
  const double plan_ms = Ms(std::chrono::steady_clock::now() - t1).count();
  const auto planned = evaluate(plan, panel);
  for (std::size_t k = 0; k < check.size(); ++k)
    if (!(planned[k][0] == check[k][0] || (std::isnan(planned[k][0]) && std::isnan(check[k][0]))))
      throw std::runtime_error("the planned run differs");
  std::size_t i = 0;
  for (auto _ : state) {
    const FieldPanel& p = panels[i++ % 2];
    if (state.range(0) == 0) benchmark::DoNotOptimize(evaluate(compiled.program, compiled.outputs, p, opt));
    else benchmark::DoNotOptimize(evaluate(plan, p));
  }
  state.counters["definitions"] = double(ids.size());
  state.counters["nodes"] = double(compiled.program.nodes().size());
  state.counters["finite"] = double(finite);
  state.counters["compile_ms"] = compile_ms;
  state.counters["plan_ms"] = plan_ms;
}

void BM_Alpha158Batch(benchmark::State& state) {
  std::optional<tbb::global_control> g;
  limit_threads(g, state);
  static const FieldPanel panel = universe(2520, 500, 12);
  const auto compiled = compile_factors(family_ids({"alpha158"}), supplied_by(panel));
  for (auto _ : state) benchmark::DoNotOptimize(evaluate(compiled.program, compiled.outputs, panel));
  state.counters["values"] = 158.0 * 2520 * 500;
}

void BM_WQ101Batch(benchmark::State& state) {
  std::optional<tbb::global_control> g;
  limit_threads(g, state);
  static const FieldPanel panel = universe(261, 4000, 13);
  const auto compiled = compile_factors(family_ids({"wq101"}), supplied_by(panel));
  for (auto _ : state) benchmark::DoNotOptimize(evaluate(compiled.program, compiled.outputs, panel));
}

// One bar to a warmed stream, timed per bar; p50/p99 as counters.
void run_stream(benchmark::State& state, const std::vector<std::string>& ids, std::size_t N) {
  std::optional<tbb::global_control> g;
  limit_threads(g, state);
  const std::size_t warm = 300, timed = 300;
  const FieldPanel panel = universe(warm + timed, N, 14);
  const auto compiled = compile_factors(ids, supplied_by(panel));
  FactorStream stream(compiled.program, compiled.outputs, N);
  BarFields bar;
  auto feed = [&](std::size_t t) {
    for (const auto& [name, v] : panel.fields) bar[name].assign(v.begin() + t * N, v.begin() + (t + 1) * N);
    stream.update(bar);
  };
  // Check: the stream equals batch on the warm-up bars' last row (bit for bit but for the TA-Lib
  // functions, whose streams agree with batch to rounding: 1e-9 relative here).
  FieldPanel head = panel;
  head.rows = warm;
  for (auto& [name, v] : head.fields) v.resize(warm * N);
  const auto batch = evaluate(compiled.program, compiled.outputs, head);
  for (std::size_t t = 0; t < warm; ++t) feed(t);
  for (std::size_t k = 0; k < ids.size(); ++k)
    for (std::size_t j = 0; j < N; ++j) {
      const double a = stream.value(k)[j], b = batch[k][(warm - 1) * N + j];
      if (!(std::fabs(a - b) <= 1e-9 * std::max(1.0, std::fabs(b)) || (std::isnan(a) && std::isnan(b))))
        throw std::runtime_error("stream != batch for " + ids[k]);
    }
  std::vector<double> ms;
  std::size_t t = warm;
  for (auto _ : state) {
    if (t == warm + timed) t = warm;  // replays the timed bars (the state keeps moving forward)
    const auto t0 = std::chrono::steady_clock::now();
    feed(t++);
    ms.push_back(Ms(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  state.counters["p50_ms"] = ms[ms.size() / 2];
  state.counters["p99_ms"] = ms[std::min(ms.size() - 1, ms.size() * 99 / 100)];
  state.counters["factors"] = double(ids.size());
  state.counters["values"] = double(ids.size() * N);
}

void BM_StreamActive(benchmark::State& state) {
  run_stream(state, family_ids({"alpha158", "wq101", "technical", "momentum", "mean_reversion", "volatility", "volume", "statistical",
                                "cross_sectional", "factor_loadings", "decomposition"}),
             500);
}

void BM_StreamWQ20x4000(benchmark::State& state) {
  // Twenty alphas of the paper that read OHLCV only (no group fields), as DolphinDB's published test.
  std::vector<std::string> ids;
  for (int a : {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20})
    ids.push_back("wq101.alpha" + std::string(a < 10 ? "00" : "0") + std::to_string(a));
  run_stream(state, ids, 4000);
}

}  // namespace

BENCHMARK(BM_CatalogueLastValue)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->Iterations(30);
BENCHMARK(BM_Alpha158Batch)->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK(BM_WQ101Batch)->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK(BM_StreamActive)->Arg(0)->Unit(benchmark::kMillisecond)->Iterations(300);
BENCHMARK(BM_StreamWQ20x4000)->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond)->Iterations(300);
BENCHMARK_MAIN();
