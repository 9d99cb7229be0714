// Adding an engine takes one table row and one registration function. "echo" exists only here: it is
// served in-process by the same Platform `sextant serve` runs, listed by /api/v1/engines, behind the
// API key, and counted by /metrics like every engine.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "integration/http_client.hpp"
#include "sextant/app/serve.hpp"
#include "sextant/service/fields.hpp"
#include "sextant/service/route.hpp"

namespace sextant::test {
namespace {

// The echo engine's registration function: POST /echo {"text": "..."} answers {"text": "..."}.
void register_echo(service::EngineContext& ctx) {
  ctx.routes.add("POST", "/echo", service::json_route([](const net::Request& req, service::Reply& out) {
    std::string text;
    service::Fields in;
    in.req("text", text);
    in.read(req, "/echo");
    out.json.field("text", text);
  }));
}

bool contains(const std::string& s, const std::string& what) { return s.find(what) != std::string::npos; }

TEST(EchoEngine, OneRowIsServedListedBehindTheKeyAndMetered) {
  std::vector<service::EngineRow> table(app::engine_table().begin(), app::engine_table().end());
  table.push_back({"echo", 8700, register_echo});  // the one row
  Config cfg;
  cfg.port_offset = free_port_offset();
  cfg.threads = 2;
  cfg.api_key = "test-key";
  cfg.engines = "stream,echo";
  cfg.market_data = "none";
  app::Platform platform(cfg, table);
  std::thread io([&] { platform.run(); });
  const std::uint16_t echo = platform.port("echo"), stream = platform.port("stream");
  ASSERT_NE(echo, 0);
  const std::map<std::string, std::string> auth{{"Authorization", "Bearer test-key"}};

  EXPECT_EQ(http(echo, "POST", "/echo", R"({"text":"hi"})").status, 401) << "the key covers the new engine";
  auto r = http(echo, "POST", "/echo", R"({"text":"hi"})", auth);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(contains(r.body, R"({"text":"hi","calculation_time_ms":)")) << r.body;
  r = http(echo, "POST", "/echo", R"({"text":"hi","volume":11})", auth);
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(contains(r.body, R"("field":"volume")")) << r.body;
  EXPECT_EQ(http(echo, "GET", "/health").status, 200) << "the common endpoints come with the row";

  auto engines = http(stream, "GET", "/api/v1/engines", "", auth);
  EXPECT_EQ(engines.status, 200);
  EXPECT_TRUE(contains(engines.body, R"({"engine":"echo","port":)" + std::to_string(echo))) << engines.body;

  auto metrics = http(echo, "GET", "/metrics", "", auth);
  EXPECT_EQ(metrics.status, 200);
  EXPECT_TRUE(contains(metrics.body, R"(sextant_http_requests_total{engine="echo",route="POST /echo",code="2xx"} 1)")) << metrics.body;
  EXPECT_TRUE(contains(metrics.body, R"(sextant_http_requests_total{engine="echo",route="POST /echo",code="4xx"} 1)")) << metrics.body;
  platform.stop();
  io.join();
}

TEST(EchoEngine, NamesComeFromTheTable) {
  std::vector<service::EngineRow> table(app::engine_table().begin(), app::engine_table().end());
  table.push_back({"echo", 8700, register_echo});
  EXPECT_EQ(app::engine_names(table), "analytics, risk, ml, features, stream, portfolio, echo");
  EXPECT_EQ(app::select_engines("echo,risk", table).size(), 2u);
  try {
    app::select_engines("echo,nosuch", table);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.field(), "engines");
    EXPECT_TRUE(contains(e.what(), "stream, portfolio, echo")) << e.what();
  }
}

}  // namespace
}  // namespace sextant::test
