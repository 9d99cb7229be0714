// Accelerator ops on the cpu backend (and reference where it is affordable); on a machine with a GPU,
// correlation (fp64 and fp32), inverse, the eigensolvers and sampling on the cuda backend too.
//   cmake --preset bench && cmake --build --preset bench --target accel_bench
//   build/bench/bench/accel_bench --benchmark_min_time=0.5
// Each benchmark first checks its result against the reference backend, then times it.
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <stdexcept>
#include <vector>

#include <cblas.h>

#include "common/synthetic.hpp"
#include "sextant/accel/ops.hpp"
#include "sextant/accel/router.hpp"

namespace {

using namespace sextant;
using accel::Backend;

Matrix returns(std::size_t t, std::size_t n, std::uint64_t seed) { return bench::synthetic_returns(t, n, seed); }

void check(const Matrix& got, const Matrix& want, double tol, const char* what) {
  for (std::size_t i = 0; i < got.size(); ++i)
    if (std::abs(got.data()[i] - want.data()[i]) > tol) throw std::runtime_error(std::string(what) + ": wrong answer");
}

void BM_Correlation(benchmark::State& state) {
  const std::size_t n = state.range(0), t = state.range(1);
  const Backend b = Backend(state.range(2));
  Matrix x = returns(t, n, 1);
  if (n <= 500) check(accel::correlation(x, b), accel::correlation(x, Backend::reference), 1e-12, "correlation");
  for (auto _ : state) benchmark::DoNotOptimize(accel::correlation(x, b));
  state.counters["GFLOP/s"] = benchmark::Counter(double(n) * (n + 1) * t, benchmark::Counter::kIsIterationInvariantRate,
                                                 benchmark::Counter::kIs1000);
}
BENCHMARK(BM_Correlation)->Args({500, 2520, 1})->Args({1000, 2520, 1})->Args({500, 2520, 0})->Unit(benchmark::kMillisecond);

void BM_Covariance(benchmark::State& state) {
  const std::size_t n = state.range(0), t = state.range(1);
  Matrix x = returns(t, n, 2);
  check(accel::covariance(x, Backend::cpu), accel::covariance(x, Backend::reference), 1e-15, "covariance");
  for (auto _ : state) benchmark::DoNotOptimize(accel::covariance(x, Backend::cpu));
  state.counters["GFLOP/s"] = benchmark::Counter(double(n) * (n + 1) * t, benchmark::Counter::kIsIterationInvariantRate,
                                                 benchmark::Counter::kIs1000);
}
BENCHMARK(BM_Covariance)->Args({100, 252})->Args({500, 2520})->Unit(benchmark::kMillisecond);

// DGEMM on correlation's shape (Xᵀ·X): the yardstick for the syrk path.
void BM_GemmXtX(benchmark::State& state) {
  const std::size_t n = state.range(0), t = state.range(1);
  Matrix x = returns(t, n, 3);
  for (auto _ : state) benchmark::DoNotOptimize(accel::gemm(x, x, accel::Trans::yes, accel::Trans::no, Backend::cpu));
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * n * n * t, benchmark::Counter::kIsIterationInvariantRate,
                                                 benchmark::Counter::kIs1000);
}
BENCHMARK(BM_GemmXtX)->Args({1000, 2520})->Unit(benchmark::kMillisecond);

void BM_Cholesky(benchmark::State& state) {
  const std::size_t n = state.range(0);
  Matrix cov = accel::covariance(returns(4 * n, n, 4), Backend::cpu);
  check(accel::cholesky(cov, Backend::cpu), accel::cholesky(cov, Backend::reference), 1e-12, "cholesky");
  for (auto _ : state) benchmark::DoNotOptimize(accel::cholesky(cov, Backend::cpu));
}
BENCHMARK(BM_Cholesky)->Arg(100)->Arg(500)->Unit(benchmark::kMicrosecond);

// LU inverse (getrf + getri on the cpu, getrf + getrs on the identity on cuda).
void BM_Inverse(benchmark::State& state) {
  const std::size_t n = state.range(0);
  const Backend b = Backend(state.range(1));
  Matrix cov = accel::covariance(returns(4 * n, n, 11), Backend::cpu);
  check(accel::inverse(cov, b), accel::inverse(cov, Backend::cpu), 1e-6, "inverse");
  for (auto _ : state) benchmark::DoNotOptimize(accel::inverse(cov, b));
}
BENCHMARK(BM_Inverse)->Args({500, 1})->Args({1000, 1})->Unit(benchmark::kMillisecond);

// Correlation with the O(N²T) product in fp32 (DESIGN §3 "precision").
void BM_CorrelationFp32(benchmark::State& state) {
  const std::size_t n = state.range(0), t = state.range(1);
  const Backend b = Backend(state.range(2));
  Matrix x = returns(t, n, 12);
  check(accel::correlation_fp32(x, b), accel::correlation(x, Backend::cpu), 1e-5, "correlation_fp32");
  for (auto _ : state) benchmark::DoNotOptimize(accel::correlation_fp32(x, b));
  state.counters["GFLOP/s"] = benchmark::Counter(double(n) * (n + 1) * t, benchmark::Counter::kIsIterationInvariantRate,
                                                 benchmark::Counter::kIs1000);
}
BENCHMARK(BM_CorrelationFp32)->Args({1000, 2520, 1})->Unit(benchmark::kMillisecond);

void BM_EighTopK(benchmark::State& state) {
  const std::size_t n = state.range(0);
  const Backend b = Backend(state.range(1));
  Matrix cov = accel::covariance(returns(4 * n, n, 5), Backend::cpu);
  for (auto _ : state) benchmark::DoNotOptimize(accel::eigh_topk(cov, 5, b));
}
BENCHMARK(BM_EighTopK)->Args({100, 1})->Args({500, 1})->Unit(benchmark::kMillisecond);

void BM_Eigh(benchmark::State& state) {
  const std::size_t n = state.range(0);
  const Backend b = Backend(state.range(1));
  Matrix cov = accel::covariance(returns(4 * n, n, 6), Backend::cpu);
  for (auto _ : state) benchmark::DoNotOptimize(accel::eigh(cov, b));
}
BENCHMARK(BM_Eigh)->Args({100, 1})->Args({500, 1})->Args({1000, 1})->Unit(benchmark::kMillisecond);

void BM_QuadForm(benchmark::State& state) {
  const std::size_t n = state.range(0);
  Matrix cov = accel::covariance(returns(2 * n, n, 7), Backend::cpu);
  std::vector<double> w(n, 1.0 / n);
  for (auto _ : state) benchmark::DoNotOptimize(accel::quad_form(w, cov, Backend::cpu));
}
BENCHMARK(BM_QuadForm)->Arg(1000)->Unit(benchmark::kMicrosecond);

// Σw and Xw (memory-bound: GB/s is the matrix bytes read), through the cpu backend (Sextant's
// AVX-512 or AVX2 kernels where the CPU has them) and through OpenBLAS directly (arg 1), alternately.
void BM_Symv(benchmark::State& state) {
  const std::size_t n = state.range(0);
  Matrix cov = accel::covariance(returns(2 * n, n, 9), Backend::cpu);
  std::vector<double> w(n, 1.0 / n), y(n);
  const std::vector<double> want = accel::symv(cov, w, Backend::reference);
  for (std::size_t i = 0; i < n; ++i)
    if (std::abs(accel::symv(cov, w, Backend::cpu)[i] - want[i]) > 1e-15) throw std::runtime_error("symv: wrong answer");
  for (auto _ : state) {
    if (state.range(1)) cblas_dsymv(CblasRowMajor, CblasLower, int(n), 1.0, cov.data(), int(n), w.data(), 1, 0.0, y.data(), 1);
    else benchmark::DoNotOptimize(accel::symv(cov, w, Backend::cpu));
  }
  state.counters["GB/s"] = benchmark::Counter(4.0 * double(n) * double(n + 1), benchmark::Counter::kIsIterationInvariantRate,
                                              benchmark::Counter::kIs1000);
}
BENCHMARK(BM_Symv)->Args({1000, 0})->Args({1000, 1})->Args({250, 0})->Args({250, 1})->Args({100, 0})->Args({100, 1})->Unit(benchmark::kMicrosecond);

void BM_Gemv(benchmark::State& state) {
  const std::size_t t = state.range(0), n = state.range(1);
  Matrix x = returns(t, n, 10);
  std::vector<double> w(n, 1.0 / n), y(t);
  const std::vector<double> want = accel::gemv(x, w, Backend::reference);
  for (std::size_t i = 0; i < t; ++i)
    if (std::abs(accel::gemv(x, w, Backend::cpu)[i] - want[i]) > 1e-15) throw std::runtime_error("gemv: wrong answer");
  for (auto _ : state) {
    if (state.range(2)) cblas_dgemv(CblasRowMajor, CblasNoTrans, int(t), int(n), 1.0, x.data(), int(n), w.data(), 1, 0.0, y.data(), 1);
    else benchmark::DoNotOptimize(accel::gemv(x, w, Backend::cpu));
  }
  state.counters["GB/s"] = benchmark::Counter(8.0 * double(t) * double(n), benchmark::Counter::kIsIterationInvariantRate,
                                              benchmark::Counter::kIs1000);
}
BENCHMARK(BM_Gemv)->Args({2520, 1000, 0})->Args({2520, 1000, 1})->Unit(benchmark::kMicrosecond);

void BM_SampleMvn(benchmark::State& state) {
  const std::size_t rows = state.range(0), d = state.range(1);
  const Backend b = Backend(state.range(2));
  Matrix l = accel::cholesky(accel::covariance(returns(4 * d, d, 8), Backend::cpu), Backend::cpu);
  accel::SampleSpec spec;
  spec.seed = 42;
  spec.chol = l;
  check(accel::sample(spec, 64, d, b), accel::sample(spec, 64, d, Backend::reference), 1e-12, "sample");
  for (auto _ : state) benchmark::DoNotOptimize(accel::sample(spec, rows, d, b));
  state.counters["scenarios/s"] = benchmark::Counter(double(rows), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_SampleMvn)->Args({100000, 500, 1})->Unit(benchmark::kMillisecond);

// Monte Carlo VaR's draw: the portfolio returns of `rows` scenarios, without the scenario matrix.
void BM_SamplePortfolio(benchmark::State& state) {
  const std::size_t rows = state.range(0), d = state.range(1);
  const Backend b = Backend(state.range(2));
  Matrix l = accel::cholesky(accel::covariance(returns(4 * d, d, 8), Backend::cpu), Backend::cpu);
  std::vector<double> w(d, 1.0 / double(d));
  accel::SampleSpec spec;
  spec.seed = 42;
  spec.chol = l;
  const std::vector<double> got = accel::sample_portfolio(spec, 256, w, b),
                            want = accel::sample_portfolio(spec, 256, w, Backend::reference);
  for (std::size_t r = 0; r < got.size(); ++r)
    if (std::abs(got[r] - want[r]) > 1e-12) throw std::runtime_error("sample_portfolio: wrong answer");
  for (auto _ : state) benchmark::DoNotOptimize(accel::sample_portfolio(spec, rows, w, b));
  state.counters["scenarios/s"] = benchmark::Counter(double(rows), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_SamplePortfolio)->Args({100000, 500, 1})->Args({1000000, 500, 1})->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  // The cuda variants are registered only where the backend is built and a GPU is visible.
  if (accel::Router::instance().available(Backend::cuda)) {
    const auto cuda = std::int64_t(Backend::cuda);
    benchmark::RegisterBenchmark("BM_Correlation", BM_Correlation)
        ->Args({500, 2520, cuda})
        ->Args({1000, 2520, cuda})
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark("BM_CorrelationFp32", BM_CorrelationFp32)
        ->Args({1000, 2520, cuda})
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark("BM_Inverse", BM_Inverse)
        ->Args({500, cuda})
        ->Args({1000, cuda})
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark("BM_EighTopK", BM_EighTopK)->Args({500, cuda})->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark("BM_Eigh", BM_Eigh)
        ->Args({500, cuda})
        ->Args({1000, cuda})
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark("BM_SampleMvn", BM_SampleMvn)
        ->Args({100000, 500, cuda})
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark("BM_SamplePortfolio", BM_SamplePortfolio)
        ->Args({100000, 500, cuda})
        ->Args({1000000, 500, cuda})
        ->Unit(benchmark::kMillisecond);
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
