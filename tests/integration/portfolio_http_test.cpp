// The portfolio endpoints through the real server.
#include <gtest/gtest.h>

#include "integration/http_client.hpp"

namespace sextant::test {
namespace {

bool contains(const std::string& s, const std::string& what) { return s.find(what) != std::string::npos; }

const std::string kMu = R"([0.05,0.08,0.12])";
const std::string kCov = R"([[0.04,0.006,0.002],[0.006,0.09,0.018],[0.002,0.018,0.16]])";

TEST(PortfolioHttp, OptimizeObjectivesAndConstraints) {
  ServerProcess server({"--engines", "portfolio"});
  const auto port = server.port(8900);
  auto r = http(port, "POST", "/optimize", R"({"expected_returns":)" + kMu + R"(,"covariance":)" + kCov + R"(,"objective":"min_variance"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(contains(r.body, R"("weights":[)")) << r.body;
  EXPECT_TRUE(contains(r.body, R"("status":"optimal")")) << r.body;
  EXPECT_TRUE(contains(r.body, R"("risk_contributions":[)")) << r.body;
  r = http(port, "POST", "/optimize",
           R"({"expected_returns":)" + kMu + R"(,"covariance":)" + kCov +
               R"(,"symbols":["BOND","EQ","EM"],"objective":"max_sharpe","risk_free_rate":0.01,"constraints":{"bounds":[0,0.6],"groups":[{"name":"equity","assets":["EQ","EM"],"max":0.5}]}})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(contains(r.body, R"("symbols":["BOND","EQ","EM"])")) << r.body;
  for (const char* o : {"risk_parity", "hrp", "max_utility"}) {
    r = http(port, "POST", "/optimize", R"({"expected_returns":)" + kMu + R"(,"covariance":)" + kCov + R"(,"objective":")" + o + R"("})");
    EXPECT_EQ(r.status, 200) << o << ": " << r.body;
  }
  r = http(port, "POST", "/optimize",
           R"({"returns":[[0.01,0.02,-0.01],[-0.02,0.01,0.0],[0.015,-0.005,0.02],[0.0,0.01,-0.01],[0.03,0.02,0.01],[-0.01,-0.02,0.005]],"objective":"min_cvar","cvar_confidence":0.8})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(contains(r.body, R"("cvar":)")) << r.body;
  for (const char* est : {"sample", "ledoit_wolf", "ewma"}) {  // μ and Σ estimated from returns
    r = http(port, "POST", "/optimize",
             std::string(R"({"returns":[[0.01,0.02,-0.01],[-0.02,0.01,0.0],[0.015,-0.005,0.02],[0.0,0.01,-0.01],[0.03,0.02,0.01],[-0.01,-0.02,0.005]],"estimator":")") +
                 est + R"(","ewma_lambda":0.9,"objective":"min_variance"})");
    EXPECT_EQ(r.status, 200) << est << ": " << r.body;
  }
  r = http(port, "POST", "/optimize", R"({"returns":[[0.01,0.02]],"objective":"min_variance"})");
  EXPECT_EQ(r.status, 400) << r.body;
  r = http(port, "POST", "/optimize",
           R"({"expected_returns":)" + kMu + R"(,"covariance":)" + kCov +
               R"(,"objective":"black_litterman","views":{"P":[[0,1,-1]],"Q":[0.02],"objective":"max_utility"},"risk_aversion":3})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(contains(r.body, R"("posterior_expected_returns":[)")) << r.body;
}

TEST(PortfolioHttp, FrontierRebalanceAttribution) {
  ServerProcess server({"--engines", "portfolio"});
  const auto port = server.port(8900);
  auto r = http(port, "POST", "/frontier", R"({"expected_returns":)" + kMu + R"(,"covariance":)" + kCov + R"(,"points":5})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(contains(r.body, R"("points":[{"expected_return":)")) << r.body;
  r = http(port, "POST", "/rebalance",
           R"({"assets":["A","B","C"],"prices":[100,50,20],"current_shares":[100,0,500],"target_weights":[0.5,0.3,0.2],"lot_sizes":[1,10,100],"cost_bps":10,"half_spread_bps":5,"fixed_cost":1})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(contains(r.body, R"("urgency":"CRITICAL")")) << r.body;
  EXPECT_TRUE(contains(r.body, R"({"asset":"B","side":"buy","shares":110,)")) << r.body;
  EXPECT_TRUE(contains(r.body, R"("total_cost":19.25)")) << r.body;
  r = http(port, "POST", "/attribution",
           R"({"brinson":{"sectors":["s1","s1","s2","s2"],"portfolio_weights":[0.4,0.2,0.1,0.3],"benchmark_weights":[0.25,0.25,0.25,0.25],"portfolio_returns":[0.05,0.02,-0.01,0.03],"benchmark_returns":[0.04,0.01,0,0.02]},"factor":{"exposures":[1.1,-0.3],"factor_returns":[0.02,0.01],"portfolio_return":0.025}})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(contains(r.body, R"("brinson":{"portfolio_return":0.032)")) << r.body;
  EXPECT_TRUE(contains(r.body, R"("factor":{"exposures":[1.1,-0.3])")) << r.body;
  r = http(port, "POST", "/attribution",
           R"({"periods":[{"sectors":["a","b"],"portfolio_weights":[0.6,0.4],"benchmark_weights":[0.5,0.5],"portfolio_returns":[0.01,0.02],"benchmark_returns":[0.0,0.01]},{"sectors":["a","b"],"portfolio_weights":[0.6,0.4],"benchmark_weights":[0.5,0.5],"portfolio_returns":[-0.01,0.03],"benchmark_returns":[0.01,0.0]}],"performance":{"returns":[0.01,-0.02,0.015,0.003],"benchmark":[0.008,-0.01,0.01,0.0]}})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(contains(r.body, R"("linked":{"portfolio_return":)")) << r.body;
  EXPECT_TRUE(contains(r.body, R"("performance":{"total_return":)")) << r.body;
  EXPECT_TRUE(contains(r.body, R"("beta":)")) << r.body;
}

TEST(PortfolioHttp, BadInputGets400Or422NamingTheField) {
  ServerProcess server({"--engines", "portfolio"});
  const auto port = server.port(8900);
  struct Case {
    std::string body;
    int status;
    std::string field;
  };
  const std::string base = R"({"expected_returns":)" + kMu + R"(,"covariance":)" + kCov;
  std::vector<Case> cases{
      {R"({"expected_returns":[0.1,0.2],"covariance":[[0.04,0.01,0.0],[0.01,0.09,0.0]]})", 400, "covariance"},  // not square
      {R"({"expected_returns":[0.1,0.2],"covariance":[[0.04,0.5],[0.5,0.09]]})", 400, "covariance"},            // not PSD
      {base + R"(,"constraints":{"bounds":[0,0.2]}})", 422, "constraints"},                                      // Σ <= 0.6 < 1
      {base + R"(,"constraints":{"bounds":[0.5,0.2]}})", 422, "constraints.bounds"},
      {base + R"(,"constraints":{"bounds":[[0,1],[0,1]]}})", 400, "constraints.bounds"},
      {base + R"(,"constraints":{"groups":[{"assets":["XYZ"],"max":0.5}]}})", 400, "constraints.groups[0].assets"},
      {base + R"(,"constraints":{"groups":[{"assets":[7],"max":0.5}]}})", 400, "constraints.groups[0].assets"},
      {base + R"(,"objective":"magic"})", 400, "objective"},
      {base + R"(,"objective":"target_volatility","target_volatility":0.01})", 422, "target_volatility"},
      {R"({"expected_returns":[0.1,null],"covariance":[[1,0],[0,1]]})", 400, "expected_returns"},
      {base + R"(,"constraints":5})", 400, "constraints"},  // wrong JSON types name their field too
      {base + R"(,"constraints":{"groups":[5]}})", 400, "constraints.groups[0]"},
      {base + R"(,"constraints":{"groups":[{"assets":{"a":1}}]}})", 400, "constraints.groups[0].assets"},
      {base + R"(,"views":[1]})", 400, "views"},
  };
  for (const auto& c : cases) {
    auto r = http(port, "POST", "/optimize", c.body);
    EXPECT_EQ(r.status, c.status) << c.body << " -> " << r.body;
    EXPECT_TRUE(contains(r.body, R"("field":")" + c.field + "\"")) << c.body << " -> " << r.body;
  }
  // An infeasible group set says which constraints conflict.
  auto r = http(port, "POST", "/optimize",
                base + R"(,"constraints":{"groups":[{"name":"a","assets":[0],"min":0.7},{"name":"b","assets":[1,2],"min":0.5}]}})");
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_TRUE(contains(r.body, "group 'a' min")) << r.body;
  EXPECT_TRUE(contains(r.body, "group 'b' min")) << r.body;
  // The server is still healthy afterwards.
  EXPECT_EQ(http(port, "GET", "/health").status, 200);
}

}  // namespace
}  // namespace sextant::test
