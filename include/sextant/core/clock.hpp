#pragma once
#include <chrono>
#include <atomic>
#include <cstdint>

namespace sextant {

//! Wall-clock nanoseconds since the Unix epoch, for message timestamps (ts_ns).
inline std::int64_t wall_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

//! A monotonic time source, injected where library state depends on time (order-rate windows), so
//! tests can step it instead of sleeping.
struct Clock {
  virtual ~Clock() = default;
  virtual std::int64_t monotonic_ns() const = 0;
};

//! std::chrono::steady_clock.
inline const Clock& steady_clock() {
  struct Steady final : Clock {
    std::int64_t monotonic_ns() const override {
      return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
    }
  };
  static const Steady clock;
  return clock;
}

//! A clock that moves only when told to (tests).
struct ManualClock final : Clock {
  std::atomic<std::int64_t> now_ns{0};
  std::int64_t monotonic_ns() const override { return now_ns.load(); }
  void advance(std::int64_t ns) { now_ns += ns; }
};

//! Monotonic stopwatch for measured latencies (calculation_time_ms, metrics).
class Stopwatch {
 public:
  Stopwatch() : start_(std::chrono::steady_clock::now()) {}
  void reset() { start_ = std::chrono::steady_clock::now(); }
  double elapsed_ms() const { return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start_).count(); }
  double elapsed_s() const { return elapsed_ms() / 1000.0; }

 private:
  std::chrono::steady_clock::time_point start_;
};

}  // namespace sextant
