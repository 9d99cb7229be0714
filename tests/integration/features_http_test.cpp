// The features endpoints through the real server: the catalogue, compiling, calculating, and each
// kind of bad input answered with an error naming the field and the problem.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <thread>
#include <string>

#include "integration/http_client.hpp"
#include "sextant/core/base64.hpp"

namespace sextant::test {
namespace {

bool contains(const std::string& s, const std::string& what) { return s.find(what) != std::string::npos; }

const std::string kTwo =
    R"j({"A":{"open":[1,1,1,1,1],"high":[2,3,4,5,6],"low":[0.5,0.5,0.5,0.5,0.5],"close":[1,2,3,4,5],"volume":[10,20,30,40,50]},)j"
    R"j("B":{"open":[2,2,2,2,2],"high":[6,5,4,3,2],"low":[1,1,1,1,1],"close":[5,4,3,2,1],"volume":[50,40,30,20,10]}})j";

TEST(FeaturesHttp, CatalogueCompileAndCalculate) {
  ServerProcess server({"--engines", "features"});
  const auto port = server.port(8500);
  auto r = http(port, "GET", "/factors?family=alpha158&q=kmid&limit=5");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(contains(r.body, R"j("id":"alpha158.KMID","family":"alpha158","expression":"($close-$open)/$open")j")) << r.body;
  EXPECT_TRUE(contains(r.body, R"j("count":2)j")) << r.body;  // KMID, KMID2
  EXPECT_TRUE(contains(r.body, R"j("alpha158":158)j")) << r.body;

  r = http(port, "POST", "/factors/compile", R"j({"expression":"Mean( $close,5 )/$close"})j");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(contains(r.body, R"j("canonical":"Div(Mean($close, 5), $close)","warmup":4)j")) << r.body;

  r = http(port, "POST", "/calculate-features",
           R"j({"market_data":)j" + kTwo + R"j(,"factors":["Mean($close, 2)","cs_rank($close)","alpha158.KMID"]})j");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(contains(r.body, R"j("A":{"Mean($close, 2)":[1,1.5,2.5,3.5,4.5],"cs_rank($close)":[0.5,0.5,0.75,1,1],"alpha158.KMID":[0,1,2,3,4]})j")) << r.body;
  EXPECT_TRUE(contains(r.body, R"j("total_features":6)j")) << r.body;

  r = http(port, "POST", "/calculate-features", R"j({"market_data":)j" + kTwo + R"j(,"factors":["Ref($close, 1)"],"last_only":true})j");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(contains(r.body, R"j("A":{"Ref($close, 1)":4},"B":{"Ref($close, 1)":2})j")) << r.body;

  // The same panel as base64 matrices (rows × instruments).
  const double close[] = {1, 5, 2, 4, 3, 3, 4, 2, 5, 1};
  std::string b64;
  base64_append(b64, reinterpret_cast<const unsigned char*>(close), sizeof close);
  r = http(port, "POST", "/calculate-features",
           R"j({"panel":{"instruments":["A","B"],"fields":{"close":{"rows":5,"cols":2,"data_base64":")j" + b64 +
               R"j("}}},"factors":["Mean($close, 2)"],"last_only":true})j");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(contains(r.body, R"j("A":{"Mean($close, 2)":4.5},"B":{"Mean($close, 2)":1.5})j")) << r.body;
}

// The embedded default source: the simulator's bars reach the live features stream through the bus.
TEST(FeaturesHttp, TheSimulatorFeedsTheLiveStream) {
  ServerProcess server({"--engines", "features", "--market-data", "sim", "--bar-interval-ms", "100", "--sim-instruments", "6"});
  const auto port = server.port(8500);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(30 * time_scale());
  std::string body;
  while (std::chrono::steady_clock::now() < deadline) {
    const auto r = http(port, "GET", "/features/live");
    ASSERT_EQ(r.status, 200) << r.body;
    body = r.body;
    if (contains(body, R"("instruments":6,)") && !contains(body, R"("snapshots":0,)")) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(contains(body, R"("instruments":6,)")) << body;
  EXPECT_FALSE(contains(body, R"("snapshots":0,)")) << body;
}

struct BadCase {
  const char* what;
  std::string body;
  const char* field;
  const char* message;
};

TEST(FeaturesHttp, BadInputIsA400NamingTheProblem) {
  ServerProcess server({"--engines", "features"});
  const auto port = server.port(8500);
  const std::string one = R"j({"A":{"close":[1,2,3],"open":[1,1,1]}})j";
  const BadCase cases[] = {
      {"unknown function", R"j({"market_data":)j" + one + R"j(,"factors":["$close","Foo($close)"]})j", "factors[1]", "unknown function 'Foo'"},
      {"unknown field", R"j({"market_data":)j" + one + R"j(,"factors":["$close / $cap"]})j", "factors[0]", "unknown field $cap"},
      {"unknown id", R"j({"market_data":)j" + one + R"j(,"factors":["alpha158.NOPE"]})j", "factors[0]", "unknown factor"},
      {"window 0", R"j({"market_data":)j" + one + R"j(,"factors":["Mean($close, 0)"]})j", "factors[0]", "at position 13"},
      {"window < 0", R"j({"market_data":)j" + one + R"j(,"factors":["ts_max($close, -2)"]})j", "factors[0]", "must be >= 1"},
      {"syntax", R"j({"market_data":)j" + one + R"j(,"factors":["Mean($close, 5"]})j", "factors[0]", "at position 14"},
      {"lengths", R"j({"market_data":{"A":{"close":[1,2,3],"open":[1,1]}},"factors":["$close"]})j", "market_data.A.open", "every series must have one length"},
      {"lengths across", R"j({"market_data":{"A":{"close":[1,2,3]},"B":{"close":[1,2]}},"factors":["$close"]})j", "market_data.B.close", "has 2 values"},
      {"cross-section of one", R"j({"market_data":)j" + one + R"j(,"factors":["cs_zscore($close)"]})j", "factors[0]", "at least 2 instruments"},
      {"no data", R"j({"factors":["$close"]})j", "market_data", "either 'market_data' or 'panel'"},
      {"unknown key", R"j({"market_data":)j" + one + R"j(,"factors":["$close"],"lastonly":true})j", "lastonly", "unknown field"},
  };
  for (const auto& c : cases) {
    auto r = http(port, "POST", "/calculate-features", c.body);
    EXPECT_EQ(r.status, 400) << c.what << ": " << r.body;
    EXPECT_TRUE(contains(r.body, std::string(R"j("field":")j") + c.field + "\"")) << c.what << ": " << r.body;
    EXPECT_TRUE(contains(r.body, c.message)) << c.what << ": " << r.body;
  }
  auto r = http(port, "POST", "/factors/compile", R"j({"expression":"$close + * 2"})j");
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(contains(r.body, R"j("message":"at position 9: )j")) << r.body;
  r = http(port, "GET", "/factors?limit=100000");
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(contains(r.body, R"j("field":"limit")j")) << r.body;
  r = http(port, "GET", "/factors?family=nope");
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(contains(r.body, R"j("field":"family")j")) << r.body;
}

// A request whose buffers would pass SME_MEMORY_POOL_MB is refused before any work: 413, naming the data.
TEST(FeaturesHttp, PanelsOverTheMemoryPoolAreRefused) {
  ::setenv("SME_MEMORY_POOL_MB", "1", 1);
  ServerProcess server({"--engines", "features"});
  ::unsetenv("SME_MEMORY_POOL_MB");
  std::string close = "[";
  for (int i = 0; i < 100000; ++i) close += (i ? "," : "") + std::to_string(100 + i % 7);
  close += "]";
  auto r = http(server.port(8500), "POST", "/calculate-features",
                R"j({"market_data":{"A":{"close":)j" + close + R"j(}},"factors":["Mean($close, 5) / Std($close, 5)"]})j");  // ~3 MiB of buffers
  EXPECT_EQ(r.status, 413) << r.body.substr(0, 300);
  EXPECT_TRUE(contains(r.body, R"j("field":"market_data")j")) << r.body.substr(0, 300);
  EXPECT_TRUE(contains(r.body, "SME_MEMORY_POOL_MB")) << r.body.substr(0, 300);
}

}  // namespace
}  // namespace sextant::test
