// The analytics endpoints through the real server: answers, and a 400 naming the field for bad input.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <string>
#include <thread>

#include "integration/http_client.hpp"
#include "sextant/net/json.hpp"

namespace sextant::test {
namespace {

bool contains(const std::string& s, const std::string& what) { return s.find(what) != std::string::npos; }

class AnalyticsHttp : public ::testing::Test {
 protected:
  void SetUp() override { server_ = std::make_unique<ServerProcess>(std::vector<std::string>{"--engines", "analytics,portfolio"}); }
  HttpResult post(const std::string& path, const std::string& body) { return http(server_->port(8100), "POST", path, body); }
  void expect_400(const std::string& path, const std::string& body, const std::string& field) {
    auto r = post(path, body);
    EXPECT_EQ(r.status, 400) << body << " -> " << r.body;
    EXPECT_TRUE(contains(r.body, "\"field\":\"" + field + "\"")) << body << " -> " << r.body;
  }
  std::unique_ptr<ServerProcess> server_;
};

const std::string kReturns = R"([[0.01,0.02,-0.01],[-0.02,0.01,0.0],[0.015,-0.005,0.02],[0.0,0.01,-0.01],[0.03,0.02,0.01]])";

TEST_F(AnalyticsHttp, CorrelationMethodsAndSummary) {
  for (std::string m : {"pearson", "spearman", "kendall"}) {
    auto r = post("/correlation", R"({"returns":)" + kReturns + R"(,"method":")" + m + "\"}");
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_TRUE(contains(r.body, "\"eigenvalues\":[")) << r.body;
    EXPECT_TRUE(contains(r.body, "\"condition_number\":")) << r.body;
    EXPECT_TRUE(contains(r.body, "\"method\":\"" + m + "\"")) << r.body;
  }
  auto r = post("/correlation", R"({"prices":[[100,50],[101,49],[103,50],[102,52]],"returns_type":"simple"})");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(contains(r.body, "\"n_observations\":3")) << r.body;
}

TEST_F(AnalyticsHttp, PairwiseMissingAndRolling) {
  auto r = post("/correlation", R"({"returns":[[0.01,null],[0.02,0.01],[-0.01,0.03],[0.0,-0.01]],"missing":"pairwise"})");
  EXPECT_EQ(r.status, 200) << r.body;
  r = post("/correlation", R"({"returns":)" + kReturns + R"(,"window":3,"step":1})");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(contains(r.body, "\"rolling\":[{\"end_row\":2,")) << r.body;
  EXPECT_TRUE(contains(r.body, "{\"end_row\":4,")) << r.body;
}

TEST_F(AnalyticsHttp, CovarianceEstimatorsAndFactorLoading) {
  for (std::string e : {"sample", "ledoit_wolf", "ewma", "semi"}) {
    auto r = post("/covariance", R"({"returns":)" + kReturns + R"(,"estimator":")" + e + R"(","seed_rows":2})");
    EXPECT_EQ(r.status, 200) << e << ": " << r.body;
    EXPECT_TRUE(contains(r.body, "\"covariance_matrix\":[[")) << r.body;
  }
  EXPECT_TRUE(contains(post("/covariance", R"({"returns":)" + kReturns + R"(,"estimator":"ledoit_wolf"})").body, "\"shrinkage\":"));
  auto r = post("/factor-loading", R"({"returns":)" + kReturns + R"(,"n_factors":2,"factor_returns":true})");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(contains(r.body, "\"loadings\":[[")) << r.body;
  EXPECT_TRUE(contains(r.body, "\"cumulative_variance_ratio\":[")) << r.body;
  EXPECT_TRUE(contains(r.body, "\"factor_returns\":[[")) << r.body;
}

// A response's matrix as the server wrote it: arrays of rows or {"rows","cols","data_base64"}.
Matrix response_matrix(const std::string& body, std::string_view outer, std::string_view key) {
  net::Request r;
  r.body.reserve(body.size() + simdjson::SIMDJSON_PADDING);
  r.body = body;
  net::Body b(r);
  if (outer.empty()) return net::read_matrix(b.root()[key].value(), key, net::Nulls::as_nan);
  return net::read_matrix(b.root()[outer].get_object()[key].value(), key, net::Nulls::as_nan);
}

TEST_F(AnalyticsHttp, MatricesComeBackAsBase64WhenAsked) {
  const std::pair<std::string, std::string> cases[] = {
      {"/covariance", "covariance_matrix"}, {"/correlation", "correlation_matrix"}, {"/factor-loading", "loadings"}};
  for (const auto& [path, key] : cases) {
    const std::string extra = path == "/factor-loading" ? R"(,"n_factors":2)" : "";
    auto text = post(path, R"({"returns":)" + kReturns + extra + "}");
    auto b64 = post(path, R"({"returns":)" + kReturns + extra + R"(,"matrix_format":"base64"})");
    ASSERT_EQ(text.status, 200) << text.body;
    ASSERT_EQ(b64.status, 200) << b64.body;
    EXPECT_TRUE(contains(b64.body, "\"" + key + R"(":{"rows":)")) << b64.body;
    const Matrix a = response_matrix(text.body, "", key), b = response_matrix(b64.body, "", key);
    ASSERT_EQ(a.rows(), b.rows()) << path;
    ASSERT_EQ(a.cols(), b.cols()) << path;
    for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a.data()[i], b.data()[i]) << path << " " << i;
  }
  // /rolling keeps NaN (null in text) in its warm-up rows; /analytics nests its matrices.
  auto rolling = post("/rolling", R"({"data":)" + kReturns + R"(,"window":3,"matrix_format":"base64"})");
  ASSERT_EQ(rolling.status, 200) << rolling.body;
  const Matrix values = response_matrix(rolling.body, "", "values");
  EXPECT_TRUE(std::isnan(values(0, 0)));
  EXPECT_NEAR(values(2, 0), (0.01 - 0.02 + 0.015) / 3, 1e-15);
  auto report = post("/analytics", R"({"returns":)" + kReturns + R"(,"n_factors":2,"matrix_format":"base64"})");
  ASSERT_EQ(report.status, 200) << report.body;
  EXPECT_EQ(response_matrix(report.body, "correlation", "correlation_matrix")(1, 1), 1.0);
  auto bad = post("/covariance", R"({"returns":)" + kReturns + R"(,"matrix_format":"csv"})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_TRUE(contains(bad.body, R"("field":"matrix_format")")) << bad.body;
}

// The EWMA fields are ewma_lambda / ewma_seed_rows in every engine; analytics still reads the names of its
// first OpenAPI file, lambda / seed_rows, as aliases, and answers with the new names.
TEST_F(AnalyticsHttp, EwmaFieldsKeepTheirOldNamesAsAliases) {
  const std::string base = R"({"returns":)" + kReturns + R"(,"estimator":"ewma",)";
  auto now = post("/covariance", base + R"("ewma_lambda":0.9,"ewma_seed_rows":2})");
  auto old = post("/covariance", base + R"("lambda":0.9,"seed_rows":2})");
  ASSERT_EQ(now.status, 200) << now.body;
  ASSERT_EQ(old.status, 200) << old.body;
  auto strip = [](std::string b) { return b.substr(0, b.find("\"calculation_time_ms\"")); };
  EXPECT_EQ(strip(old.body), strip(now.body));
  EXPECT_TRUE(contains(now.body, R"("ewma_lambda":0.9,"ewma_seed_rows":2)")) << now.body;
  expect_400("/covariance", base + R"("lambda":1.2})", "ewma_lambda");
}

TEST_F(AnalyticsHttp, BadInputIs400NamingTheField) {
  expect_400("/correlation", R"({"returns":[[0.01,0.02],[0.03]]})", "returns[1]");              // ragged
  expect_400("/correlation", R"({"returns":[[0.01,null],[0.02,0.01],[0.0,0.0]]})", "returns");  // NaN not allowed
  expect_400("/correlation", R"({"returns":[[0.01,0.02]]})", "returns");                        // T < 2
  expect_400("/correlation", R"({"returns":[]})", "returns");                                   // empty
  expect_400("/correlation", R"({"returns":)" + kReturns + R"(,"method":"bogus"})", "method");   // unknown name
  expect_400("/correlation", R"({"returns":)" + kReturns + R"(,"window":9})", "window");        // window > T
  expect_400("/correlation", R"({"returns":)" + kReturns + R"(,"precision":"fp16"})", "precision");
  expect_400("/covariance", R"({"returns":)" + kReturns + R"(,"estimator":"magic"})", "estimator");
  expect_400("/covariance", R"({"returns":)" + kReturns + R"(,"estimator":"ewma","ewma_lambda":1.2})", "ewma_lambda");
  expect_400("/factor-loading", R"({"returns":)" + kReturns + R"(,"n_factors":4})", "n_factors");
  expect_400("/factor-loading", R"({"returns":)" + kReturns + R"(,"n_facters":2})", "n_facters");
  expect_400("/correlation", R"({"prices":[[100,-1],[101,2]]})", "prices");
  // 1e200² overflows: an error naming the data, not correlations of 0 (nor a crashed eigen-solver).
  const std::string overflow = R"({"returns":[[0.01,1e200],[0.02,0.01],[-0.01,0.03],[0.0,-0.01]])";
  expect_400("/correlation", overflow + "}", "returns");
  expect_400("/covariance", overflow + "}", "returns");
  expect_400("/factor-loading", overflow + R"(,"n_factors":1})", "returns");
  EXPECT_EQ(http(server_->port(8100), "GET", "/health").status, 200) << "the server carries on";
}

}  // namespace
}  // namespace sextant::test

namespace sextant::test {
namespace {

const std::string kClose = "[10,10.5,10.2,10.8,11,10.7,10.9,11.3,11.1,11.6,11.4,11.9,12.1,11.8,12.3,12.0,12.5]";

TEST_F(AnalyticsHttp, IndicatorsAlignedWithNullsBeforeBegIndex) {
  auto r = post("/indicators", R"({"close":)" + kClose +
                                   R"(,"indicators":[{"name":"SMA","params":{"optInTimePeriod":3}},{"name":"rsi","params":{"timeperiod":14}}]})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(contains(r.body, R"({"name":"SMA","params":{"optInTimePeriod":3},"begIndex":2,"outputs":{"outReal":[null,null,10.233333333333333,)"))
      << r.body;
  EXPECT_TRUE(contains(r.body, R"("name":"RSI","params":{"optInTimePeriod":14},"begIndex":14,"outputs":{"outReal":[null,)")) << r.body;
  r = post("/indicators", R"({"close":)" + kClose + R"(,"indicators":[{"name":"MOM","params":{"optInTimePeriod":2}}],"last_only":true})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(contains(r.body, R"("outputs":{"outReal":0.1999999999999993})")) << r.body;  // 12.5 - 12.3 in doubles
}

TEST_F(AnalyticsHttp, IndicatorsOverAnInstrumentPanel) {
  std::string inst = R"({"high":[2,3,4,5,6],"low":[1,2,3,4,5],"close":[1.5,2.5,3.5,4.5,5.5]})";
  auto r = post("/indicators", R"({"instruments":{"AAA":)" + inst + R"(,"BBB":)" + inst +
                                   R"(},"indicators":[{"name":"TRANGE"},{"name":"MEDPRICE"}]})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(contains(r.body, R"("instruments":{"AAA":{"indicators":[{"name":"TRANGE")")) << r.body;
  EXPECT_TRUE(contains(r.body, R"("BBB":{"indicators":)")) << r.body;
}

TEST_F(AnalyticsHttp, IndicatorBadInputNamesTheField) {
  expect_400("/indicators", R"({"close":)" + kClose + R"(,"indicators":[{"name":"NOPE"}]})", "indicators[0].name");
  expect_400("/indicators", R"({"close":)" + kClose + R"(,"indicators":[{"name":"RSI","params":{"optInFoo":3}}]})",
             "indicators[0].params.optInFoo");
  expect_400("/indicators", R"({"close":)" + kClose + R"(,"indicators":[{"name":"RSI","params":{"optInTimePeriod":1}}]})",
             "indicators[0].params.optInTimePeriod");
  expect_400("/indicators", R"({"close":[1,2,3],"high":[1,2],"indicators":[{"name":"SMA"}]})", "high");
  expect_400("/indicators", R"({"close":[],"indicators":[{"name":"SMA"}]})", "close");
  expect_400("/indicators", R"({"close":)" + kClose + R"(,"indicators":[{"name":"ATR"}]})", "high");
  expect_400("/indicators", R"({"close":)" + kClose + R"(,"indicators":[]})", "indicators");
  expect_400("/indicators", R"({"instruments":{"X":{"close":[1,2],"vol":[1,2]}},"indicators":[{"name":"SMA"}]})",
             "instruments.X.vol");
}

}  // namespace
}  // namespace sextant::test

namespace sextant::test {
namespace {

TEST_F(AnalyticsHttp, RollingPerformanceAndTheComprehensiveReport) {
  auto r = post("/rolling", R"({"data":[[1,10],[2,20],[null,30],[4,40]],"statistic":"mean","window":2,"min_periods":1})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(contains(r.body, R"("values":[[1,10],[1.5,15],[2,25],[4,35]])")) << r.body;
  r = post("/performance", R"({"returns":[0.01,-0.02,0.015,0.003],"benchmark":[0.008,-0.015,0.01,0.001]})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(contains(r.body, R"("sharpe_ratio":)")) << r.body;
  EXPECT_TRUE(contains(r.body, R"("beta":)")) << r.body;
  r = post("/analytics", R"({"returns":)" + kReturns + R"(,"n_factors":2})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(contains(r.body, R"("attribution":{"total_return_sum":)")) << r.body;
  EXPECT_TRUE(contains(r.body, R"("residual":)")) << r.body;
  expect_400("/rolling", R"({"data":[[1],[2]],"window":5})", "window");
  expect_400("/rolling", R"({"data":[[1],[2]],"statistic":"mode"})", "statistic");
  expect_400("/performance", R"({"returns":[0.01,-1.2,0.01]})", "returns");
  expect_400("/analytics", R"({"returns":)" + kReturns + R"(,"weights":[0.5,0.5]})", "weights");
}

// The deadline counts from the request's last byte: a body that takes longer than the deadline to
// arrive is read (the I/O timeout is --io-timeout-ms) and answered, not cut off mid-upload.
TEST(AnalyticsDeadline, ASlowUploadIsNotCutOffByTheDeadline) {
  ServerProcess server({"--engines", "analytics", "--request-timeout-ms", "300"});
  const std::string body = R"({"method":"pearson","returns":[[0.01,0.02],[0.03,-0.01],[-0.02,0.01],[0.0,0.02]]})";
  const int fd = connect_loopback(server.port(8100));
  ASSERT_GE(fd, 0);
  send_all(fd, "POST /correlation HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
                   std::to_string(body.size()) + "\r\n\r\n");
  const std::size_t half = body.size() / 2;
  send_all(fd, body.substr(0, half));
  std::this_thread::sleep_for(std::chrono::milliseconds(900));  // three deadlines
  send_all(fd, body.substr(half));
  std::string buffer;
  const auto r = read_response(fd, buffer);
  ::close(fd);
  EXPECT_EQ(r.status, 200) << r.body;
}

TEST(AnalyticsDeadline, ALongKendallStopsAtTheDeadline) {
  // 300 columns × 4,000 rows of Kendall is ~45,000 O(T log T) pairs: well past a 300 ms deadline.
  ServerProcess server({"--engines", "analytics", "--request-timeout-ms", "300"});
  std::string body = R"({"method":"kendall","returns":[)";
  std::uint64_t state = 12345;
  for (int t = 0; t < 4000; ++t) {
    body += t ? ",[" : "[";
    for (int j = 0; j < 300; ++j) {
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      body += (j ? "," : "") + std::to_string(double(state >> 11) * 0x1.0p-53 - 0.5);
    }
    body += "]";
  }
  body += "]}";
  auto r = http(server.port(8100), "POST", "/correlation", body);
  EXPECT_EQ(r.status, 504) << r.body.substr(0, 300);
  EXPECT_EQ(http(server.port(8100), "GET", "/health").status, 200);
}

// A few KB of indicator list can ask for gigabytes of output (3,000 SMAs of 200,000 closes took a
// server to 5 GB and beyond): over SME_MEMORY_POOL_MB it is a 413 naming "indicators", not an
// allocation the kernel answers by killing the process.
TEST(AnalyticsHttpLimits, IndicatorOutputsOverTheMemoryPoolAre413) {
  ::setenv("SME_MEMORY_POOL_MB", "1", 1);
  ServerProcess server({"--engines", "analytics"});
  ::unsetenv("SME_MEMORY_POOL_MB");
  std::string close = "[";
  for (int i = 0; i < 20000; ++i) close += (i ? "," : "") + std::to_string(100 + i % 7);
  close += "]";
  const std::string three_smas = R"(,"indicators":[{"name":"SMA"},{"name":"SMA"},{"name":"SMA"}])";
  auto r = http(server.port(8100), "POST", "/indicators", R"({"close":)" + close + three_smas + "}");  // 1.8 MiB
  EXPECT_EQ(r.status, 413) << r.body.substr(0, 300);
  EXPECT_TRUE(contains(r.body, R"("field":"indicators")")) << r.body.substr(0, 300);
  r = http(server.port(8100), "POST", "/indicators", R"({"close":)" + close + three_smas + R"(,"last_only":true})");
  EXPECT_EQ(r.status, 200) << r.body.substr(0, 300);  // 0.46 MiB computed, three numbers written
}

}  // namespace
}  // namespace sextant::test
