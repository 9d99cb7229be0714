// The in-process bus: publish-to-handler latency (target p99 <= 5 us) and topic matching against 1,000
// patterns (target < 25 ns per pattern). Run: build/bench/bench/bus_bench
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <string>
#include <vector>

#include "sextant/bus/bus.hpp"
#include "sextant/bus/codec.hpp"

namespace {

using namespace sextant;
using Clock = std::chrono::steady_clock;

// One publisher, one subscriber: the time from publish() to the handler's first instruction, one
// message at a time (the next is published when the last was handled), so each sample is a wake-up.
void BM_PublishToHandler(benchmark::State& state) {
  bus::InProcessBus b;
  std::atomic<std::int64_t> handled_at{0};
  std::atomic<std::uint64_t> seen{0};
  b.subscribe("marketdata.bars.*", [&](const bus::Envelope&) {
    handled_at.store(Clock::now().time_since_epoch().count(), std::memory_order_release);
    seen.fetch_add(1, std::memory_order_release);
  });
  const bus::Envelope proto =
      bus::envelope(bus::MarketBar{.symbol = "AAPL", .ts_ns = 1, .open = 1, .high = 1, .low = 1, .close = 1, .volume = 1},
                    bus::Priority::normal, "bench");
  std::vector<double> ns, pub;
  ns.reserve(1 << 20);
  pub.reserve(1 << 20);
  std::uint64_t n = 0;
  for (auto _ : state) {
    bus::Envelope e = proto;
    const auto t0 = Clock::now().time_since_epoch().count();
    b.publish(std::move(e));
    pub.push_back(double(Clock::now().time_since_epoch().count() - t0));
    ++n;
    while (seen.load(std::memory_order_acquire) < n) {}
    ns.push_back(double(handled_at.load(std::memory_order_acquire) - t0));
  }
  std::sort(ns.begin(), ns.end());
  state.counters["p50_us"] = ns[ns.size() / 2] / 1e3;
  state.counters["p99_us"] = ns[ns.size() * 99 / 100] / 1e3;
  state.counters["p999_us"] = ns[ns.size() * 999 / 1000] / 1e3;
  std::sort(pub.begin(), pub.end());
  state.counters["publish_call_p99_us"] = pub[pub.size() * 99 / 100] / 1e3;
}
BENCHMARK(BM_PublishToHandler)->Iterations(200000)->UseRealTime();

// Matching one topic against 1,000 patterns (a mix of exact topics, prefixes and "*"), per pattern.
void BM_TopicMatch1000Patterns(benchmark::State& state) {
  std::vector<std::string> patterns;
  for (int i = 0; i < 1000; ++i) {
    if (i % 10 == 0) patterns.push_back("features.SIM" + std::to_string(i) + ".*");
    else if (i % 10 == 1) patterns.push_back("marketdata.bars.SIM" + std::to_string(i));
    else patterns.push_back("marketdata.bars.SIM" + std::to_string(i / 2) + ".x");
  }
  patterns.push_back("marketdata.bars.*");
  const std::string topic = "marketdata.bars.SIM421";
  std::size_t matched = 0;
  for (auto _ : state) {
    for (const auto& p : patterns) matched += bus::topic_matches(p, topic);
    benchmark::DoNotOptimize(matched);
  }
  // seconds per pattern (printed with an SI prefix: "12n" is 12 ns)
  state.counters["per_pattern"] = benchmark::Counter(double(state.iterations()) * double(patterns.size()),
                                                        benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_TopicMatch1000Patterns);

}  // namespace

BENCHMARK_MAIN();
