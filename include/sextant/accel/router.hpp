#pragma once
// The router: for each operation and problem size, the backend that serves it.
//
// Size is an op's "equivalent dimension": n for the square ops (cholesky, solve, inverse, eigh,
// quad_form), the cube root of the multiply-add count for the rectangular ones (gemm m·n·k,
// covariance/correlation N·N·T, sample rows·d·d, batched_gemm count·m·n·k).
//
// Decision order (DESIGN §3):
//  1. SME_ACCELERATION=0|reference|cpu|cuda forces a backend (one that lacks the op falls back to cpu);
//  2. SME_MATRIX_THRESHOLD, when set, sends sizes below it to `reference`;
//  3. SME_LARGE_THRESHOLD, when set, sends sizes at or above it to `cuda` when a GPU is present;
//  4. otherwise the calibration table: the backend measured fastest at the largest calibrated size
//     not above this one.
//     Without a table (SME_CALIBRATION=0), sizes below 64 go to reference, from 2048 to cuda, else cpu.
// The table is measured on first use (well under a second) and cached under
// $XDG_CACHE_HOME/sextant/. Every decision is counted; /api/v1/sme/* report the counts.
#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "sextant/accel/device.hpp"
#include "sextant/core/config.hpp"

namespace sextant::accel {

struct Settings {
  std::optional<Backend> forced;                //!< SME_ACCELERATION=0 -> reference; =cpu/cuda/reference
  std::optional<std::size_t> matrix_threshold;  //!< SME_MATRIX_THRESHOLD (seed default 64)
  std::size_t jit_threshold = 512;              //!< SME_JIT_THRESHOLD: cpu backend threads its O(T·N) loops from here
  std::optional<std::size_t> large_threshold;   //!< SME_LARGE_THRESHOLD (seed default 2048)
  std::size_t memory_pool_mb = 8192;            //!< SME_MEMORY_POOL_MB: cap on one op's workspace
  bool calibrate = true;                        //!< SME_CALIBRATION=0 disables measuring the table

  static Settings from_env(const EnvLookup& env);
};

struct CalibrationPoint {
  Op op;
  std::size_t size;
  Backend backend;
  double ms;
};

struct Calibration {
  std::vector<CalibrationPoint> points;
  std::string source;  //!< "measured", "cache", or "none"
  std::string path;    //!< cache file
  double seconds = 0;  //!< time spent measuring
};

struct OpCounters {
  std::uint64_t calls = 0;
  double total_ms = 0;
};

class Router {
 public:
  //! The process-wide router, built from the environment on first use.
  static Router& instance();
  //! Replaces the process-wide router (tests, `sextant validate`).
  static void reset(Settings settings);

  explicit Router(Settings settings);
  ~Router();

  //! Picks the backend for an op of the given equivalent size. Counts the decision.
  Backend choose(Op op, std::size_t size);
  //! The device of a backend; throws backend_unavailable (with the reason) when it is absent.
  Device& device(Backend b);
  bool available(Backend b) const { return devices_[int(b)] != nullptr; }
  const std::string& unavailable_reason(Backend b) const { return why_[int(b)]; }
  const Settings& settings() const { return settings_; }

  //! Records a finished call's latency against its op and backend.
  void record(Op op, Backend b, double ms);
  OpCounters counters(Op op, Backend b) const;
  std::uint64_t decisions(Op op, Backend b) const;

  //! Measures (or loads) the calibration table if it is not there yet. Blocking, idempotent.
  void ensure_calibrated();
  Calibration calibration() const;

 private:
  Backend table_choice(Op op, std::size_t size) const;
  void measure();

  Settings settings_;
  std::array<std::unique_ptr<Device>, kBackendCount> devices_;
  std::array<std::string, kBackendCount> why_;
  std::array<std::array<std::atomic<std::uint64_t>, kBackendCount>, kOpCount> decisions_{};
  std::array<std::array<std::atomic<std::uint64_t>, kBackendCount>, kOpCount> calls_{};
  std::array<std::array<std::atomic<std::uint64_t>, kBackendCount>, kOpCount> total_ns_{};
  mutable std::mutex calib_mutex_;
  std::atomic<bool> calibrated_{false};
  Calibration calibration_;
};

//! The CPU's SIMD features as the OS reports them (e.g. avx2, avx512f), for /api/v1/sme/status.
std::vector<std::string> cpu_features();
std::string cpu_model();

}  // namespace sextant::accel

namespace sextant::accel {
//! The BLAS the cpu backend links, with its build config and thread count ("OpenBLAS 0.3.21 ...").
std::string blas_info();
}  // namespace sextant::accel
