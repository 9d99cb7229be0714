// The stream engine's WebSocket hub against a real `sextant serve`: subscriptions, the message format,
// per-topic sequence numbers, errors, auth on the upgrade, batching, slow consumers and many clients.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <regex>
#include <thread>

#include "http_client.hpp"
#include "ws_client.hpp"

namespace sextant::test {
namespace {

bool contains(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

// One compiled pattern per field name: building a std::regex per message made the reader slow enough
// to fall a row behind a 500-bar simulator.
std::string field_of(const std::string& msg, const std::string& name) {
  thread_local std::map<std::string, std::regex> patterns;
  auto it = patterns.find(name);
  if (it == patterns.end()) it = patterns.emplace(name, std::regex("\"" + name + "\":(\"[^\"]*\"|-?[0-9.eE+-]+)")).first;
  std::smatch m;
  return std::regex_search(msg, m, it->second) ? m[1].str() : std::string();
}

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::vector<std::string> sim_args(int instruments, int interval_ms, std::vector<std::string> more = {}) {
  std::vector<std::string> a{"--engines", "stream", "--market-data", "sim", "--sim-instruments", std::to_string(instruments),
                             "--bar-interval-ms", std::to_string(interval_ms)};
  a.insert(a.end(), more.begin(), more.end());
  return a;
}

TEST(StreamWs, SimulatorBarsReachASubscriberInOrderPerTopic) {
  ServerProcess server(sim_args(5, 50));
  auto ws = WsClient::connect(server.port(8600));
  ASSERT_TRUE(ws);
  ws->send_text(R"({"op":"subscribe","topics":["marketdata.bars.*"]})");
  auto ack = ws->read_until("subscribed", 10 * time_scale());
  ASSERT_TRUE(ack);
  EXPECT_EQ(*ack, R"({"type":"subscribed","topics":["marketdata.bars.*"]})");
  std::map<std::string, std::int64_t> last_seq;
  int bars = 0;
  while (bars < 50) {
    auto m = ws->read_message(10 * time_scale());
    ASSERT_TRUE(m) << "no bar after " << bars;
    ASSERT_EQ(field_of(*m, "type"), "\"market_data\"") << *m;
    const std::string topic = field_of(*m, "topic");
    ASSERT_TRUE(topic.starts_with("\"marketdata.bars.SIM")) << *m;
    const std::int64_t seq = std::stoll(field_of(*m, "seq"));
    if (last_seq.count(topic)) {
      EXPECT_EQ(seq, last_seq[topic] + 1) << "a fast client sees no gap: " << *m;
    }
    last_seq[topic] = seq;
    EXPECT_GT(std::stoll(field_of(*m, "ts_ns")), 0);
    EXPECT_TRUE(contains(*m, R"("payload":{"symbol":"SIM)")) << *m;
    for (const char* f : {"open", "high", "low", "close", "volume"}) EXPECT_FALSE(field_of(*m, f).empty()) << f << " in " << *m;
    ++bars;
  }
  EXPECT_EQ(last_seq.size(), 5u);
}

// A row of 500 bars arrives at once: more than one burst of the session's queue (64 frames a socket
// write), with and without permessage-deflate. Every bar of several rows arrives, in order per topic.
// Rows are a second apart: a reader still behind when the next row lands would see that row's bars
// conflate into the queued ones (by design), so the interval leaves a loaded CI machine ample time.
TEST(StreamWs, ARowLargerThanABurstArrivesWhole) {
  ServerProcess server(sim_args(500, 1000, {"--sim-history", "0"}));
  for (const char* extensions : {"", "permessage-deflate"}) {
    WsConnectOptions opt;
    opt.extensions = extensions;
    auto ws = WsClient::connect(server.port(8600), opt);
    ASSERT_TRUE(ws);
    EXPECT_EQ(ws->deflate(), std::string(extensions).size() > 0);
    ws->send_text(R"({"op":"subscribe","topics":["marketdata.bars.*"]})");
    ASSERT_TRUE(ws->read_until("subscribed", 10 * time_scale()));
    std::map<std::string, std::int64_t> last_seq;
    int bars = 0;
    std::string first_gap;
    while (bars < 1500) {
      auto m = ws->read_message(10 * time_scale());
      ASSERT_TRUE(m) << "no bar after " << bars << (*extensions ? " (deflate)" : "");
      const std::string topic = field_of(*m, "topic");
      const std::int64_t seq = std::stoll(field_of(*m, "seq"));
      if (auto it = last_seq.find(topic); it != last_seq.end() && seq != it->second + 1 && first_gap.empty())
        first_gap = "seq " + std::to_string(seq) + " after " + std::to_string(it->second) + " in " + *m;
      last_seq[topic] = seq;
      ++bars;
    }
    EXPECT_EQ(first_gap, "") << (*extensions ? "(deflate) " : "")
                             << "/stream/stats: " << http(server.port(8600), "GET", "/stream/stats").body;
    EXPECT_EQ(last_seq.size(), 500u);
  }
}

TEST(StreamWs, PingUnsubscribeAndClientErrors) {
  ServerProcess server(sim_args(3, 20));
  auto ws = WsClient::connect(server.port(8600));
  ASSERT_TRUE(ws);
  ws->send_text(R"({"op":"ping"})");
  auto pong = ws->read_message(10 * time_scale());
  ASSERT_TRUE(pong);
  EXPECT_TRUE(pong->starts_with(R"({"type":"pong","ts_ns":)")) << *pong;

  struct Bad {
    const char* message;
    const char* field;
    const char* says;
  };
  const Bad cases[] = {
      {"{not json", "", "not a JSON object"},
      {R"({"op":"dance"})", "op", "op must be subscribe, unsubscribe or ping"},
      {R"({"op":"subscribe"})", "topics", "needs a topics array"},
      {R"({"op":"subscribe","topics":["risk..alerts"]})", "topics[0]", "is not a topic pattern"},
      {R"({"op":"subscribe","topics":["ok.topic","a.*.b"]})", "topics[1]", "is not a topic pattern"},
      {R"({"op":"subscribe","topics":"risk.alerts"})", "topics", ""},
      {R"({"op":"subscribe","topics":["x"],"extra":1})", "extra", "unknown field"},
  };
  for (const auto& c : cases) {
    ws->send_text(c.message);
    auto r = ws->read_message(10 * time_scale());
    ASSERT_TRUE(r) << c.message;
    EXPECT_TRUE(r->starts_with(R"({"type":"error")")) << c.message << " -> " << *r;
    EXPECT_EQ(field_of(*r, "field"), "\"" + std::string(c.field) + "\"") << c.message << " -> " << *r;
    EXPECT_TRUE(contains(*r, c.says)) << c.message << " -> " << *r;
  }
  // The connection survives its errors; an exact topic delivers only itself.
  ws->send_text(R"({"op":"subscribe","topics":["marketdata.bars.SIM001"]})");
  ASSERT_TRUE(ws->read_until("subscribed", 10 * time_scale()));
  for (int i = 0; i < 5; ++i) {
    auto m = ws->read_message(10 * time_scale());
    ASSERT_TRUE(m);
    EXPECT_EQ(field_of(*m, "topic"), "\"marketdata.bars.SIM001\"") << *m;
  }
  ws->send_text(R"({"op":"unsubscribe","topics":["marketdata.bars.SIM001"]})");
  auto un = ws->read_until("unsubscribed", 10 * time_scale());
  ASSERT_TRUE(un);
  EXPECT_EQ(*un, R"({"type":"unsubscribed","topics":[]})");
  EXPECT_FALSE(ws->read_message(0.5)) << "a bar after unsubscribing";
  const auto stats = http(server.port(8600), "GET", "/stream/stats");
  EXPECT_EQ(field_of(stats.body, "client_errors"), "7") << stats.body;
}

TEST(StreamWs, TheUpgradeNeedsTheApiKeyAndAValidQuery) {
  ServerProcess server({"--engines", "stream", "--api-key", "s3cret"});
  HttpResult refused;
  EXPECT_FALSE(WsClient::connect(server.port(8600), {}, &refused));
  EXPECT_EQ(refused.status, 401);
  EXPECT_TRUE(contains(refused.body, "Authorization")) << refused.body;
  WsConnectOptions ok;
  ok.headers["Authorization"] = "Bearer s3cret";
  EXPECT_TRUE(WsClient::connect(server.port(8600), ok));
  ok.path = "/ws?batch=maybe";
  EXPECT_FALSE(WsClient::connect(server.port(8600), ok, &refused));
  EXPECT_EQ(refused.status, 400);
  EXPECT_TRUE(contains(refused.body, R"("field":"batch")")) << refused.body;
}

TEST(StreamWs, BatchingIsOptInAndSendsJsonArrays) {
  ServerProcess server(sim_args(20, 50));
  WsConnectOptions opt;
  opt.path = "/ws?batch=true";
  auto ws = WsClient::connect(server.port(8600), opt);
  ASSERT_TRUE(ws);
  ws->send_text(R"({"op":"subscribe","topics":["*"]})");
  bool saw_array = false;
  for (int i = 0; i < 200 && !saw_array; ++i) {
    auto m = ws->read_message(10 * time_scale());
    ASSERT_TRUE(m);
    if (m->starts_with("[{")) {
      saw_array = true;
      EXPECT_TRUE(m->ends_with("}]")) << *m;
      EXPECT_TRUE(contains(*m, R"(},{"type":"market_data")")) << *m;
    }
  }
  EXPECT_TRUE(saw_array) << "20 bars queued at once were never sent as one array";
}

// (d): a client that never reads neither delays the others nor grows without bound: it is conflated,
// then dropped when its socket stays full past the stall timeout.
TEST(StreamWs, AStalledClientIsConflatedThenClosedWithoutDelayingOthers) {
  ServerProcess server(sim_args(50, 50, {"--ws-stall-timeout-ms", "2000"}));
  const auto port = server.port(8600);
  auto stalled = WsClient::connect(port);
  ASSERT_TRUE(stalled);
  int small = 4096;
  setsockopt(stalled->fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  stalled->send_text(R"({"op":"subscribe","topics":["marketdata.bars.*"]})");
  std::vector<std::unique_ptr<WsClient>> readers;
  for (int i = 0; i < 4; ++i) {
    readers.push_back(WsClient::connect(port));
    ASSERT_TRUE(readers.back());
    readers.back()->send_text(R"({"op":"subscribe","topics":["marketdata.bars.*"]})");
    ASSERT_TRUE(readers.back()->read_until("subscribed", 10 * time_scale()));
  }
  std::vector<double> latency_ms;
  std::string stats;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(60 * time_scale());
  bool closed = false;
  auto next_check = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() < deadline && !closed) {
    for (auto& r : readers) {
      auto m = r->read_message(5 * time_scale());
      // A reader starved of CPU long enough (a loaded machine) may itself be closed as stalled: the
      // close code, EOF and the server's counters tell that apart from delivery stopping.
      ASSERT_TRUE(m) << "a reading client stopped receiving (close code " << r->close_code() << ", eof " << r->eof()
                     << ", after " << latency_ms.size() << " messages); /stream/stats: " << http(port, "GET", "/stream/stats").body;
      const auto at = m->find(R"("ts_ns":)");
      if (at != std::string::npos) latency_ms.push_back(double(now_ns() - std::stoll(m->substr(at + 8, 20))) / 1e6);
    }
    if (std::chrono::steady_clock::now() >= next_check) {
      next_check += std::chrono::milliseconds(250);
      stats = http(port, "GET", "/stream/stats").body;
      closed = field_of(stats, "closed_stalled") == "1" || field_of(stats, "closed_slow") == "1";
    }
  }
  ASSERT_TRUE(closed) << stats;
  EXPECT_NE(field_of(stats, "conflated"), "0") << "the stalled client was closed before it was conflated: " << stats;
  std::sort(latency_ms.begin(), latency_ms.end());
  ASSERT_GT(latency_ms.size(), 1000u);
  const double p99 = latency_ms[latency_ms.size() * 99 / 100];
  // Readers held up behind the stalled socket would wait up to its 2 s stall timeout; the bound tells
  // that apart from a loaded machine's scheduling (a 50 ms bound failed at 52 ms beside other tests).
  // Delivery speed itself is measured by bench/peers/stream, not here.
  EXPECT_LT(p99, 500 * time_scale()) << "p99 delivery to the reading clients while one stalls, of " << latency_ms.size();
  // The stalled client's socket was reset: reading it now ends (after whatever it had buffered).
  while (stalled->read_frame(5 * time_scale())) {}
  EXPECT_TRUE(stalled->eof()) << stats;
  EXPECT_EQ(field_of(http(port, "GET", "/stream/stats").body, "clients"), "4");
}

// (e): a thousand clients connect, subscribe and receive.
TEST(StreamWs, AThousandClientsConnectSubscribeAndReceive) {
  ServerProcess server(sim_args(10, 100));
  const auto port = server.port(8600);
  constexpr int kClients = 1000;
  std::vector<std::unique_ptr<WsClient>> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(WsClient::connect(port));
    ASSERT_TRUE(clients.back()) << "client " << i;
    clients.back()->send_text(R"({"op":"subscribe","topics":["marketdata.bars.SIM00)" + std::to_string(i % 10) + R"("]})");
  }
  for (int i = 0; i < kClients; ++i) {
    auto m = clients[i]->read_until("\"type\":\"market_data\"", 30 * time_scale());
    ASSERT_TRUE(m) << "client " << i << " received nothing";
    EXPECT_EQ(field_of(*m, "topic"), "\"marketdata.bars.SIM00" + std::to_string(i % 10) + "\"");
  }
  EXPECT_EQ(field_of(http(port, "GET", "/stream/stats").body, "clients"), std::to_string(kClients));
}

}  // namespace
}  // namespace sextant::test

namespace sextant::test {
namespace {

// Requests that name symbols and a number of bars read the market data store instead of sending data;
// the answer equals the same request sent with the closes the store holds (GET /bars/{symbol}).
TEST(StoreRequests, CorrelationAndVarReadTheStoresCloses) {
  ServerProcess server({"--engines", "analytics,risk,stream", "--market-data", "sim", "--sim-instruments", "4", "--bar-interval-ms",
                        "60000", "--sim-history", "120"});
  // The backfill (120 rows) is in the store at "ready"; the first live row follows at once, then nothing for a
  // minute. Wait for that row to land in every symbol, so both requests below see the same store.
  for (int j = 0; j < 4; ++j) ASSERT_TRUE(wait_for_bars(server.port(8600), "SIM00" + std::to_string(j), 121)) << j;
  std::string closes[2];
  for (int j = 0; j < 2; ++j) {
    const auto r = http(server.port(8600), "GET", "/bars/SIM00" + std::to_string(j) + "?limit=51");
    ASSERT_EQ(r.status, 200) << r.body;
    std::string list;
    std::size_t at = 0;
    while ((at = r.body.find("\"close\":", at)) != std::string::npos) {
      at += 8;
      list += (list.empty() ? "" : ",") + r.body.substr(at, r.body.find(',', at) - at);
    }
    closes[j] = list;
  }
  // Rows of [SIM000, SIM001] closes.
  std::vector<std::string> a, b;
  auto split = [](const std::string& s) {
    std::vector<std::string> out;
    std::size_t i = 0;
    while (i <= s.size()) {
      const auto j = std::min(s.find(',', i), s.size());
      out.push_back(s.substr(i, j - i));
      i = j + 1;
    }
    return out;
  };
  a = split(closes[0]);
  b = split(closes[1]);
  ASSERT_EQ(a.size(), 51u);
  ASSERT_EQ(b.size(), 51u);
  std::string prices = "[";
  for (std::size_t t = 0; t < a.size(); ++t) prices += (t ? ",[" : "[") + a[t] + "," + b[t] + "]";
  prices += "]";
  const auto by_store = http(server.port(8100), "POST", "/correlation", R"({"symbols":["SIM000","SIM001"],"bars":50})");
  const auto by_data = http(server.port(8100), "POST", "/correlation", R"({"prices":)" + prices + "}");
  ASSERT_EQ(by_store.status, 200) << by_store.body;
  ASSERT_EQ(by_data.status, 200) << by_data.body;
  auto matrix = [](const std::string& body) { return body.substr(0, body.find("\"eigenvalues\"")); };
  EXPECT_EQ(matrix(by_store.body), matrix(by_data.body));

  const auto var = http(server.port(8200), "POST", "/calculate-var",
                        R"({"symbols":["SIM000","SIM001"],"bars":50,"positions":{"SIM000":10,"SIM001":5},"methods":["historical"]})");
  ASSERT_EQ(var.status, 200) << var.body;
  EXPECT_TRUE(contains(var.body, R"("var_currency":)")) << var.body;

  struct Bad {
    int port;
    const char* path;
    const char* body;
    const char* field;
  };
  const Bad bad[] = {
      {8100, "/correlation", R"({"symbols":["SIM000","NOPE"],"bars":50})", "symbols[1]"},
      {8100, "/correlation", R"({"symbols":["SIM000","SIM001"]})", "bars"},
      {8100, "/correlation", R"({"symbols":["SIM000","SIM001"],"bars":1})", "bars"},
      {8100, "/correlation", R"({"symbols":["SIM000"],"bars":5,"returns":[[1],[2]]})", "symbols"},
      {8200, "/calculate-var", R"({"bars":50,"weights":[1]})", "symbols"},
      {8200, "/calculate-var", R"({"symbols":["SIM000"],"bars":50,"returns":[[0.1],[0.2]],"weights":[1]})", "bars"},
  };
  for (const auto& c : bad) {
    const auto r = http(server.port(std::uint16_t(c.port)), "POST", c.path, c.body);
    EXPECT_TRUE(r.status == 400 || r.status == 404) << c.body << " -> " << r.status << " " << r.body;
    EXPECT_TRUE(contains(r.body, std::string(R"("field":")") + c.field + "\"")) << c.body << " -> " << r.body;
  }
}

}  // namespace
}  // namespace sextant::test
