// Starts the real `sextant serve` on free loopback ports and talks HTTP to it.
#include <gtest/gtest.h>

#include <string>

#include "integration/http_client.hpp"

namespace sextant::test {
namespace {

const std::pair<const char*, std::uint16_t> kEngines[] = {{"analytics", 8100}, {"risk", 8200},   {"ml", 8400},
                                                          {"features", 8500},  {"stream", 8600}, {"portfolio", 8900}};

bool contains(const std::string& s, const std::string& what) { return s.find(what) != std::string::npos; }

TEST(Serve, AllSixEnginesAnswerHealth) {
  ServerProcess server;
  for (auto [name, base] : kEngines) {
    auto r = http(server.port(base), "GET", "/health");
    EXPECT_EQ(r.status, 200) << name;
    EXPECT_EQ(r.headers["content-type"], "application/json");
    EXPECT_TRUE(contains(r.body, std::string("\"engine\":\"") + name + "\"")) << r.body;
    EXPECT_TRUE(contains(r.body, "\"status\":\"ok\"")) << r.body;
    EXPECT_TRUE(contains(r.body, "\"uptime_s\":")) << r.body;
  }
  EXPECT_EQ(server.stop(), 0) << "SIGTERM shuts down cleanly";
}

TEST(Serve, CommonEndpointsOnEveryPort) {
  ServerProcess server;
  for (auto [name, base] : kEngines) {
    auto port = server.port(base);
    auto status = http(port, "GET", "/api/v1/sme/status");
    EXPECT_EQ(status.status, 200) << name;
    EXPECT_TRUE(contains(status.body, "\"backends\":")) << status.body;
    EXPECT_TRUE(contains(status.body, "\"features\":")) << status.body;
    EXPECT_TRUE(contains(status.body, "\"calibration\":")) << status.body;
    EXPECT_EQ(http(port, "GET", "/api/v1/sme/metrics").status, 200) << name;
    auto perf = http(port, "GET", std::string("/api/v1/sme/engines/") + name + "/performance");
    EXPECT_EQ(perf.status, 200) << name;
    EXPECT_TRUE(contains(perf.body, "\"p99_ms\":")) << perf.body;
  }
  auto port = server.port(8100);
  for (int i = 0; i < 5; ++i) http(port, "GET", "/health");
  auto metrics = http(port, "GET", "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_TRUE(contains(metrics.headers["content-type"], "text/plain"));
  EXPECT_TRUE(contains(metrics.body, "sextant_http_requests_total{engine=\"analytics\",route=\"GET /health\",code=\"2xx\"} 5"))
      << metrics.body;
  EXPECT_TRUE(contains(metrics.body, "sextant_http_request_duration_seconds_bucket")) << metrics.body;
  EXPECT_TRUE(contains(metrics.body, "sextant_accel_decisions_total{op=\"correlation\",backend=\"cpu\"}")) << metrics.body;
  auto perf = http(port, "GET", "/api/v1/sme/engines/analytics/performance");
  EXPECT_TRUE(contains(perf.body, "{\"operation\":\"GET /health\",\"count\":5,")) << perf.body;
  auto unknown = http(port, "GET", "/api/v1/sme/engines/nosuch/performance");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_TRUE(contains(unknown.body, "\"field\":\"name\"")) << unknown.body;
}

TEST(Serve, UnknownPathIs404AndWrongMethodIs405) {
  ServerProcess server;
  auto r = http(server.port(8200), "GET", "/no/such/path");
  EXPECT_EQ(r.status, 404);
  EXPECT_TRUE(contains(r.body, "\"code\":\"SME_NOT_FOUND\"")) << r.body;
  r = http(server.port(8200), "DELETE", "/health");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.headers["allow"], "GET");
  EXPECT_TRUE(contains(r.body, "\"code\":\"SME_METHOD_NOT_ALLOWED\"")) << r.body;
}

TEST(Serve, MalformedJsonIs400AndTheServerCarriesOn) {
  ServerProcess server;
  auto port = server.port(8100);
  auto r = http(port, "POST", "/correlation", "{\"returns\": [[1, 2], [3,");
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(contains(r.body, "\"code\":\"SME_INVALID_JSON\"")) << r.body;
  r = http(port, "POST", "/correlation", "not json at all");
  EXPECT_EQ(r.status, 400);
  r = http(port, "POST", "/correlation", "");
  EXPECT_EQ(r.status, 400);
  r = http(port, "POST", "/correlation", R"({"returns":[[0.01,0.02],[0.03]]})");
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(contains(r.body, "\"field\":\"returns[1]\"")) << r.body;
  r = http(port, "POST", "/correlation", R"({"returns":[[0.01,0.02]]})");
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(contains(r.body, "\"field\":\"returns\"")) << r.body;
  r = http(port, "POST", "/correlation", R"({"retruns":[[0.01,0.02]]})");
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(contains(r.body, "\"field\":\"retruns\"")) << r.body;
  // A good request after the bad ones is served.
  r = http(port, "POST", "/correlation", R"({"returns":{"rows":3,"cols":2,"data":[0.01,0.02,-0.01,0.0,0.03,0.05]}})");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(contains(r.body, "\"correlation_matrix\":[[1,")) << r.body;
  EXPECT_TRUE(contains(r.body, "\"calculation_time_ms\":")) << r.body;
  EXPECT_TRUE(contains(r.body, "\"backend\":\"")) << r.body;
}

TEST(Serve, BodyOverTheLimitIs413) {
  ServerProcess server({"--body-limit-mb", "1"});
  std::string big = "{\"returns\":[[" + std::string(2 << 20, '1') + "]]}";
  auto r = http(server.port(8100), "POST", "/correlation", big);
  EXPECT_EQ(r.status, 413);
  EXPECT_TRUE(contains(r.body, "\"code\":\"SME_PAYLOAD_TOO_LARGE\"")) << r.body;
  EXPECT_EQ(http(server.port(8100), "GET", "/health").status, 200);
}

TEST(Serve, ExpectContinueGetsAnInterimResponse) {
  // curl sends `Expect: 100-continue` with bodies over 1 MB and otherwise waits a second for it.
  ServerProcess server({"--engines", "analytics"});
  auto r = http(server.port(8100), "POST", "/correlation", R"({"returns":[[1,2],[2,3],[3,5]]})",
                {{"Expect", "100-continue"}});
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers["x-interim-status"], "100");
  r = http(server.port(8100), "POST", "/correlation", R"({"returns":[[1,2],[2,3],[3,5]]})");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers.count("x-interim-status"), 0u);
}

TEST(Serve, LargeBodiesAreReadWhole) {
  // Bodies from 256 KB on are read straight into place; JSON whitespace pads one past that size.
  ServerProcess server({"--engines", "analytics"});
  const std::string small = R"({"returns":[[1,2],[2,3],[3,5],[4,4]]})";
  const std::string padded = R"({"returns":)" + std::string(400 * 1024, ' ') + R"([[1,2],[2,3],[3,5],[4,4]]})";
  auto a = http(server.port(8100), "POST", "/correlation", small);
  auto b = http(server.port(8100), "POST", "/correlation", padded, {{"Expect", "100-continue"}});
  ASSERT_EQ(a.status, 200) << a.body;
  ASSERT_EQ(b.status, 200) << b.body;
  auto matrix = [](const std::string& body) { return body.substr(0, body.find("\"calculation_time_ms\"")); };
  EXPECT_EQ(matrix(a.body), matrix(b.body));
  EXPECT_EQ(http(server.port(8100), "POST", "/nowhere", padded).status, 404);
  EXPECT_EQ(http(server.port(8100), "GET", "/health").status, 200);
}

TEST(Serve, ApiKeyGuardsEverythingButHealth) {
  ServerProcess server({"--api-key", "s3cret"});
  auto port = server.port(8200);
  EXPECT_EQ(http(port, "GET", "/health").status, 200);
  auto r = http(port, "GET", "/metrics");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.headers["www-authenticate"], "Bearer");
  EXPECT_TRUE(contains(r.body, "\"code\":\"SME_UNAUTHORIZED\"")) << r.body;
  EXPECT_EQ(http(port, "GET", "/api/v1/sme/status", "", {{"Authorization", "Bearer wrong"}}).status, 401);
  EXPECT_EQ(http(port, "GET", "/api/v1/sme/status", "", {{"Authorization", "Bearer s3cret"}}).status, 200);
  EXPECT_EQ(http(server.port(8100), "POST", "/correlation", "{}").status, 401) << "auth before parsing";
}

TEST(Serve, KeepAliveServesSeveralRequestsOnOneConnection) {
  ServerProcess server;
  auto results = http_keep_alive(server.port(8400), {"/health", "/api/v1/sme/status", "/nope", "/health"});
  ASSERT_EQ(results.size(), 4u);
  EXPECT_EQ(results[0].status, 200);
  EXPECT_EQ(results[1].status, 200);
  EXPECT_EQ(results[2].status, 404);
  EXPECT_EQ(results[3].status, 200);
}

TEST(Serve, PortInUseIsAClearErrorNamingThePort) {
  ServerProcess first;
  std::string err;
  int code = run_sextant({"serve", "--port-offset", std::to_string(first.offset()), "--engines", "risk"}, &err);
  EXPECT_NE(code, 0);
  EXPECT_TRUE(contains(err, "port " + std::to_string(first.port(8200)))) << err;
  EXPECT_TRUE(contains(err, "already in use")) << err;
}

TEST(Serve, BadOptionsFailWithTheirName) {
  std::string err;
  EXPECT_NE(run_sextant({"serve", "--engines", "analytics,quantum"}, &err), 0);
  EXPECT_TRUE(contains(err, "quantum")) << err;
  EXPECT_NE(run_sextant({"serve", "--threads", "many"}, &err), 0);
  EXPECT_TRUE(contains(err, "threads")) << err;
  EXPECT_EQ(run_sextant({"--version"}, &err), 0);
}

TEST(Serve, SelectedEnginesOnly) {
  int offset = free_port_offset();
  ServerProcess server({"--engines", "analytics,portfolio"}, offset);
  EXPECT_EQ(http(server.port(8900), "GET", "/health").status, 200);
  EXPECT_THROW(http(server.port(8200), "GET", "/health"), std::runtime_error) << "risk was not started";
}

}  // namespace
}  // namespace sextant::test
