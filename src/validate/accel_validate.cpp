#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>
#include <random>
#include <thread>

#include "sextant/accel/ops.hpp"
#include "sextant/accel/router.hpp"
#include "sextant/core/clock.hpp"
#include "sextant/core/error.hpp"
#include "sextant/net/json.hpp"
#include "sextant/validate/validate.hpp"

namespace sextant::validate {
namespace {

using accel::Backend;

// Daily-return-like panel with a market factor, so correlations look like real ones.
Matrix synthetic_returns(std::size_t t, std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> nd;
  std::vector<double> beta(n);
  for (auto& b : beta) b = 0.5 + 0.5 * std::abs(nd(rng));
  Matrix x(t, n);
  for (std::size_t r = 0; r < t; ++r) {
    double market = 0.01 * nd(rng);
    for (std::size_t j = 0; j < n; ++j) x(r, j) = beta[j] * market + 0.015 * nd(rng);
  }
  return x;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

template <class F>
double time_p50(int iterations, bool warm_up, F&& f) {
  if (warm_up) f();  // page faults, BLAS thread start, caches
  std::vector<double> ms;
  for (int i = 0; i < std::max(1, iterations); ++i) {
    Stopwatch sw;
    f();
    ms.push_back(sw.elapsed_ms());
  }
  return median(ms);
}

double max_abs_diff(MatrixView a, MatrixView b) {
  double m = 0;
  for (std::size_t i = 0; i < a.rows; ++i)
    for (std::size_t j = 0; j < a.cols; ++j) m = std::max(m, std::abs(a(i, j) - b(i, j)));
  return m;
}

double max_abs(MatrixView a) {
  double m = 0;
  for (std::size_t i = 0; i < a.rows; ++i)
    for (std::size_t j = 0; j < a.cols; ++j) m = std::max(m, std::abs(a(i, j)));
  return m;
}

struct Case {
  std::string operation, size;
  double flops;                                 // 0 when not meaningful
  std::function<Matrix(Backend)> compute;       // result as a matrix, for comparison
};

}  // namespace

int run(const Options& opt) {
  if (opt.engine != "accel")
    fail(ErrorCode::invalid_argument, "engine", "validate: engine '{}' has no validation yet (available: accel)",
         opt.engine);
  auto& router = accel::Router::instance();
  std::vector<Backend> accelerated;
  if (opt.backend) {
    auto b = accel::parse_backend(*opt.backend);
    if (!b || *b == Backend::reference)
      fail(ErrorCode::invalid_argument, "backend", "validate: --backend must be cpu or cuda, got '{}'", *opt.backend);
    router.device(*b);  // throws, with the reason, when it is absent
    accelerated.push_back(*b);
  } else {
    accelerated.push_back(Backend::cpu);
    if (router.available(Backend::cuda)) accelerated.push_back(Backend::cuda);
  }

  std::vector<Case> cases;
  std::size_t max_n = 0, max_t = 0;
  for (int n : opt.sizes) max_n = std::max<std::size_t>(max_n, n);
  for (int t : opt.periods) max_t = std::max<std::size_t>(max_t, t);
  // Square ops need a full-rank covariance, so their window is at least 2N long even when --periods
  // asks only for shorter ones (N=1000 from T=252 days would be singular, and cholesky would refuse it).
  const std::size_t square_t = std::max(max_t, 2 * max_n);
  Matrix panel = synthetic_returns(square_t, max_n, 42);

  for (int n : opt.sizes) {
    for (int t : opt.periods) {
      MatrixView x(panel.data(), std::size_t(t), std::size_t(n), panel.cols());
      double syrk_flops = double(n) * (n + 1) * t;  // multiply-adds of the lower triangle, ×2
      std::string size = fmt::format("N={},T={}", n, t);
      cases.push_back({"covariance", size, syrk_flops, [x](Backend b) { return accel::covariance(x, b); }});
      cases.push_back({"correlation", size, syrk_flops, [x](Backend b) { return accel::correlation(x, b); }});
    }
    // Square ops run on the covariance of the longest window (full rank: at least 2N days).
    MatrixView x(panel.data(), square_t, std::size_t(n), panel.cols());
    auto cov = std::make_shared<Matrix>(accel::covariance(x, Backend::cpu));
    auto b_mat = std::make_shared<Matrix>(synthetic_returns(std::size_t(n), std::size_t(n), 7));
    std::string size = fmt::format("N={}", n);
    cases.push_back({"gemm", size, 2.0 * n * n * n, [cov, b_mat](Backend b) { return accel::gemm(*cov, *b_mat, accel::Trans::no, accel::Trans::no, b); }});
    cases.push_back({"cholesky", size, double(n) * n * n / 3.0, [cov](Backend b) { return accel::cholesky(*cov, b); }});
    cases.push_back({"eigh", size, 0.0, [cov](Backend b) {
                       auto e = accel::eigh(*cov, b);
                       Matrix out(e.vectors.rows() + 1, e.vectors.cols());  // eigenvalues, then vectors
                       for (std::size_t j = 0; j < e.values.size(); ++j) out(0, j) = e.values[j];
                       for (std::size_t i = 0; i < e.vectors.rows(); ++i)
                         for (std::size_t j = 0; j < e.vectors.cols(); ++j) out(i + 1, j) = e.vectors(i, j);
                       return out;
                     }});
  }
  // The DGEMM rate on correlation's own shape (Xᵀ·X, N=max, T=max): the yardstick for syrk.
  {
    MatrixView x(panel.data(), max_t, max_n, panel.cols());
    cases.push_back({"gemm_xtx", fmt::format("M=N={},K={}", max_n, max_t), 2.0 * double(max_n) * max_n * max_t,
                     [x](Backend b) { return accel::gemm(x, x, accel::Trans::yes, accel::Trans::no, b); }});
  }

  std::vector<Result> results;
  bool all_agree = true;
  fmt::print("{:<12} {:<16} {:<8} {:>12} {:>12} {:>9} {:>9} {:>11}\n", "operation", "size", "backend", "accel p50 ms",
             "ref p50 ms", "speedup", "GFLOP/s", "max |diff|");
  for (const auto& c : cases) {
    Matrix ref = c.compute(Backend::reference);  // also the baseline's warm-up
    double base_ms = time_p50(opt.baseline_iterations, false, [&] { (void)c.compute(Backend::reference); });
    for (Backend b : accelerated) {
      Matrix got = c.compute(b);
      double ms = time_p50(opt.iterations, true, [&] { (void)c.compute(b); });
      Result r;
      r.engine = "accel";
      r.operation = c.operation;
      r.size = c.size;
      r.backend = std::string(accel::backend_name(b));
      r.accelerated_ms_p50 = ms;
      r.baseline_ms_p50 = base_ms;
      r.speedup = base_ms / ms;
      r.max_abs_error = max_abs_diff(ref, got);
      // Agreement: relative to the result's scale, loose enough for different summation orders.
      r.tolerance = 1e-9 * std::max(1.0, max_abs(ref));
      r.agrees = r.max_abs_error <= r.tolerance;
      r.gflops = c.flops > 0 ? c.flops / (ms * 1e6) : 0.0;
      all_agree &= r.agrees;
      fmt::print("{:<12} {:<16} {:<8} {:>12.3f} {:>12.3f} {:>8.1f}x {:>9.1f} {:>11.2e}{}\n", r.operation, r.size,
                 r.backend, ms, base_ms, r.speedup, r.gflops, r.max_abs_error, r.agrees ? "" : "  DISAGREES");
      std::fflush(stdout);
      results.push_back(r);
    }
  }

  // Headline figures of issue 1, computed from this run.
  auto find = [&](std::string_view op, std::string_view size) -> const Result* {
    for (const auto& r : results)
      if (r.operation == op && r.size == size && r.backend == "cpu") return &r;
    return nullptr;
  };
  const Result* corr500 = find("correlation", "N=500,T=2520");
  const Result* corr_max = find("correlation", fmt::format("N={},T={}", max_n, max_t));
  const Result* dgemm = find("gemm_xtx", fmt::format("M=N={},K={}", max_n, max_t));

  net::JsonWriter w(4096);
  w.begin_object().key("results").begin_array();
  for (const auto& r : results) {
    w.begin_object().field("engine", std::string_view(r.engine)).field("operation", std::string_view(r.operation));
    w.field("size", std::string_view(r.size)).field("backend", std::string_view(r.backend));
    w.field("accelerated_ms_p50", r.accelerated_ms_p50).field("baseline_ms_p50", r.baseline_ms_p50);
    w.field("speedup", r.speedup).field("max_abs_error", r.max_abs_error).field("tolerance", r.tolerance);
    w.field("agrees", r.agrees);
    if (r.gflops > 0) w.field("gflops", r.gflops);
    w.end_object();
  }
  w.end_array();
  w.key("summary").begin_object();
  if (corr500) w.field("correlation_N500_T2520_speedup", corr500->speedup);
  if (dgemm) w.field("dgemm_gflops", dgemm->gflops);
  if (corr_max) w.field("correlation_max_gflops", corr_max->gflops);
  if (dgemm && corr_max) w.field("correlation_vs_dgemm", corr_max->gflops / dgemm->gflops);
  w.field("all_agree", all_agree).end_object();
  w.key("machine").begin_object().field("cpu", accel::cpu_model());
  w.field("cores", std::int64_t(std::thread::hardware_concurrency())).field("blas", accel::blas_info());
  w.field("iterations", std::int64_t(opt.iterations)).field("baseline_iterations", std::int64_t(opt.baseline_iterations));
  w.end_object().end_object();

  fmt::print("\n");
  if (corr500) fmt::print("correlation N=500,T=2520: cpu {:.1f}x the reference (target 30x)\n", corr500->speedup);
  if (dgemm && corr_max)
    fmt::print("correlation {}: {:.1f} GFLOP/s = {:.0f}% of DGEMM's {:.1f} GFLOP/s in this run (target 60%)\n",
               corr_max->size, corr_max->gflops, 100.0 * corr_max->gflops / dgemm->gflops, dgemm->gflops);
  fmt::print("{}\n", all_agree ? "all results agree with the reference" : "SOME RESULTS DISAGREE with the reference");

  if (opt.report_path) {
    std::ofstream out(*opt.report_path);
    if (!out) fail(ErrorCode::io, "save-report", "cannot write the report to '{}'", *opt.report_path);
    out << w.str() << '\n';
    fmt::print("report: {}\n", *opt.report_path);
  }
  return all_agree ? 0 : 1;
}

}  // namespace sextant::validate
