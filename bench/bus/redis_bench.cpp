// The Redis bus end to end (docs/performance.md "Issue 9"): RATE messages/s (10,000) for SECONDS through
// a redis-server of its own on a loopback port, to 10 consumers.
//   group     priority 3: XADD to sextant:priority, 10 consumers in one consumer group (each message
//             reaches one of them), acked after the handler; the consumers subscribe to priority 3 only
//   group+ps  the same, but the consumers' subscriptions take every priority, so each also PSUBSCRIBEs
//             the topic and is sent every alert a second time through pub/sub (and drops it)
//   pubsub    priority 2: PUBLISH, 10 subscribers (each message reaches all of them)
// Latency: the handler's wall clock minus the envelope's ts_ns (stamped by publish()), for the messages
// after a half-second warm-up (the first connections' and threads' start-up is not the steady state).
//   build/bench/bench/redis_bench [seconds] [rate]
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <limits>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "sextant/bus/codec.hpp"
#include "sextant/bus/redis.hpp"

extern char** environ;

namespace {

using namespace sextant;

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

struct Latencies {
  std::mutex m;
  std::vector<double> us;
  std::atomic<std::int64_t> from{std::numeric_limits<std::int64_t>::max()};  // messages stamped before: warm-up
  void add(std::int64_t ts) {
    if (ts < from.load(std::memory_order_relaxed)) return;
    const double v = double(now_ns() - ts) / 1e3;
    std::lock_guard lock(m);
    us.push_back(v);
  }
};

enum class Case { group, group_pubsub, pubsub };

void run(const std::string& url, Case kind, double seconds, int rate) {
  constexpr int kConsumers = 10;
  const bool group = kind != Case::pubsub;
  Latencies lat;
  std::vector<std::unique_ptr<bus::RedisBus>> consumers;
  for (int i = 0; i < kConsumers; ++i) {
    auto o = bus::parse_redis_url(url);
    o.group = kind == Case::group ? "bench-group" : kind == Case::group_pubsub ? "bench-group-ps" : "bench-sub-" + std::to_string(i);
    o.consumer = "consumer-" + std::to_string(i);
    consumers.push_back(std::make_unique<bus::RedisBus>(o));
    consumers.back()->subscribe(group ? "risk.alerts" : "marketdata.bars.*", [&lat](const bus::Envelope& e) { lat.add(e.ts_ns); },
                                bus::kDefaultQueueCapacity, kind == Case::group ? bus::Priority::high : bus::Priority::low);
  }
  for (auto& c : consumers)
    while (!c->ready()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  auto po = bus::parse_redis_url(url);
  po.group = "bench-publisher";
  bus::RedisBus publisher(po);
  while (!publisher.ready()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  const auto start = std::chrono::steady_clock::now();
  const std::int64_t total = std::int64_t(seconds * rate), warm_up = rate / 2;  // half a second, not measured
  for (std::int64_t i = 0; i < warm_up + total; ++i) {
    std::this_thread::sleep_until(start + std::chrono::microseconds(i * 1000000 / rate));
    if (i == warm_up) lat.from = now_ns();
    if (group) publisher.publish(bus::envelope(bus::RiskAlert{.kind = "margin", .risk_level = "HIGH", .margin_utilization = 0.8}, bus::Priority::high, "bench"));
    else publisher.publish(bus::envelope(bus::MarketBar{.symbol = "AAA", .ts_ns = i, .open = 1, .high = 1, .low = 1, .close = 1, .volume = 1}, bus::Priority::normal, "bench"));
  }
  publisher.drain();
  std::this_thread::sleep_for(std::chrono::seconds(2));
  std::lock_guard lock(lat.m);
  auto& v = lat.us;
  std::sort(v.begin(), v.end());
  const auto pct = [&](double q) { return v.empty() ? 0.0 : v[std::size_t(q * double(v.size() - 1))]; };
  const std::int64_t expected = group ? total : total * kConsumers;
  std::printf("%-8s %8lld sent, %8zu delivered (expected %lld): p50 %.0f us, p99 %.0f us, p99.9 %.0f us, max %.0f us\n",
              kind == Case::group ? "group" : kind == Case::group_pubsub ? "group+ps" : "pubsub", (long long)total, v.size(), (long long)expected, pct(0.5), pct(0.99), pct(0.999),
              v.empty() ? 0.0 : v.back());
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 5;
  const int rate = argc > 2 ? std::atoi(argv[2]) : 10000;
  const int port = 21000 + getpid() % 20000;
  const std::string dir = "/tmp/sextant-redis-bench-" + std::to_string(getpid());
  std::system(("mkdir -p " + dir).c_str());
  std::vector<std::string> args{"redis-server", "--port", std::to_string(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                                "--dir", dir};
  std::vector<char*> argv2;
  for (auto& a : args) argv2.push_back(a.data());
  argv2.push_back(nullptr);
  pid_t pid = -1;
  posix_spawnp(&pid, "redis-server", nullptr, nullptr, argv2.data(), environ);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const std::string url = "redis://127.0.0.1:" + std::to_string(port);
  for (Case c : {Case::group, Case::group_pubsub, Case::pubsub}) run(url, c, seconds, rate);
  kill(pid, SIGTERM);
  waitpid(pid, nullptr, 0);
  std::system(("rm -rf " + dir).c_str());
  return 0;
}
