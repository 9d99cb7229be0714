#include "sextant/net/metrics.hpp"

#include <algorithm>

namespace sextant::net {

void RouteStats::record(int status, double seconds) {
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_ns_.fetch_add(static_cast<std::uint64_t>(seconds * 1e9), std::memory_order_relaxed);
  int cls = std::clamp(status / 100, 1, 5);
  by_class_[cls].fetch_add(1, std::memory_order_relaxed);
  std::size_t b = 0;
  while (b < kLatencyBuckets.size() && seconds > kLatencyBuckets[b]) ++b;
  if (b < kLatencyBuckets.size()) buckets_[b].fetch_add(1, std::memory_order_relaxed);
  double tenth_us = std::min(seconds * 1e7, 4.0e9);
  ring_us_[next_.fetch_add(1, std::memory_order_relaxed) % kRing].store(static_cast<std::uint32_t>(tenth_us),
                                                                        std::memory_order_relaxed);
}

LatencySummary RouteStats::summary() const {
  LatencySummary s;
  s.count = count();
  if (s.count == 0) return s;
  s.mean_ms = sum_seconds() * 1e3 / double(s.count);
  std::size_t n = std::min<std::uint64_t>(s.count, kRing);
  std::vector<std::uint32_t> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = ring_us_[i].load(std::memory_order_relaxed);
  std::sort(v.begin(), v.end());
  auto pct = [&](double q) { return double(v[std::min(n - 1, std::size_t(q * double(n - 1) + 0.5))]) / 1e4; };
  s.p50_ms = pct(0.50);
  s.p90_ms = pct(0.90);
  s.p99_ms = pct(0.99);
  s.max_ms = double(v.back()) / 1e4;
  return s;
}

}  // namespace sextant::net
