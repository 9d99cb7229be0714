// The Redis bus against a real redis-server, started by the test on a free loopback port: a bar from
// redis-cli reaches a WebSocket client, features in one process reach a WebSocket client of another,
// and priority-3 messages survive an outage exactly once, with a dead consumer's entries claimed.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "http_client.hpp"
#include "sextant/bus/codec.hpp"
#include "sextant/bus/redis.hpp"
#include "ws_client.hpp"

extern char** environ;

namespace sextant::test {
namespace {

bool contains(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

pid_t spawn(const std::vector<std::string>& args, bool quiet = true) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  if (quiet) {
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  }
  pid_t pid = -1;
  posix_spawnp(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  return pid;
}

int run(const std::vector<std::string>& args) {
  const pid_t pid = spawn(args);
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// A redis-server of the test's own: a free port, a private directory, the append-only file on (so a
// restart keeps the stream and its consumer groups, as a production Redis would).
class RedisServer {
 public:
  RedisServer() : dir_(std::filesystem::temp_directory_path() / ("sextant-redis-" + std::to_string(getpid()) + "-" + std::to_string(++count_))) {
    std::filesystem::create_directories(dir_);
    for (int attempt = 0; attempt < 20 && pid_ < 0; ++attempt) {
      port_ = std::uint16_t(20000 + (getpid() * 7 + attempt * 131 + count_ * 17) % 20000);
      start();
    }
    if (pid_ < 0) throw std::runtime_error("redis-server did not start");
  }
  ~RedisServer() {
    kill();
    std::filesystem::remove_all(dir_);
  }
  std::uint16_t port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
  void kill() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }
  void start() {
    pid_ = spawn({"redis-server", "--port", std::to_string(port_), "--bind", "127.0.0.1", "--dir", dir_.string(), "--save", "",
                  "--appendonly", "yes", "--appendfsync", "always", "--protected-mode", "no"});
    for (int i = 0; i < 100; ++i) {
      if (cli({"PING"}) == 0) return;
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) break;  // exited: the port was taken
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    pid_ = -1;
  }
  int cli(std::vector<std::string> args) const {
    args.insert(args.begin(), {"redis-cli", "-p", std::to_string(port_)});
    return run(args);
  }

 private:
  static inline int count_ = 0;
  std::filesystem::path dir_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
};

bool wait_until(const std::function<bool()>& ok, double seconds) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds * time_scale());
  while (std::chrono::steady_clock::now() < end) {
    if (ok()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return ok();
}

bool subscriber_connected(std::uint16_t port) {
  return contains(http(port, "GET", "/metrics").body, "sextant_redis_connected{connection=\"subscriber\"} 1");
}

// (a)
TEST(RedisBus, ABarFromRedisCliReachesAWebSocketClient) {
  RedisServer redis;
  ServerProcess server({"--engines", "stream", "--bus", redis.url()});
  const auto port = server.port(8600);
  ASSERT_TRUE(wait_until([&] { return subscriber_connected(port); }, 10));
  auto ws = WsClient::connect(port);
  ASSERT_TRUE(ws);
  ws->send_text(R"({"op":"subscribe","topics":["marketdata.bars.*"]})");
  ASSERT_TRUE(ws->read_until("subscribed", 10 * time_scale()));
  // A bare bar, as a redis-cli user would type it, and one in a full envelope.
  ASSERT_EQ(redis.cli({"PUBLISH", "marketdata.bars.RDS",
                       R"({"symbol":"RDS","ts_ns":1000,"open":10,"high":11,"low":9.5,"close":10.5,"volume":1200})"}), 0);
  auto m = ws->read_until("marketdata.bars.RDS", 10 * time_scale());
  ASSERT_TRUE(m) << "the bar never reached the WebSocket client";
  EXPECT_TRUE(contains(*m, R"("type":"market_data","topic":"marketdata.bars.RDS","seq":1,)")) << *m;
  EXPECT_TRUE(contains(*m, R"("close":10.5)")) << *m;
  const std::string env = bus::encode_envelope(
      bus::envelope(bus::MarketBar{.symbol = "RDS", .ts_ns = 2000, .open = 10.5, .high = 12, .low = 10, .close = 11, .volume = 5},
                    bus::Priority::normal, "redis-cli"));
  ASSERT_EQ(redis.cli({"PUBLISH", "marketdata.bars.RDS", env}), 0);
  m = ws->read_until("\"seq\":2", 10 * time_scale());
  ASSERT_TRUE(m);
  EXPECT_TRUE(contains(*m, R"("close":11)")) << *m;
  // The stream process's own store took both in.
  ASSERT_TRUE(wait_until([&] { return contains(http(port, "GET", "/bars/RDS").body, R"("ts_ns":2000)"); }, 5));
  // A malformed message is counted, and nothing else happens.
  ASSERT_EQ(redis.cli({"PUBLISH", "marketdata.bars.RDS", "not json"}), 0);
  EXPECT_TRUE(wait_until([&] { return contains(http(port, "GET", "/metrics").body, "sextant_redis_total{counter=\"malformed\"} 1"); }, 5));
}

// (b)
TEST(RedisBus, FeaturesInOneProcessReachAWebSocketClientOfAnother) {
  RedisServer redis;
  ServerProcess stream({"--engines", "stream", "--bus", redis.url()});
  ASSERT_TRUE(wait_until([&] { return subscriber_connected(stream.port(8600)); }, 10));
  auto ws = WsClient::connect(stream.port(8600));
  ASSERT_TRUE(ws);
  ws->send_text(R"({"op":"subscribe","topics":["features.*"]})");
  ASSERT_TRUE(ws->read_until("subscribed", 10 * time_scale()));
  ServerProcess features({"--engines", "features", "--bus", redis.url(), "--market-data", "sim", "--sim-instruments", "4",
                          "--bar-interval-ms", "100", "--sim-history", "0"});
  auto m = ws->read_until("\"topic\":\"features.SIM", 60 * time_scale());
  ASSERT_TRUE(m) << "no features.<SYM> snapshot crossed from one process to the other";
  EXPECT_TRUE(contains(*m, R"("type":"analytics_result")")) << m->substr(0, 300);
  EXPECT_TRUE(contains(*m, R"("values":{"alpha158.)")) << m->substr(0, 300);
}

struct Received {
  std::mutex m;
  std::map<std::string, int> count;  // envelope id -> deliveries
  void add(const bus::Envelope& e) {
    std::lock_guard lock(m);
    ++count[e.id];
  }
  std::size_t distinct() {
    std::lock_guard lock(m);
    return count.size();
  }
};

//! Options for a bus of this server in the given consumer group.
bus::RedisOptions in_group(const RedisServer& redis, std::string group) {
  bus::RedisOptions o = bus::parse_redis_url(redis.url());
  o.group = std::move(group);
  return o;
}

bus::Envelope alert(int i) {
  auto e = bus::envelope(bus::RiskAlert{.kind = "margin", .risk_level = "CRITICAL", .margin_utilization = 0.95}, bus::Priority::high, "test");
  e.id = "alert-" + std::to_string(i);
  return e;
}

// (c)
TEST(RedisBus, PriorityMessagesSurviveAnOutageExactlyOnce) {
  RedisServer redis;
  Received got;
  bus::RedisBus consumer(in_group(redis, "alerts-test"));
  consumer.subscribe("risk.alerts", [&](const bus::Envelope& e) { got.add(e); });
  ASSERT_TRUE(wait_until([&] { return consumer.ready(); }, 10));  // connected, subscribed, its group created
  bus::RedisBus publisher(in_group(redis, "publisher"));
  // An engine keeps serving HTTP through the outage.
  ServerProcess server({"--engines", "risk", "--bus", redis.url()});

  int next = 0;
  for (; next < 20; ++next) publisher.publish(alert(next));  // before
  ASSERT_TRUE(wait_until([&] { return got.distinct() == 20; }, 20)) << got.distinct();
  redis.kill();
  for (; next < 50; ++next) publisher.publish(alert(next));  // during: buffered
  EXPECT_EQ(http(server.port(8200), "GET", "/health").status, 200);
  const auto live = http(server.port(8200), "GET", "/risk/live");
  EXPECT_EQ(live.status, 200) << live.body;
  EXPECT_GT(publisher.counters().buffered, 0u);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  redis.start();
  for (; next < 70; ++next) publisher.publish(alert(next));  // after
  ASSERT_TRUE(wait_until([&] { return got.distinct() == 70; }, 60)) << got.distinct() << " of 70";
  consumer.drain();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  for (const auto& [id, n] : got.count) EXPECT_EQ(n, 1) << id << " delivered " << n << " times";
  EXPECT_EQ(publisher.counters().dropped, 0u);
  EXPECT_GE(consumer.counters().stream_acked, 70u);
  EXPECT_GT(publisher.counters().reconnects, 0u);
}

TEST(RedisBus, ADeadConsumersPendingEntriesAreClaimed) {
  RedisServer redis;
  const std::string stream(bus::kPriorityStream);
  ASSERT_EQ(redis.cli({"XGROUP", "CREATE", stream, "claimers", "$", "MKSTREAM"}), 0);
  bus::RedisBus publisher(in_group(redis, "publisher"));
  for (int i = 0; i < 5; ++i) publisher.publish(alert(i));
  publisher.drain();
  // A consumer of the group reads them and dies without acking.
  ASSERT_EQ(redis.cli({"XREADGROUP", "GROUP", "claimers", "dead-consumer", "COUNT", "100", "STREAMS", stream, ">"}), 0);
  bus::RedisOptions o = in_group(redis, "claimers");
  o.claim_idle_ms = 300;
  o.claim_interval_ms = 200;
  Received got;
  bus::RedisBus survivor(o);
  survivor.subscribe("risk.*", [&](const bus::Envelope& e) { got.add(e); });
  ASSERT_TRUE(wait_until([&] { return got.distinct() == 5; }, 20)) << got.distinct();
  EXPECT_GE(survivor.counters().claimed, 5u);
  ASSERT_TRUE(wait_until([&] { return survivor.counters().stream_acked >= 5; }, 5));
}

// A subscription to priority 3 only reads the consumer group and never PSUBSCRIBEs, so an alert is not
// also sent to it through pub/sub; lower priorities on the same topics do not reach it.
TEST(RedisBus, AnAlertsOnlySubscriptionReadsTheStreamAlone) {
  RedisServer redis;
  Received got;
  bus::RedisBus consumer(in_group(redis, "alerts-only"));
  consumer.subscribe("risk.*", [&](const bus::Envelope& e) { got.add(e); }, bus::kDefaultQueueCapacity, bus::Priority::high);
  ASSERT_TRUE(wait_until([&] { return consumer.ready(); }, 10));
  bus::RedisBus publisher(in_group(redis, "publisher"));
  for (int i = 0; i < 10; ++i) {
    publisher.publish(alert(i));
    publisher.publish(bus::envelope(bus::RiskStatus{.account = "A", .risk_level = "LOW"}, bus::Priority::normal, "test"));
  }
  publisher.drain();
  ASSERT_TRUE(wait_until([&] { return got.distinct() == 10; }, 20)) << got.distinct();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(got.distinct(), 10u) << "a priority-2 message reached an alerts-only subscription";
  for (const auto& [id, n] : got.count) EXPECT_EQ(n, 1) << id;
  EXPECT_EQ(consumer.counters().received, 0u) << "pub/sub messages were sent to it";
  ASSERT_TRUE(wait_until([&] { return consumer.counters().stream_acked >= 10; }, 5));
}

TEST(RedisBus, ReplayPublishesACsvsBarsToAnotherProcess) {
  RedisServer redis;
  ServerProcess stream({"--engines", "stream", "--bus", redis.url()});
  ASSERT_TRUE(wait_until([&] { return subscriber_connected(stream.port(8600)); }, 10));
  const auto csv = std::filesystem::temp_directory_path() / ("sextant-replay-" + std::to_string(getpid()) + ".csv");
  std::ofstream(csv) << "Date,AAA,BBB\n2020-01-02,10,20\n2020-01-03,11,21\n2020-01-06,12,22\n";
  std::string err;
  EXPECT_EQ(run_sextant({"replay", csv.string(), "--bus", redis.url(), "--interval-ms", "20"}, &err), 0) << err;
  ASSERT_TRUE(wait_until([&] { return contains(http(stream.port(8600), "GET", "/bars/BBB").body, R"("close":22)"); }, 10))
      << http(stream.port(8600), "GET", "/bars/BBB").body;
  const auto aaa = http(stream.port(8600), "GET", "/bars/AAA").body;
  EXPECT_TRUE(contains(aaa, R"("ts_ns":1577923200000000000,"open":10)")) << aaa;
  // Without Redis there is no one to replay to.
  EXPECT_EQ(run_sextant({"replay", csv.string()}, &err), 2);
  EXPECT_TRUE(contains(err, "--bus redis://")) << err;
  EXPECT_EQ(run_sextant({"replay", csv.string(), "--bus", redis.url(), "--speed", "fast"}, &err), 2);
  EXPECT_TRUE(contains(err, "--speed")) << err;
  std::filesystem::remove(csv);
}

TEST(RedisBus, UrlsAreCheckedNamingTheField) {
  const auto o = bus::parse_redis_url("redis://:pw@10.0.0.5:6380/2");
  EXPECT_EQ(o.host, "10.0.0.5");
  EXPECT_EQ(o.port, 6380);
  EXPECT_EQ(o.password, "pw");
  EXPECT_EQ(o.db, 2);
  for (const char* bad : {"http://x", "redis://", "redis://h:0", "redis://h:99999", "redis://h/x"}) {
    try {
      bus::parse_redis_url(bad);
      ADD_FAILURE() << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.field(), "bus") << bad;
    }
  }
  std::string err;
  EXPECT_EQ(run_sextant({"serve", "--bus", "redis://h:0"}, &err), 2);
  EXPECT_TRUE(contains(err, "port")) << err;
}

}  // namespace
}  // namespace sextant::test
