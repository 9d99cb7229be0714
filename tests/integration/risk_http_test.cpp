// The risk endpoints through the real server.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

#include "integration/http_client.hpp"
#include "sextant/core/base64.hpp"

namespace sextant::test {
namespace {

bool contains(const std::string& s, const std::string& what) { return s.find(what) != std::string::npos; }

const std::string kReturns = R"([[0.01,0.02,-0.01],[-0.02,0.01,0.0],[0.015,-0.005,0.02],[0.0,0.01,-0.01],[0.03,0.02,0.01],[-0.01,-0.02,0.005]])";

TEST(RiskHttp, VarByMethodsLevelsAndPositions) {
  ServerProcess server({"--engines", "risk"});
  auto r = http(server.port(8200), "POST", "/calculate-var",
                R"({"returns":)" + kReturns +
                    R"(,"weights":[0.5,0.3,0.2],"confidence_levels":[0.95,0.99],"methods":["gaussian","historical","modified","monte_carlo"],"simulations":5000,"seed":1})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(contains(r.body, R"("results":{"0.95":{"gaussian":{"var":)")) << r.body;
  EXPECT_TRUE(contains(r.body, R"("monte_carlo":{"var":)")) << r.body;
  EXPECT_TRUE(contains(r.body, R"("component_var":[)")) << r.body;
  r = http(server.port(8200), "POST", "/calculate-var",
           R"({"returns":)" + kReturns +
               R"(,"symbols":["A","B","C"],"positions":{"A":100,"B":50},"prices":{"A":10,"B":20},"methods":["gaussian"]})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(contains(r.body, R"("portfolio_value":2000)")) << r.body;
  EXPECT_TRUE(contains(r.body, R"("var_currency":)")) << r.body;
}

TEST(RiskHttp, StudentTAndBacktest) {
  ServerProcess server({"--engines", "risk"});
  auto r = http(server.port(8200), "POST", "/calculate-var",
                R"({"returns":)" + kReturns + R"(,"weights":[0.5,0.3,0.2],"methods":["student_t"],"nu":5})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(contains(r.body, R"("nu":5)")) << r.body;
  EXPECT_TRUE(contains(r.body, R"("student_t":{"var":)")) << r.body;
  r = http(server.port(8200), "POST", "/backtest-var",
           R"({"returns":[0.01,-0.03,0.0,-0.05,0.02],"var":[0.02,0.02,0.02,0.02,0.02],"confidence":0.95})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(contains(r.body, R"("exceptions":2)")) << r.body;
  EXPECT_TRUE(contains(r.body, R"("exception_rows":[1,3])")) << r.body;
  EXPECT_TRUE(contains(r.body, R"("zone":")")) << r.body;
  r = http(server.port(8200), "POST", "/backtest-var", R"({"returns":[0.01,0.02],"var":[0.02]})");
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(contains(r.body, R"("field":"var")")) << r.body;
}

TEST(RiskHttp, StressTestsAndIncrementalVar) {
  ServerProcess server({"--engines", "risk"});
  auto r = http(server.port(8200), "POST", "/stress-test",
                R"({"returns":)" + kReturns +
                    R"(,"weights":[0.5,0.3,0.2],"portfolio_value":1000,"symbols":["A","B","C"],"dates":["d1","d2","d3","d4","d5","d6"],"scenarios":[{"name":"crash","start":"d2","end":"d3"}],"worst_windows":{"count":2,"length":2},"shocks":[{"name":"A down","shocks":{"A":-0.1}}]})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(contains(r.body, R"({"name":"crash","total_pnl":)")) << r.body;
  EXPECT_TRUE(contains(r.body, R"("name":"worst window 2")")) << r.body;
  EXPECT_TRUE(contains(r.body, R"({"name":"A down","total_pnl":)")) << r.body;
  r = http(server.port(8200), "POST", "/stress-test",
           R"({"returns":)" + kReturns + R"(,"weights":[0.5,0.3,0.2],"shocks":[{"shocks":{"Z":-0.1}}]})");
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(contains(r.body, R"("field":"shocks.Z")")) << r.body;
  r = http(server.port(8200), "POST", "/calculate-var",
           R"({"returns":)" + kReturns +
               R"(,"weights":[0.5,0.3,0.2],"methods":["gaussian","historical"],"confidence_levels":[0.95],"estimator":"ledoit_wolf","trade":[0.01,0.0,-0.01]})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(contains(r.body, R"("estimator":"ledoit_wolf")")) << r.body;
  const auto first = r.body.find(R"("var_after":)");
  ASSERT_NE(first, std::string::npos) << r.body;
  EXPECT_NE(r.body.find(R"("var_after":)", first + 1), std::string::npos) << "a trade's figures for each method: " << r.body;
  EXPECT_TRUE(contains(r.body, R"("incremental_var_first_order":)")) << r.body;
  r = http(server.port(8200), "POST", "/calculate-var",
           R"({"returns":)" + kReturns + R"(,"weights":[0.5,0.3,0.2],"estimator":"ewma","ewma_lambda":1.2})");
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(contains(r.body, R"("field":"ewma_lambda")")) << r.body;
}

// The returns as base64 float64 bytes give the same response as the same returns as JSON text.
TEST(RiskHttp, Base64ReturnsGiveTheSameAnswer) {
  ServerProcess server({"--engines", "risk"});
  const double values[] = {0.01, 0.02, -0.01, -0.02, 0.01,  0.0,  0.015, -0.005, 0.02,
                           0.0,  0.01, -0.01, 0.03,  0.02, 0.01, -0.01, -0.02,  0.005};  // kReturns
  const std::string rest =
      R"(,"weights":[0.5,0.3,0.2],"methods":["gaussian","historical","modified","monte_carlo"],"simulations":2000,"seed":3})";
  auto text = http(server.port(8200), "POST", "/calculate-var", R"({"returns":)" + kReturns + rest);
  auto binary = http(server.port(8200), "POST", "/calculate-var",
                     R"({"returns":{"rows":6,"cols":3,"data_base64":")" + base64_encode(values, sizeof values) +
                         "\"}" + rest);
  ASSERT_EQ(text.status, 200) << text.body;
  ASSERT_EQ(binary.status, 200) << binary.body;
  auto without_time = [](std::string s) {  // calculation_time_ms differs between two calls
    const auto at = s.find(R"("calculation_time_ms":)");
    return at == std::string::npos ? s : s.erase(at, s.find(',', at) - at);
  };
  EXPECT_EQ(without_time(binary.body), without_time(text.body));
  auto bad = http(server.port(8200), "POST", "/calculate-var",
                  R"({"returns":{"rows":6,"cols":4,"data_base64":")" + base64_encode(values, sizeof values) + "\"}" +
                      rest);
  EXPECT_EQ(bad.status, 400);
  EXPECT_TRUE(contains(bad.body, R"("field":"returns.data_base64")")) << bad.body;
}

TEST(RiskHttp, ParametricVarFromAGivenCovariance) {
  ServerProcess server({"--engines", "risk"});
  const std::string cov = R"("covariance":[[0.0004,0.0001],[0.0001,0.0009]])";
  auto var = [&](const std::string& extra) {
    return http(server.port(8200), "POST", "/calculate-var", "{" + cov + R"(,"weights":[0.6,0.4])" + extra + "}");
  };
  auto r = var(R"(,"confidence_levels":[0.99])");
  ASSERT_EQ(r.status, 200) << r.body;
  // σ_p² = 0.36·0.0004 + 2·0.24·0.0001 + 0.16·0.0009 = 0.000336; zero mean: VaR = 2.3263478740408408·σ_p.
  EXPECT_TRUE(contains(r.body, R"("portfolio_volatility":0.0183303)")) << r.body;
  EXPECT_TRUE(contains(r.body, R"("gaussian":{"var":0.04264)")) << r.body;
  r = var(R"(,"methods":["gaussian","student_t","monte_carlo"],"nu":6,"simulations":5000,"expected_returns":[0.001,0.0],"trade":[-0.1,0.1])");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(contains(r.body, R"("monte_carlo":{"var":)")) << r.body;
  EXPECT_TRUE(contains(r.body, R"("incremental_var":)")) << r.body;
  const std::pair<std::string, std::string> bad[] = {
      {R"(,"methods":["historical"])", "methods"},
      {R"(,"methods":["student_t"])", "nu"},
      {R"(,"estimator":"ewma")", "estimator"},
      {R"(,"returns":[[0.01,0.02],[0.0,-0.01]])", "covariance"},
  };
  for (const auto& [extra, field] : bad) {
    r = var(extra);
    EXPECT_EQ(r.status, 400) << extra;
    EXPECT_TRUE(contains(r.body, R"("field":")" + field + '"')) << extra << " -> " << r.body;
  }
  const std::pair<std::string, std::string> bad_cov[] = {
      {R"("covariance":[[0.0004,0.0001],[0.0002,0.0009]])", "covariance[1][0]"},  // not symmetric
      {R"("covariance":[[0.0004,0.001],[0.001,0.0009]])", "covariance"},          // not PSD
      {R"("covariance":[[0.0004,0.0001,0],[0.0001,0.0009,0]])", "covariance"},    // not square
  };
  for (const auto& [c, field] : bad_cov) {
    r = http(server.port(8200), "POST", "/calculate-var", "{" + c + R"(,"weights":[0.6,0.4]})");
    EXPECT_EQ(r.status, 400) << c;
    EXPECT_TRUE(contains(r.body, R"("field":")" + field + '"')) << c << " -> " << r.body;
  }
}

TEST(RiskHttp, ShocksFromAGivenOrEstimatedCovariance) {
  ServerProcess server({"--engines", "risk"});
  auto stress = [&](const std::string& body) { return http(server.port(8200), "POST", "/stress-test", body); };
  // B moves by β = Σ_BA/Σ_AA = 0.0001/0.0004 of A's -10%: -2.5%; P&L = 1000·(0.6·-0.1 + 0.4·-0.025) = -70.
  auto r = stress(R"({"covariance":[[0.0004,0.0001],[0.0001,0.0009]],"weights":[0.6,0.4],"symbols":["A","B"],"portfolio_value":1000,)"
                  R"("shocks":[{"name":"A down","shocks":{"A":-0.1}}]})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(contains(r.body, R"({"name":"A down","total_pnl":-70,"pnl":[-60,-10],"asset_returns":[-0.1,-0.025]})")) << r.body;
  r = stress(R"({"returns":)" + kReturns + R"(,"weights":[0.5,0.3,0.2],"estimator":"ewma","ewma_lambda":0.9,"ewma_seed_rows":3,"shocks":[{"shocks":{"0":-0.1}}]})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(contains(r.body, R"("estimator":"ewma")")) << r.body;
  r = stress(R"({"covariance":[[0.0004,0.0001],[0.0001,0.0009]],"weights":[0.6,0.4],"worst_windows":{"count":1}})");
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(contains(r.body, R"("field":"worst_windows")")) << r.body;
  r = stress(R"({"covariance":[[0.0004,0.0001],[0.0001,0.0009]],"weights":[0.6,0.4],"ewma_lambda":0.9,"shocks":[{"shocks":{"0":-0.1}}]})");
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(contains(r.body, R"("field":"ewma_lambda")")) << r.body;
}

TEST(RiskHttp, PretradeDecisionsAndRateLimit) {
  ServerProcess server({"--engines", "risk"});
  const std::string base = R"("symbols":["A","B"],"positions":{"A":100,"B":-50},"prices":{"A":10,"B":20},"covariance":[[0.0004,0.0001],[0.0001,0.0009]])";
  auto check = [&](const std::string& extra) {
    return http(server.port(8200), "POST", "/pretrade-check", "{" + base + "," + extra + "}");
  };
  auto r = check(R"("order":{"instrument":"A","side":"buy","quantity":10,"price":10})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(contains(r.body, R"("decision":"accept","reason":"OK")")) << r.body;
  r = check(R"("order":{"instrument":"A","side":"buy","quantity":60,"price":10},"limits":{"max_order_notional":500})");
  EXPECT_TRUE(contains(r.body, R"("reason":"MAX_ORDER_NOTIONAL")")) << r.body;
  r = check(R"("order":{"instrument":"A","side":"buy","quantity":1,"price":10},"trading_state":"HALTED")");
  EXPECT_TRUE(contains(r.body, R"("reason":"TRADING_HALTED")")) << r.body;
  for (int i = 0; i < 2; ++i)
    EXPECT_TRUE(contains(check(R"("order":{"instrument":"A","side":"sell","quantity":1,"price":10},"account":"acct-7","limits":{"max_orders_per_second":2})").body,
                         R"("decision":"accept")"));
  r = check(R"("order":{"instrument":"A","side":"sell","quantity":1,"price":10},"account":"acct-7","limits":{"max_orders_per_second":2})");
  EXPECT_TRUE(contains(r.body, R"("reason":"ORDER_RATE")")) << r.body;
  r = check(R"("order":{"instrument":"Z","side":"buy","quantity":1,"price":10})");
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(contains(r.body, R"("field":"order.instrument")")) << r.body;
  // A covariance that is not PSD could make the VaR after the trade imaginary, and a VaR limit pass.
  r = http(server.port(8200), "POST", "/pretrade-check",
           R"({"symbols":["A","B"],"positions":{"A":100,"B":-50},"prices":{"A":10,"B":20},"covariance":[[0.0004,0.001],[0.001,0.0009]],)"
           R"("order":{"instrument":"A","side":"buy","quantity":10,"price":10},"limits":{"max_var":100}})");
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(contains(r.body, R"("field":"covariance")")) << r.body;
}

TEST(RiskHttp, MarginWorkedExample) {
  ServerProcess server({"--engines", "risk"});
  auto r = http(server.port(8200), "POST", "/calculate-margin",
                R"({"positions":{"A":10,"B":-5},"prices":{"A":100,"B":50},"margin_rates":{"A":0.2},"default_margin_rate":0.1,"maintenance_ratio":0.75})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(contains(r.body, R"("total_margin":225,"initial_margin":225,"maintenance_margin":168.75,"equity":750,"excess_margin":581.25,"margin_utilization":0.225,"risk_level":"LOW")"))
      << r.body;
  r = http(server.port(8200), "POST", "/calculate-margin",
           R"({"positions":{"A":10,"B":-5},"prices":{"A":100,"B":50},"portfolio_margin":{"instruments":["A","B"],"price_scan_ranges":{"A":0.15},"correlation":[[1,0.8],[0.8,1]]}})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(contains(r.body, R"("portfolio_margin":{"undiversified":175,"diversified":130.86)")) << r.body;
  EXPECT_TRUE(contains(r.body, R"("worst_scenario":13)")) << r.body;
}

TEST(RiskHttp, BadInputIs400NamingTheField) {
  ServerProcess server({"--engines", "risk"});
  auto expect_400 = [&](const std::string& path, const std::string& body, const std::string& field) {
    auto r = http(server.port(8200), "POST", path, body);
    EXPECT_EQ(r.status, 400) << body << " -> " << r.body;
    EXPECT_TRUE(contains(r.body, "\"field\":\"" + field + "\"")) << body << " -> " << r.body;
  };
  expect_400("/calculate-var", R"({"returns":)" + kReturns + R"(,"weights":[0.5,0.5]})", "weights");
  expect_400("/calculate-var", R"({"returns":)" + kReturns + R"(,"weights":[0.5,null,0.2]})", "weights");
  expect_400("/calculate-var", R"({"returns":)" + kReturns + R"(,"weights":[0.5,0.3,0.2],"confidence_levels":[1.5]})", "confidence_levels");
  expect_400("/calculate-var", R"({"returns":)" + kReturns + R"(,"weights":[0.5,0.3,0.2],"methods":["voodoo"]})", "methods");
  // A repeated level or method would write the same response key twice.
  expect_400("/calculate-var", R"({"returns":)" + kReturns + R"(,"weights":[0.5,0.3,0.2],"confidence_levels":[0.95,0.99,0.95]})", "confidence_levels");
  expect_400("/calculate-var", R"({"returns":)" + kReturns + R"(,"weights":[0.5,0.3,0.2],"methods":["gaussian","historical","gaussian"]})", "methods");
  expect_400("/calculate-var", R"({"returns":)" + kReturns + R"(,"weights":[0.5,0.3,0.2],"quantile_method":"median"})", "quantile_method");
  expect_400("/calculate-margin", R"({"positions":{"A":10}})", "prices.A");
}

// Each stress scenario is 2N numbers out of a few bytes of request: past SME_MEMORY_POOL_MB that is a
// 413 naming "scenarios", refused before anything is computed.
TEST(RiskHttp, StressResultsOverTheMemoryPoolAre413) {
  ::setenv("SME_MEMORY_POOL_MB", "1", 1);
  ServerProcess server({"--engines", "risk"});
  ::unsetenv("SME_MEMORY_POOL_MB");
  std::string row = "[", weights = "[";
  for (int i = 0; i < 3000; ++i) row += (i ? ",0.01" : "0.01"), weights += (i ? ",0.0003" : "0.0003");
  row += "]", weights += "]";
  const std::string book = R"({"returns":[)" + row + "," + row + R"(],"weights":)" + weights + R"(,"scenarios":[)";
  std::string ten, one = R"({"name":"s","start_row":0,"end_row":1})";
  for (int k = 0; k < 10; ++k) ten += (k ? "," : "") + one;
  auto r = http(server.port(8200), "POST", "/stress-test", book + ten + "]}");  // 10·2·3000 numbers ≈ 1.8 MiB
  EXPECT_EQ(r.status, 413) << r.body.substr(0, 300);
  EXPECT_TRUE(contains(r.body, R"("field":"scenarios")")) << r.body.substr(0, 300);
  r = http(server.port(8200), "POST", "/stress-test", book + one + "]}");
  EXPECT_EQ(r.status, 200) << r.body.substr(0, 300);
}

// A T×N panel as JSON rows (a fixed LCG: fat enough tails that the 5% tail holds several days).
std::string panel_json(int t, int n, std::uint64_t seed) {
  std::string out = "[";
  for (int r = 0; r < t; ++r) {
    out += r ? ",[" : "[";
    for (int i = 0; i < n; ++i) {
      seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
      const double u = double(seed >> 11) / 9007199254740992.0 - 0.5;
      out += (i ? "," : "") + std::to_string(0.04 * u * u * u + 0.01 * u);
    }
    out += "]";
  }
  return out + "]";
}

// The number after the first `marker` at or after `from` in a response body.
double number_after(const std::string& body, const std::string& marker, std::size_t from = 0) {
  const auto at = body.find(marker, from);
  EXPECT_NE(at, std::string::npos) << marker << " in " << body.substr(0, 400);
  return at == std::string::npos ? NAN : std::strtod(body.c_str() + at + marker.size(), nullptr);
}

// A history stored once answers /calculate-var as the same history sent with each request does.
TEST(RiskHttp, ScenarioSetsServeLaterRequests) {
  ServerProcess server({"--engines", "risk"});
  const auto port = server.port(8200);
  const std::string returns = panel_json(300, 8, 5);
  const std::string symbols = R"(["S0","S1","S2","S3","S4","S5","S6","S7"])";
  auto r = http(port, "PUT", "/scenario-sets/book-1", R"({"returns":)" + returns + R"(,"symbols":)" + symbols + "}");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_TRUE(contains(r.body, R"("name":"book-1","rows":300,"cols":8)")) << r.body;
  EXPECT_EQ(http(port, "PUT", "/scenario-sets/book-1", R"({"returns":)" + returns + R"(,"symbols":)" + symbols + "}").status, 200);
  EXPECT_TRUE(contains(http(port, "GET", "/scenario-sets").body, R"("name":"book-1")"));
  EXPECT_EQ(http(port, "GET", "/scenario-sets/book-1").status, 200);

  // historical alone takes the prepared screen: the same figures to rounding.
  const std::string rest = R"(,"weights":[0.3,0.2,0.1,0.1,0.1,0.1,0.05,0.05],"methods":["historical"],"confidence_levels":[0.95,0.99]})";
  auto sent = http(port, "POST", "/calculate-var", R"({"returns":)" + returns + rest);
  auto stored = http(port, "POST", "/calculate-var", R"({"scenario_set":"book-1")" + rest);
  ASSERT_EQ(sent.status, 200) << sent.body;
  ASSERT_EQ(stored.status, 200) << stored.body;
  EXPECT_TRUE(contains(stored.body, R"("scenario_set":"book-1")")) << stored.body;
  for (const std::string key : {R"("portfolio_volatility":)", R"("portfolio_mean":)"}) {
    const double a = number_after(sent.body, key), b = number_after(stored.body, key);
    EXPECT_NEAR(b, a, 1e-12 * std::abs(a)) << key;
  }
  for (const std::string level : {R"("0.95":)", R"("0.99":)"})
    for (const std::string key : {R"("var":)", R"("es":)", R"("component_es":[)", R"("marginal_var":[)"}) {
      const double a = number_after(sent.body, key, sent.body.find(level));
      const double b = number_after(stored.body, key, stored.body.find(level));
      EXPECT_NEAR(b, a, 1e-12 * std::abs(a)) << level << key;
    }
  // Other methods run on the stored history itself: the same response, but for the set's name.
  const std::string all = R"(,"weights":[0.3,0.2,0.1,0.1,0.1,0.1,0.05,0.05],"methods":["gaussian","historical","modified"]})";
  sent = http(port, "POST", "/calculate-var", R"({"returns":)" + returns + all);
  stored = http(port, "POST", "/calculate-var", R"({"scenario_set":"book-1")" + all);
  auto comparable = [](std::string s) {
    for (const std::string key : {R"(,"calculation_time_ms":)", R"(,"scenario_set":"book-1")"}) {
      const auto at = s.find(key);
      if (at != std::string::npos) s.erase(at, s.find_first_of(",}", at + key.size()) - at);
    }
    return s;
  };
  EXPECT_EQ(comparable(stored.body), comparable(sent.body));
  // Positions name the set's symbols.
  r = http(port, "POST", "/calculate-var",
           R"({"scenario_set":"book-1","positions":{"S0":10,"S3":-2},"prices":{"S0":5,"S3":10},"methods":["historical"]})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(contains(r.body, R"("portfolio_value":30)")) << r.body;

  auto expect_error = [&](const std::string& method, const std::string& path, const std::string& body, int status,
                          const std::string& field) {
    auto e = http(port, method, path, body);
    EXPECT_EQ(e.status, status) << path << " " << body.substr(0, 80) << " -> " << e.body;
    EXPECT_TRUE(contains(e.body, "\"field\":\"" + field + "\"")) << e.body;
  };
  expect_error("POST", "/calculate-var", R"({"scenario_set":"book-1","returns":)" + kReturns + rest, 400, "scenario_set");
  expect_error("POST", "/calculate-var", R"({"scenario_set":"book-1","symbols":["A"],"weights":[1]})", 400, "symbols");
  expect_error("POST", "/calculate-var", R"({"scenario_set":"nope")" + rest, 404, "scenario_set");
  expect_error("POST", "/calculate-var", R"({"scenario_set":"book-1","weights":[0.5,0.5]})", 400, "weights");
  expect_error("PUT", "/scenario-sets/bad!name", R"({"returns":)" + kReturns + "}", 400, "name");
  expect_error("PUT", "/scenario-sets/x", R"({"returns":[[0.01,null],[0.02,0.01]]})", 400, "returns");
  expect_error("PUT", "/scenario-sets/x", R"({"symbols":["A"]})", 400, "returns");
  expect_error("PUT", "/scenario-sets/x", R"({"returns":)" + kReturns + R"(,"symbols":["A"]})", 400, "symbols");
  expect_error("GET", "/scenario-sets/x", "", 404, "name");
  EXPECT_EQ(http(port, "DELETE", "/scenario-sets/book-1").status, 200);
  expect_error("DELETE", "/scenario-sets/book-1", "", 404, "name");
  expect_error("POST", "/calculate-var", R"({"scenario_set":"book-1")" + rest, 404, "scenario_set");
  EXPECT_TRUE(contains(http(port, "GET", "/scenario-sets").body, R"("scenario_sets":[],"bytes":0)"));
}

// The stored sets together stay within SME_MEMORY_POOL_MB; replacing a set counts only the new one.
TEST(RiskHttp, ScenarioSetsOverTheMemoryPoolAre413) {
  ::setenv("SME_MEMORY_POOL_MB", "1", 1);
  ServerProcess server({"--engines", "risk"});
  ::unsetenv("SME_MEMORY_POOL_MB");
  const auto port = server.port(8200);
  // 150 × 200: 240 KB of returns, 30 KB of codes, 320 KB of covariance, ~0.56 MiB a set.
  const std::string body = R"({"returns":)" + panel_json(150, 200, 9) + "}";
  EXPECT_EQ(http(port, "PUT", "/scenario-sets/a", body).status, 201);
  auto r = http(port, "PUT", "/scenario-sets/b", body);
  EXPECT_EQ(r.status, 413) << r.body.substr(0, 300);
  EXPECT_TRUE(contains(r.body, R"("field":"returns")")) << r.body.substr(0, 300);
  EXPECT_EQ(http(port, "PUT", "/scenario-sets/a", body).status, 200);
  r = http(port, "PUT", "/scenario-sets/big", R"({"returns":)" + panel_json(300, 400, 9) + "}");
  EXPECT_EQ(r.status, 413) << r.body.substr(0, 300);
  EXPECT_EQ(http(port, "DELETE", "/scenario-sets/a").status, 200);
  EXPECT_EQ(http(port, "PUT", "/scenario-sets/b", body).status, 201);
}


// Accounts and a book from files (config keys risk_accounts, portfolio_book) replace the demo ones and
// are margined and re-weighed on the simulator's bars; a bad file stops the start naming key and field.
TEST(LiveConfig, AccountsAndABookFromFilesDriveTheLiveEngines) {
  const std::string dir = ::testing::TempDir();
  const std::string accounts = dir + "/sextant-accounts.json", book = dir + "/sextant-book.json";
  const auto write = [](const std::string& path, const std::string& text) { std::ofstream(path) << text; };
  write(accounts, R"({"accounts":[{"name":"fund-a","positions":{"SIM000":1000,"SIM001":-500},"cash":50000},
                                  {"name":"fund-b","positions":{"SIM002":200},"cash":10000,"default_margin_rate":0.2,"maintenance_ratio":0.5}]})");
  write(book, R"({"assets":["SIM000","SIM001","SIM002"],"shares":[100,200,300],"target_weights":[0.4,0.3,0.3],"cost_bps":5})");
  {
    ServerProcess server({"--engines", "risk,portfolio", "--market-data", "sim", "--bar-interval-ms", "20", "--risk-accounts", accounts, "--portfolio-book", book});
    std::string risk, portfolio;
    for (int i = 0; i < 200; ++i) {
      risk = http(server.port(8200), "GET", "/risk/live").body;
      portfolio = http(server.port(8900), "GET", "/portfolio/live").body;
      if (number_after(risk, "\"rows\":") >= 3 && number_after(portfolio, "\"rows\":") >= 3) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_EQ(number_after(risk, "\"accounts\":"), 2) << "the two configured accounts, no demo account: " << risk;
    EXPECT_GT(number_after(risk, "\"margin_updates\":"), 0) << risk;
    EXPECT_GE(number_after(portfolio, "\"rows\":"), 3) << portfolio;
    EXPECT_GT(number_after(portfolio, "\"max_drift\":"), 0.01) << "shares worth far from 40/30/30: " << portfolio;
  }
  std::string err;
  EXPECT_NE(run_sextant({"serve", "--engines", "risk", "--risk-accounts", dir + "/no-such-file.json"}, &err), 0);
  EXPECT_TRUE(contains(err, "risk_accounts")) << err;
  write(book, R"({"assets":["SIM000","SIM001"],"shares":[1,1],"target_weights":[0.4,0.4]})");
  EXPECT_NE(run_sextant({"serve", "--engines", "portfolio", "--portfolio-book", book}, &err), 0);
  EXPECT_TRUE(contains(err, "portfolio_book") && contains(err, "target_weights")) << err;
  write(accounts, R"({"accounts":[{"name":"x","positions":{"SIM000":1},"maintenance_ratio":-1}]})");
  EXPECT_NE(run_sextant({"serve", "--engines", "risk", "--risk-accounts", accounts}, &err), 0);
  EXPECT_TRUE(contains(err, "accounts[0].maintenance_ratio")) << err;
}

}  // namespace
}  // namespace sextant::test
