#include "sextant/accel/ops.hpp"

#include <cmath>

#include "sextant/accel/router.hpp"
#include "sextant/core/clock.hpp"
#include "sextant/core/error.hpp"

namespace sextant::accel {
namespace {

thread_local Backend t_last = Backend::cpu;
thread_local unsigned t_used = 0;  // bit b: backend b ran an op since reset_request_backends()

std::size_t cube_root(double work) { return static_cast<std::size_t>(std::llround(std::cbrt(std::max(work, 1.0)))); }

void require_square(MatrixView a, std::string_view what) {
  if (!a.square() || a.empty())
    fail(ErrorCode::dimension_mismatch, "", "{} needs a non-empty square matrix, got {}×{}", what, a.rows, a.cols);
}

// Eigen-solvers iterate to convergence, which a NaN or Inf never reaches; O(N²) against their O(N³).
void require_finite(MatrixView a, std::string_view what) {
  for (std::size_t i = 0; i < a.rows; ++i)
    for (std::size_t j = 0; j < a.cols; ++j)
      if (!std::isfinite(a(i, j)))
        fail(ErrorCode::non_finite, "", "{}: the matrix has a non-finite entry at ({}, {})", what, i, j);
}

// Routes op to a backend, runs f(device), records the latency. Each op has checked its memory against
// the pool (require_memory_pool) before allocating its result, so nothing here allocates on its behalf.
template <class F>
auto run(Op op, std::size_t size, std::optional<Backend> force, F&& f) {
  Router& router = Router::instance();
  Backend b = force ? *force : router.choose(op, size);
  Device& dev = router.device(b);
  if (!dev.supports(op))
    fail(ErrorCode::backend_unavailable, "backend", "the {} backend does not implement {}", backend_name(b),
         op_name(op));
  Stopwatch sw;
  auto done = [&] {
    const double ms = sw.elapsed_ms();
    router.record(op, b, ms);
    t_used |= 1u << int(b);
    t_last = b;
  };
  if constexpr (std::is_void_v<decltype(f(dev))>) {
    f(dev);
    done();
  } else {
    auto r = f(dev);
    done();
    return r;
  }
}

}  // namespace

Backend last_backend() noexcept { return t_last; }

void reset_request_backends() noexcept { t_used = 0; }

Backend request_backend() noexcept {
  for (int b = kBackendCount - 1; b >= 0; --b)  // enum order: reference < cpu < cuda
    if (t_used & (1u << b)) return Backend(b);
  return t_last;
}

void require_memory_pool(double bytes, std::string_view field, std::string_view what) {
  const std::size_t mb = Router::instance().settings().memory_pool_mb;
  if (bytes > double(mb) * 1024.0 * 1024.0)
    fail(ErrorCode::memory_limit, std::string(field), "{} would need {:.0f} MiB, over SME_MEMORY_POOL_MB = {}", what,
         bytes / (1024.0 * 1024.0), mb);
}

Matrix gemm(MatrixView a, MatrixView b, Trans ta, Trans tb, std::optional<Backend> force) {
  const std::size_t m = ta == Trans::yes ? a.cols : a.rows, ka = ta == Trans::yes ? a.rows : a.cols;
  const std::size_t kb = tb == Trans::yes ? b.cols : b.rows, n = tb == Trans::yes ? b.rows : b.cols;
  if (ka != kb) fail(ErrorCode::dimension_mismatch, "", "gemm: inner dimensions differ ({} vs {})", ka, kb);
  const double bytes = 8.0 * double(m) * double(n);
  require_memory_pool(bytes, "", "gemm");  // before the result is allocated
  Matrix c(m, n);
  run(Op::gemm, cube_root(double(m) * n * ka), force,
      [&](Device& d) { d.gemm(ta, tb, 1.0, a, b, 0.0, c.mut()); });
  return c;
}

Matrix covariance(MatrixView x, std::optional<Backend> force) {
  if (x.rows < 2 || x.cols == 0)
    fail(ErrorCode::dimension_mismatch, "", "covariance needs at least 2 rows and 1 column, got {}×{}", x.rows, x.cols);
  const double bytes = 8.0 * (double(x.size()) + double(x.cols) * double(x.cols));
  require_memory_pool(bytes, "returns", "the covariance matrix");  // N² from T×N: check before allocating
  Matrix c(x.cols, x.cols);
  run(Op::covariance, cube_root(double(x.cols) * x.cols * x.rows), force,
      [&](Device& d) { d.covariance(x, c.mut()); });
  return c;
}

Matrix correlation(MatrixView x, std::optional<Backend> force) {
  if (x.rows < 2 || x.cols == 0)
    fail(ErrorCode::dimension_mismatch, "", "correlation needs at least 2 rows and 1 column, got {}×{}", x.rows, x.cols);
  const double bytes = 8.0 * (double(x.size()) + double(x.cols) * double(x.cols));
  require_memory_pool(bytes, "returns", "the correlation matrix");
  Matrix c(x.cols, x.cols);
  run(Op::correlation, cube_root(double(x.cols) * x.cols * x.rows), force,
      [&](Device& d) { d.correlation(x, c.mut()); });
  return c;
}

namespace {
Matrix moment_fp32(MatrixView x, bool corr, std::optional<Backend> force) {
  if (x.rows < 2 || x.cols == 0)
    fail(ErrorCode::dimension_mismatch, "", "{} needs at least 2 rows and 1 column, got {}×{}",
         corr ? "correlation" : "covariance", x.rows, x.cols);
  const double bytes = 12.0 * double(x.size()) + 12.0 * double(x.cols) * double(x.cols);
  require_memory_pool(bytes, "returns", corr ? "the correlation matrix" : "the covariance matrix");
  Matrix c(x.cols, x.cols);
  run(Op::moment_fp32, cube_root(double(x.cols) * x.cols * x.rows), force,
      [&](Device& d) { d.moment_fp32(x, c.mut(), corr); });
  return c;
}
}  // namespace

Matrix covariance_fp32(MatrixView x, std::optional<Backend> force) { return moment_fp32(x, false, force); }
Matrix correlation_fp32(MatrixView x, std::optional<Backend> force) { return moment_fp32(x, true, force); }

Matrix cholesky(MatrixView a, std::optional<Backend> force) {
  require_square(a, "cholesky");
  require_memory_pool(8.0 * double(a.size()), "", "cholesky");
  Matrix l(a.rows, a.rows);
  run(Op::cholesky, a.rows, force, [&](Device& d) { d.cholesky(a, l.mut()); });
  return l;
}

Matrix solve(MatrixView a, MatrixView b, std::optional<Backend> force) {
  require_square(a, "solve");
  if (b.rows != a.rows)
    fail(ErrorCode::dimension_mismatch, "", "solve: right-hand side has {} rows, matrix has {}", b.rows, a.rows);
  require_memory_pool(8.0 * double(a.size() + b.size()), "", "solve");
  Matrix x(b.rows, b.cols);
  run(Op::solve, a.rows, force, [&](Device& d) { d.solve(a, b, x.mut()); });
  return x;
}

Matrix inverse(MatrixView a, std::optional<Backend> force) {
  require_square(a, "inverse");
  require_memory_pool(16.0 * double(a.size()), "", "inverse");
  Matrix x(a.rows, a.rows);
  run(Op::inverse, a.rows, force, [&](Device& d) { d.inverse(a, x.mut()); });
  return x;
}

Eigh eigh(MatrixView a, std::optional<Backend> force) {
  require_square(a, "eigh");
  require_finite(a, "eigh");
  require_memory_pool(24.0 * double(a.size()), "", "eigh");
  Eigh e{std::vector<double>(a.rows), Matrix(a.rows, a.rows)};
  run(Op::eigh, a.rows, force, [&](Device& d) { d.eigh(a, e.values, e.vectors.mut()); });
  return e;
}

std::vector<double> eigvalsh(MatrixView a, std::optional<Backend> force) {
  require_square(a, "eigvalsh");
  require_finite(a, "eigvalsh");
  require_memory_pool(16.0 * double(a.size()), "", "eigvalsh");
  std::vector<double> w(a.rows);
  run(Op::eigvalsh, a.rows, force, [&](Device& d) { d.eigvalsh(a, w); });
  return w;
}

Eigh eigh_topk(MatrixView a, std::size_t k, std::optional<Backend> force) {
  require_square(a, "eigh_topk");
  require_finite(a, "eigh_topk");
  if (k == 0 || k > a.rows)
    fail(ErrorCode::invalid_argument, "", "eigh_topk: k must be in [1, {}], got {}", a.rows, k);
  require_memory_pool(16.0 * double(a.size()), "", "eigh_topk");
  Eigh e{std::vector<double>(k), Matrix(a.rows, k)};
  run(Op::eigh_topk, a.rows, force, [&](Device& d) { d.eigh_topk(a, k, e.values, e.vectors.mut()); });
  return e;
}

double quad_form(std::span<const double> x, MatrixView a, std::optional<Backend> force) {
  require_square(a, "quad_form");
  if (x.size() != a.rows)
    fail(ErrorCode::dimension_mismatch, "", "quad_form: vector has {} entries, matrix is {}×{}", x.size(), a.rows,
         a.cols);
  return run(Op::quad_form, a.rows, force, [&](Device& d) { return d.quad_form(x, a); });
}

std::vector<double> gemv(MatrixView a, std::span<const double> x, std::optional<Backend> force) {
  if (x.size() != a.cols)
    fail(ErrorCode::dimension_mismatch, "", "gemv: vector has {} entries, matrix is {}×{}", x.size(), a.rows, a.cols);
  std::vector<double> y(a.rows);
  run(Op::gemv, cube_root(double(a.rows) * a.cols), force, [&](Device& d) { d.gemv(a, x, y); });
  return y;
}

std::vector<double> symv(MatrixView a, std::span<const double> x, std::optional<Backend> force) {
  require_square(a, "symv");
  if (x.size() != a.rows)
    fail(ErrorCode::dimension_mismatch, "", "symv: vector has {} entries, matrix is {}×{}", x.size(), a.rows, a.cols);
  std::vector<double> y(a.rows);
  run(Op::symv, a.rows, force, [&](Device& d) { d.symv(a, x, y); });
  return y;
}

Matrix batched_gemm(std::size_t count, std::size_t m, std::size_t n, std::size_t k, std::span<const double> a,
                    std::span<const double> b, std::optional<Backend> force) {
  if (a.size() != count * m * k || b.size() != count * k * n)
    fail(ErrorCode::dimension_mismatch, "", "batched_gemm: expected {} and {} values, got {} and {}", count * m * k,
         count * k * n, a.size(), b.size());
  const double bytes = 8.0 * double(count) * double(m) * double(n);
  require_memory_pool(bytes, "", "batched_gemm");
  Matrix c(count * m, n);
  run(Op::batched_gemm, cube_root(double(count) * m * n * k), force,
      [&](Device& d) { d.batched_gemm(count, m, n, k, a.data(), b.data(), c.data()); });
  return c;
}

namespace {
void check_sample_spec(const SampleSpec& spec, std::size_t d, std::string_view op) {
  if (!spec.mean.empty() && spec.mean.size() != d)
    fail(ErrorCode::dimension_mismatch, "", "{}: mean has {} entries, expected {}", op, spec.mean.size(), d);
  if (!spec.chol.empty() && (spec.chol.rows != d || spec.chol.cols != d))
    fail(ErrorCode::dimension_mismatch, "", "{}: Cholesky factor is {}×{}, expected {}×{}", op, spec.chol.rows,
         spec.chol.cols, d, d);
  if (spec.nu < 0 || !std::isfinite(spec.nu))
    fail(ErrorCode::invalid_argument, "", "{}: nu must be positive (or 0 for the normal), got {}", op, spec.nu);
}
}  // namespace

Matrix sample(const SampleSpec& spec, std::size_t rows, std::size_t d, std::optional<Backend> force) {
  check_sample_spec(spec, d, "sample");
  const double bytes = 16.0 * double(rows) * double(d);
  require_memory_pool(bytes, "", "sample");
  Matrix out(rows, d);
  if (rows == 0 || d == 0) return out;
  run(Op::sample, cube_root(double(rows) * d * d), force,
      [&](Device& dev) { dev.sample(spec, out.mut()); });
  return out;
}

std::vector<double> sample_portfolio(const SampleSpec& spec, std::size_t rows, std::span<const double> w,
                                     std::optional<Backend> force) {
  const std::size_t d = w.size();
  check_sample_spec(spec, d, "sample_portfolio");
  require_memory_pool(8.0 * (double(rows) + double(d) * double(d)), "", "sample_portfolio");
  std::vector<double> rp(rows, 0.0);
  if (rows == 0 || d == 0) return rp;
  run(Op::sample_portfolio, cube_root(double(rows) * d * d), force,
      [&](Device& dev) { dev.sample_portfolio(spec, w, rp); });
  return rp;
}

}  // namespace sextant::accel
