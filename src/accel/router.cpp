#include "sextant/accel/router.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>
#include <thread>

#include <unistd.h>

#include "sextant/core/clock.hpp"
#include "sextant/core/error.hpp"

namespace sextant::accel {

namespace {

constexpr int kCalibrationVersion = 8;  // 8: the cuda backend serves every op
// Equivalent sizes measured per backend. The reference (plain loops) is a candidate only below the
// seed's SME_MATRIX_THRESHOLD of 64, where a BLAS call's overhead can lose to a loop; above it a
// noisy measurement (the other core busy) must never send large work to plain loops. The cuda
// backend adds the larger sizes, where transfers amortise.
constexpr std::size_t kReferenceSizes[] = {8, 24};
constexpr std::size_t kHostSizes[] = {8, 24, 64, 160};
constexpr std::size_t kCudaSizes[] = {512, 1024};

std::optional<std::size_t> env_size(const EnvLookup& env, const char* name) {
  auto v = env(name);
  if (!v || v->empty()) return std::nullopt;
  char* end = nullptr;
  long long x = std::strtoll(v->c_str(), &end, 10);
  if (*end != '\0' || x < 0) fail(ErrorCode::config, name, "{} must be a non-negative integer, got '{}'", name, *v);
  return static_cast<std::size_t>(x);
}

std::unique_ptr<Router>& global_router() {
  static std::unique_ptr<Router> r;
  return r;
}
std::mutex& global_mutex() {
  static std::mutex m;
  return m;
}

}  // namespace

std::string_view backend_name(Backend b) noexcept {
  switch (b) {
    case Backend::reference: return "reference";
    case Backend::cpu: return "cpu";
    case Backend::cuda: return "cuda";
  }
  return "?";
}

std::optional<Backend> parse_backend(std::string_view name) noexcept {
  for (int i = 0; i < kBackendCount; ++i)
    if (backend_name(Backend(i)) == name) return Backend(i);
  return std::nullopt;
}

std::string_view op_name(Op op) noexcept {
  switch (op) {
    case Op::gemm: return "gemm";
    case Op::covariance: return "covariance";
    case Op::correlation: return "correlation";
    case Op::cholesky: return "cholesky";
    case Op::solve: return "solve";
    case Op::inverse: return "inverse";
    case Op::eigh: return "eigh";
    case Op::eigvalsh: return "eigvalsh";
    case Op::eigh_topk: return "eigh_topk";
    case Op::quad_form: return "quad_form";
    case Op::symv: return "symv";
    case Op::gemv: return "gemv";
    case Op::batched_gemm: return "batched_gemm";
    case Op::sample: return "sample";
    case Op::moment_fp32: return "moment_fp32";
    case Op::sample_portfolio: return "sample_portfolio";
    case Op::count_: break;
  }
  return "?";
}

std::optional<Op> parse_op(std::string_view name) noexcept {
  for (int i = 0; i < kOpCount; ++i)
    if (op_name(Op(i)) == name) return Op(i);
  return std::nullopt;
}

Settings Settings::from_env(const EnvLookup& env) {
  Settings s;
  if (auto v = env("SME_ACCELERATION"); v && !v->empty()) {
    if (*v == "0" || *v == "off" || *v == "false") s.forced = Backend::reference;
    else if (*v == "1" || *v == "on" || *v == "auto" || *v == "true") s.forced.reset();
    else if (auto b = parse_backend(*v)) s.forced = *b;
    else
      fail(ErrorCode::config, "SME_ACCELERATION", "SME_ACCELERATION must be 0, 1, auto, reference, cpu or cuda, got '{}'",
           *v);
  }
  s.matrix_threshold = env_size(env, "SME_MATRIX_THRESHOLD");
  if (auto j = env_size(env, "SME_JIT_THRESHOLD")) s.jit_threshold = std::max<std::size_t>(1, *j);
  s.large_threshold = env_size(env, "SME_LARGE_THRESHOLD");
  if (auto m = env_size(env, "SME_MEMORY_POOL_MB")) s.memory_pool_mb = std::max<std::size_t>(1, *m);
  if (auto c = env("SME_CALIBRATION"); c && (*c == "0" || *c == "off")) s.calibrate = false;
  return s;
}

Router& Router::instance() {
  std::lock_guard lock(global_mutex());
  auto& r = global_router();
  if (!r) r = std::make_unique<Router>(Settings::from_env(process_env()));
  return *r;
}

void Router::reset(Settings settings) {
  std::lock_guard lock(global_mutex());
  global_router() = std::make_unique<Router>(std::move(settings));
}

Router::Router(Settings settings) : settings_(std::move(settings)) {
  devices_[int(Backend::reference)] = make_reference_device();
  devices_[int(Backend::cpu)] = make_cpu_device(settings_.jit_threshold);
  std::string why;
  devices_[int(Backend::cuda)] = make_cuda_device(&why);
  why_[int(Backend::cuda)] = why;
  if (settings_.forced && !available(*settings_.forced))
    fail(ErrorCode::backend_unavailable, "SME_ACCELERATION", "SME_ACCELERATION asks for the {} backend, but {}",
         backend_name(*settings_.forced), why_[int(*settings_.forced)]);
  calibration_.source = "none";
}

Router::~Router() = default;

Device& Router::device(Backend b) {
  if (!available(b))
    fail(ErrorCode::backend_unavailable, "backend", "the {} backend is not available: {}", backend_name(b), why_[int(b)]);
  return *devices_[int(b)];
}

Backend Router::choose(Op op, std::size_t size) {
  Backend b;
  if (settings_.forced) {
    b = *settings_.forced;
  } else if (settings_.matrix_threshold && size < *settings_.matrix_threshold) {
    b = Backend::reference;
  } else if (settings_.large_threshold && size >= *settings_.large_threshold && available(Backend::cuda) &&
             devices_[int(Backend::cuda)]->supports(op)) {
    b = Backend::cuda;
  } else {
    if (settings_.calibrate && !calibrated_.load(std::memory_order_acquire)) ensure_calibrated();
    b = table_choice(op, size);
  }
  if (!devices_[int(b)]->supports(op)) b = Backend::cpu;
  decisions_[int(op)][int(b)].fetch_add(1, std::memory_order_relaxed);
  return b;
}

Backend Router::table_choice(Op op, std::size_t size) const {
  if (calibrated_.load(std::memory_order_acquire) && !calibration_.points.empty()) {
    // The largest calibrated size not above `size` (the smallest one when `size` is below them all).
    std::size_t floor_size = 0, smallest = SIZE_MAX;
    for (const auto& p : calibration_.points) {
      if (p.op != op) continue;
      smallest = std::min(smallest, p.size);
      if (p.size <= size) floor_size = std::max(floor_size, p.size);
    }
    const std::size_t bucket = floor_size ? floor_size : smallest;
    const CalibrationPoint* best = nullptr;
    for (const auto& p : calibration_.points)
      if (p.op == op && p.size == bucket && available(p.backend) && (!best || p.ms < best->ms)) best = &p;
    if (best) return best->backend;
  }
  // No table: the seed's thresholds.
  std::size_t small = settings_.matrix_threshold.value_or(64);
  std::size_t large = settings_.large_threshold.value_or(2048);
  if (size < small) return Backend::reference;
  if (size >= large && available(Backend::cuda) && devices_[int(Backend::cuda)]->supports(op)) return Backend::cuda;
  return Backend::cpu;
}

void Router::record(Op op, Backend b, double ms) {
  calls_[int(op)][int(b)].fetch_add(1, std::memory_order_relaxed);
  total_ns_[int(op)][int(b)].fetch_add(static_cast<std::uint64_t>(ms * 1e6), std::memory_order_relaxed);
}

OpCounters Router::counters(Op op, Backend b) const {
  return {calls_[int(op)][int(b)].load(std::memory_order_relaxed),
          double(total_ns_[int(op)][int(b)].load(std::memory_order_relaxed)) / 1e6};
}

std::uint64_t Router::decisions(Op op, Backend b) const {
  return decisions_[int(op)][int(b)].load(std::memory_order_relaxed);
}

Calibration Router::calibration() const {
  std::lock_guard lock(calib_mutex_);
  return calibration_;
}

// ---- calibration ---------------------------------------------------------------------------------

namespace {

std::filesystem::path cache_dir() {
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  if (xdg && *xdg) return std::filesystem::path(xdg) / "sextant";
  const char* home = std::getenv("HOME");
  return std::filesystem::path(home && *home ? home : "/tmp") / ".cache" / "sextant";
}

// Times f: repeats until 3 runs or 20 ms, returns the fastest run in ms.
double time_best(const std::function<void()>& f) {
  double best = 1e300, spent = 0;
  for (int i = 0; i < 50 && (i < 3 || spent < 20.0); ++i) {
    Stopwatch sw;
    f();
    double ms = sw.elapsed_ms();
    best = std::min(best, ms);
    spent += ms;
    if (i >= 1 && spent > 200.0) break;
  }
  return best;
}

Matrix random_matrix(std::size_t r, std::size_t c, std::mt19937_64& rng) {
  std::normal_distribution<double> nd;
  Matrix m(r, c);
  for (double& v : m.flat()) v = nd(rng);
  return m;
}

Matrix spd(std::size_t n, std::mt19937_64& rng) {
  Matrix a = random_matrix(n, n, rng), s(n, n);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < n; ++j) {
      double v = 0;
      for (std::size_t k = 0; k < n; ++k) v += a(i, k) * a(j, k);
      s(i, j) = v / n + (i == j ? 1.0 : 0.0);
    }
  return s;
}

// One timed run of `op` at equivalent size s on device d.
double time_op(Device& d, Op op, std::size_t s, std::mt19937_64& rng) {
  switch (op) {
    case Op::gemm: {
      Matrix a = random_matrix(s, s, rng), b = random_matrix(s, s, rng), c(s, s);
      return time_best([&] { d.gemm(Trans::no, Trans::no, 1.0, a, b, 0.0, c.mut()); });
    }
    case Op::covariance:
    case Op::correlation: {
      Matrix x = random_matrix(s, s, rng), c(s, s);
      return time_best([&] { op == Op::covariance ? d.covariance(x, c.mut()) : d.correlation(x, c.mut()); });
    }
    case Op::moment_fp32: {
      Matrix x = random_matrix(s, s, rng), c(s, s);
      return time_best([&] { d.moment_fp32(x, c.mut(), true); });
    }
    case Op::cholesky: {
      Matrix a = spd(s, rng), l(s, s);
      return time_best([&] { d.cholesky(a, l.mut()); });
    }
    case Op::solve: {
      Matrix a = spd(s, rng), b = random_matrix(s, 1, rng), x(s, 1);
      return time_best([&] { d.solve(a, b, x.mut()); });
    }
    case Op::inverse: {
      Matrix a = spd(s, rng), x(s, s);
      return time_best([&] { d.inverse(a, x.mut()); });
    }
    case Op::eigh: {
      Matrix a = spd(s, rng), v(s, s);
      std::vector<double> w(s);
      return time_best([&] { d.eigh(a, w, v.mut()); });
    }
    case Op::eigvalsh: {
      Matrix a = spd(s, rng);
      std::vector<double> w(s);
      return time_best([&] { d.eigvalsh(a, w); });
    }
    case Op::eigh_topk: {
      std::size_t k = std::min<std::size_t>(5, s);
      Matrix a = spd(s, rng), v(s, k);
      std::vector<double> w(k);
      return time_best([&] { d.eigh_topk(a, k, w, v.mut()); });
    }
    case Op::quad_form: {
      Matrix a = spd(s, rng), x = random_matrix(s, 1, rng);
      return time_best([&] { (void)d.quad_form(x.flat(), a); });
    }
    case Op::symv: {
      Matrix a = spd(s, rng), x = random_matrix(s, 1, rng), y(s, 1);
      return time_best([&] { d.symv(a, x.flat(), y.flat()); });
    }
    case Op::gemv: {
      Matrix a = random_matrix(4 * s, s, rng), x = random_matrix(s, 1, rng), y(4 * s, 1);
      return time_best([&] { d.gemv(a, x.flat(), y.flat()); });
    }
    case Op::batched_gemm: {
      const std::size_t m = 8, count = std::max<std::size_t>(1, s * s * s / (m * m * m));
      Matrix a = random_matrix(count * m, m, rng), b = random_matrix(count * m, m, rng), c(count * m, m);
      return time_best([&] { d.batched_gemm(count, m, m, m, a.data(), b.data(), c.data()); });
    }
    case Op::sample: {
      Matrix l = Matrix::identity(s), out(s, s);
      SampleSpec spec;
      spec.seed = 1;
      spec.chol = l;
      return time_best([&] { d.sample(spec, out.mut()); });
    }
    case Op::sample_portfolio: {
      Matrix l = Matrix::identity(s), w(s, 1, 1.0 / double(s)), rp(s * s, 1);
      SampleSpec spec;
      spec.seed = 1;
      spec.chol = l;
      return time_best([&] { d.sample_portfolio(spec, w.flat(), rp.flat()); });
    }
    case Op::count_: break;
  }
  return 1e300;
}

}  // namespace

void Router::ensure_calibrated() {
  if (calibrated_.load(std::memory_order_acquire)) return;
  std::lock_guard lock(calib_mutex_);
  if (calibrated_.load(std::memory_order_relaxed)) return;

  std::ostringstream key;
  key << cpu_model() << '|' << std::thread::hardware_concurrency() << '|' << available(Backend::cuda);
  auto dir = cache_dir();
  auto path = dir / ("calibration-v" + std::to_string(kCalibrationVersion) + "-" +
                     std::to_string(std::hash<std::string>{}(key.str()) % 1000000007ULL) + ".tsv");
  calibration_.path = path.string();

  std::ifstream in(path);
  if (in) {
    std::string op, backend;
    std::size_t size;
    double ms;
    while (in >> op >> size >> backend >> ms) {
      auto o = parse_op(op);
      auto b = parse_backend(backend);
      if (o && b) calibration_.points.push_back({*o, size, *b, ms});
    }
    if (!calibration_.points.empty()) {
      calibration_.source = "cache";
      calibrated_.store(true, std::memory_order_release);
      return;
    }
  }
  measure();
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  auto tmp = path;
  tmp += ".tmp" + std::to_string(::getpid());
  {
    std::ofstream out(tmp);
    for (const auto& p : calibration_.points)
      out << op_name(p.op) << '\t' << p.size << '\t' << backend_name(p.backend) << '\t' << p.ms << '\n';
  }
  std::filesystem::rename(tmp, path, ec);  // atomic; a failure only loses the cache
  calibrated_.store(true, std::memory_order_release);
}

void Router::measure() {
  Stopwatch sw;
  std::mt19937_64 rng(12345);
  for (int o = 0; o < kOpCount; ++o) {
    Op op = Op(o);
    for (std::size_t s : kReferenceSizes)
      calibration_.points.push_back({op, s, Backend::reference, time_op(*devices_[0], op, s, rng)});
    for (std::size_t s : kHostSizes)
      for (Backend b : {Backend::cpu, Backend::cuda})
        if (available(b) && devices_[int(b)]->supports(op))
          calibration_.points.push_back({op, s, b, time_op(*devices_[int(b)], op, s, rng)});
    // batched_gemm's equivalent size s means s³/512 products of 8×8: at 1,024 that is 3 GB of operands,
    // so it is calibrated at the host sizes only (the 160 winner then serves larger batches).
    if (available(Backend::cuda) && devices_[int(Backend::cuda)]->supports(op) && op != Op::batched_gemm)
      for (std::size_t s : kCudaSizes)
        for (Backend b : {Backend::cpu, Backend::cuda})
          calibration_.points.push_back({op, s, b, time_op(*devices_[int(b)], op, s, rng)});
  }
  calibration_.seconds = sw.elapsed_s();
  calibration_.source = "measured";
}

// ---- CPU description -------------------------------------------------------------------------------

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("model name", 0) == 0) {
      auto p = line.find(':');
      return p == std::string::npos ? line : line.substr(p + 2);
    }
  return "unknown";
}

std::vector<std::string> cpu_features() {
  static const char* interesting[] = {"sse4_2", "avx", "avx2", "fma", "avx512f", "avx512dq", "avx512bw", "avx512vl",
                                      "avx512_vnni", "avx512_bf16", "amx_tile", "sve", "neon", "asimd"};
  std::ifstream in("/proc/cpuinfo");
  std::string line, flags;
  while (std::getline(in, line))
    if (line.rfind("flags", 0) == 0 || line.rfind("Features", 0) == 0) {
      flags = " " + line.substr(line.find(':') + 1) + " ";
      break;
    }
  std::vector<std::string> out;
  for (const char* f : interesting)
    if (flags.find(std::string(" ") + f + " ") != std::string::npos) out.emplace_back(f);
  return out;
}

}  // namespace sextant::accel
