#pragma once
// Measured request statistics: per-route counters, a Prometheus histogram, and a ring of recent
// latencies for p50/p99. Recording is lock-free (relaxed atomics): a few nanoseconds per request.
#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace sextant::net {

//! Histogram bucket upper bounds in seconds (Prometheus `le`).
inline constexpr std::array<double, 12> kLatencyBuckets{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                                        0.01,   0.025,   0.05,   0.1,   0.5,    2.5};

struct LatencySummary {
  std::uint64_t count = 0;
  double p50_ms = 0, p90_ms = 0, p99_ms = 0, max_ms = 0, mean_ms = 0;
};

class RouteStats {
 public:
  static constexpr std::size_t kRing = 4096;  //!< recent latencies kept for percentiles

  void record(int status, double seconds);
  std::uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  std::uint64_t count_by_class(int cls) const { return by_class_[cls].load(std::memory_order_relaxed); }  // 1..5
  std::uint64_t bucket(std::size_t i) const { return buckets_[i].load(std::memory_order_relaxed); }
  double sum_seconds() const { return double(sum_ns_.load(std::memory_order_relaxed)) / 1e9; }
  //! Percentiles over the most recent kRing requests; count and mean over all.
  LatencySummary summary() const;

 private:
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::uint64_t> sum_ns_{0};
  std::array<std::atomic<std::uint64_t>, 6> by_class_{};
  std::array<std::atomic<std::uint64_t>, kLatencyBuckets.size()> buckets_{};  // non-cumulative
  std::array<std::atomic<std::uint32_t>, kRing> ring_us_{};  // latency in 0.1 µs units, capped
  std::atomic<std::uint64_t> next_{0};
};

}  // namespace sextant::net
