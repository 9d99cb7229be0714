// The ML engine's prediction against XGBoost's own C API on the golden 200-tree S&P 500 model, in one
// process: single-row latency (each call timed, rounds alternating between the two, p50/p99 reported
// as counters) and batch throughput over 100,000 rows (1 thread and all threads).
//   build/bench/bench/ml_bench [--benchmark_filter=...]
#include <benchmark/benchmark.h>
#include <tbb/global_control.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <random>
#include <thread>

#include "common/peer_io.hpp"
#include "sextant/ml/forest.hpp"
#include "sextant/ml/xgboost_capi.hpp"

namespace {

using sextant::ml::Forest;
using sextant::ml::XgbBooster;

std::string data_dir() {
  const char* d = std::getenv("SEXTANT_DATA_DIR");
  return d ? d : SEXTANT_DATA_DIR_DEFAULT;
}

struct Fixture {
  std::string json;
  Forest forest;
  XgbBooster booster;
  std::vector<float> rows;  // 100,000 × 13: the golden inputs with noise
  std::size_t cols = 13, n = 100000;
  Fixture()
      : json(sextant::bench::read_text((data_dir() + "/golden/sp500_xgb_regressor.json").c_str())),
        forest(sextant::ml::load_xgboost(json, "model")),
        booster(XgbBooster::load(json)) {
    std::mt19937_64 rng(1);
    std::normal_distribution<float> z;
    rows.resize(n * cols);
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < cols; ++j) rows[i * cols + j] = 0.01f * z(rng);
    // Check the answer before timing: both agree on every row.
    std::vector<double> ours(n);
    sextant::ml::predict(forest, rows.data(), n, cols, ours.data());
    const auto theirs = booster.predict(rows.data(), n, cols);
    for (std::size_t i = 0; i < n; ++i)
      if (std::fabs(ours[i] - theirs[i]) > 1e-6) throw std::runtime_error("Sextant and XGBoost disagree on row " + std::to_string(i));
  }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, std::size_t(p * double(v.size())))];
}

// Single rows, each call timed (steady_clock, ~20 ns of the figure); 5 rounds of 20,000 calls
// alternating Sextant and the C API.
void BM_SingleRowLatency(benchmark::State& state) {
  Fixture& f = fixture();
  f.booster.set_param("nthread", "1");  // its best for one row: no OpenMP fork per call
  std::vector<double> ours, theirs;
  double sink = 0;
  for (auto _ : state) {
    ours.clear(), theirs.clear();
    for (int round = 0; round < 5; ++round) {
      for (std::size_t i = 0; i < 20000; ++i) {
        const float* x = &f.rows[(i % f.n) * f.cols];
        const auto t0 = std::chrono::steady_clock::now();
        sink += sextant::ml::predict_one(f.forest, x);
        ours.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
      }
      for (std::size_t i = 0; i < 20000; ++i) {
        const float* x = &f.rows[(i % f.n) * f.cols];
        const auto t0 = std::chrono::steady_clock::now();
        sink += f.booster.predict(x, 1, f.cols)[0];
        theirs.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
      }
    }
  }
  benchmark::DoNotOptimize(sink);
  state.counters["sextant_p50_us"] = percentile(ours, 0.5);
  state.counters["sextant_p99_us"] = percentile(ours, 0.99);
  state.counters["xgboost_capi_p50_us"] = percentile(theirs, 0.5);
  state.counters["xgboost_capi_p99_us"] = percentile(theirs, 0.99);
  state.counters["p99_ratio"] = percentile(theirs, 0.99) / percentile(ours, 0.99);
}
BENCHMARK(BM_SingleRowLatency)->Iterations(1)->Unit(benchmark::kMillisecond);

void BM_Batch100k_Sextant(benchmark::State& state) {
  Fixture& f = fixture();
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, std::size_t(state.range(0)));
  std::vector<double> out(f.n);
  for (auto _ : state) sextant::ml::predict(f.forest, f.rows.data(), f.n, f.cols, out.data());
  state.counters["rows_per_s"] = benchmark::Counter(double(f.n) * double(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Batch100k_Sextant)->Arg(1)->Arg(std::thread::hardware_concurrency())->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Batch100k_XgboostCapi(benchmark::State& state) {
  Fixture& f = fixture();
  const XgbBooster b = XgbBooster::load(f.json);
  b.set_param("nthread", std::to_string(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(b.predict(f.rows.data(), f.n, f.cols));
  state.counters["rows_per_s"] = benchmark::Counter(double(f.n) * double(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Batch100k_XgboostCapi)->Arg(1)->Arg(std::thread::hardware_concurrency())->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
