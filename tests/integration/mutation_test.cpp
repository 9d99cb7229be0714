// Bad input never takes a server down. Each POST (and PUT) endpoint gets a valid example with every value in
// turn replaced by a hostile one (wrong type, null, empty, huge, nested) or removed; each answer must
// be 200 or a 4xx naming a field, and the engine must still answer /health afterwards. This sweep
// found an eigen-solver reading past its arrays on overflowing returns, a Clp assertion that aborted
// the process, and a rebalance loop of 10^17 steps that hung an I/O thread.
#include <gtest/gtest.h>

#include <cctype>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "integration/http_client.hpp"

namespace sextant::test {
namespace {

// Just enough JSON to take the examples apart and put them back together. Scalars keep their text.
struct Json {
  enum class Kind { scalar, array, object } kind = Kind::scalar;
  std::string text;                // scalar: the literal as written
  std::vector<std::string> keys;   // object
  std::vector<Json> items;         // array elements or object values
};

struct Parser {
  const std::string& s;
  std::size_t i = 0;
  void ws() {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  }
  std::string string_literal() {
    std::size_t start = i++;
    while (s[i] != '"') i += s[i] == '\\' ? 2 : 1;
    return s.substr(start, ++i - start);
  }
  Json value() {
    ws();
    Json v;
    if (s[i] == '{' || s[i] == '[') {
      const bool obj = s[i] == '{';
      v.kind = obj ? Json::Kind::object : Json::Kind::array;
      ++i, ws();
      while (s[i] != (obj ? '}' : ']')) {
        if (obj) {
          v.keys.push_back(string_literal());
          ws(), ++i;  // ':'
        }
        v.items.push_back(value());
        ws();
        if (s[i] == ',') ++i, ws();
      }
      ++i;
    } else if (s[i] == '"') {
      v.text = string_literal();
    } else {
      std::size_t start = i;
      while (i < s.size() && s[i] != ',' && s[i] != ']' && s[i] != '}' && !std::isspace(static_cast<unsigned char>(s[i]))) ++i;
      v.text = s.substr(start, i - start);
    }
    return v;
  }
};

Json parse(const std::string& s) {
  Parser p{s};
  return p.value();
}

std::string dump(const Json& v) {
  if (v.kind == Json::Kind::scalar) return v.text;
  const bool obj = v.kind == Json::Kind::object;
  std::string out(1, obj ? '{' : '[');
  for (std::size_t k = 0; k < v.items.size(); ++k) {
    if (k) out += ',';
    if (obj) out += v.keys[k] + ':';
    out += dump(v.items[k]);
  }
  return out + (obj ? '}' : ']');
}

// Every node below the root (arrays: their first three elements), as index paths.
void paths(const Json& v, std::vector<std::size_t>& at, std::vector<std::vector<std::size_t>>& out) {
  const std::size_t n = v.kind == Json::Kind::array ? std::min<std::size_t>(v.items.size(), 3) : v.items.size();
  for (std::size_t k = 0; k < n; ++k) {
    at.push_back(k);
    out.push_back(at);
    paths(v.items[k], at, out);
    at.pop_back();
  }
}

// A copy of root with the node at `path` replaced by `with`, or removed when `with` is null.
std::string mutate(Json root, const std::vector<std::size_t>& path, const Json* with) {
  Json* parent = &root;
  for (std::size_t d = 0; d + 1 < path.size(); ++d) parent = &parent->items[path[d]];
  const std::size_t k = path.back();
  if (with) {
    parent->items[k] = *with;
  } else {
    parent->items.erase(parent->items.begin() + long(k));
    if (parent->kind == Json::Kind::object) parent->keys.erase(parent->keys.begin() + long(k));
  }
  return dump(root);
}

const char* const kHostile[] = {"null", "\"x\"", "\"\"", "true", "-1", "0", "1", "0.5", "2", "-0.5", "1000000",
                                "100000000", "9223372036854775808", "-1e308", "1e308", "[]", "{}", "[[]]", "[null]",
                                "[-1]", "[1e308]", "[0,0,0,0,0,0,0,0,0,0]", "[[1e308,-1e308],[1e308,1e308]]"};

struct Example {
  std::uint16_t base;
  const char* path;
  const char* body;
  const char* method = "POST";
  const char* setup_path = nullptr;  //!< a PUT that runs first (a scenario set the example names)
  const char* setup_body = nullptr;
};

#define RETURNS "[[0.01,0.02,-0.01],[-0.02,0.01,0.0],[0.015,-0.005,0.02],[0.0,0.01,-0.01],[0.03,0.02,0.01],[-0.01,-0.02,0.005]]"
// RETURNS as {"rows","cols","data_base64"}: the 18 values as little-endian float64 bytes.
#define RETURNS_BASE64 \
  R"({"rows":6,"cols":3,"data_base64":"exSuR+F6hD97FK5H4XqUP3sUrkfheoS/exSuR+F6lL97FK5H4XqEPwAAAAAAAAAAuB6F61G4jj97FK5H4Xp0v3sUrkfhepQ/AAAAAAAAAAB7FK5H4XqEP3sUrkfheoS/uB6F61G4nj97FK5H4XqUP3sUrkfheoQ/exSuR+F6hL97FK5H4XqUv3sUrkfhenQ/"})"
#define MU "[0.05,0.08,0.12]"
#define COV "[[0.04,0.006,0.002],[0.006,0.09,0.018],[0.002,0.018,0.16]]"
#define CLOSE "[10,10.2,10.5,10.1,10.4,10.8,11,10.9,11.2,11.5,11.3,11.8,12,12.2,12.1,12.5,12.3]"
#define HIGH "[10.3,10.5,10.8,10.4,10.7,11.1,11.3,11.2,11.5,11.8,11.6,12.1,12.3,12.5,12.4,12.8,12.6]"
#define LOW "[9.7,9.9,10.2,9.8,10.1,10.5,10.7,10.6,10.9,11.2,11,11.5,11.7,11.9,11.8,12.2,12]"

const Example kExamples[] = {
    {8100, "/correlation", R"({"returns":)" RETURNS R"(,"method":"pearson","window":3,"step":1})"},
    {8100, "/correlation", R"({"prices":[[100,50],[101,49],[103,50],[102,52]],"returns_type":"simple","missing":"pairwise"})"},
    {8100, "/covariance", R"({"returns":)" RETURNS R"(,"estimator":"ewma","lambda":0.9,"seed_rows":2})"},
    {8100, "/covariance", R"({"returns":)" RETURNS R"(,"estimator":"ledoit_wolf"})"},
    {8100, "/covariance", R"({"returns":)" RETURNS_BASE64 R"(,"estimator":"ewma","lambda":0.9})"},
    {8100, "/covariance", R"({"returns":)" RETURNS R"(,"precision":"fp32"})"},
    {8100, "/factor-loading", R"({"returns":)" RETURNS R"(,"n_factors":2,"factor_returns":true,"matrix_format":"base64"})"},
    {8100, "/indicators",
     R"({"close":)" CLOSE R"(,"high":)" HIGH R"(,"low":)" LOW
     R"(,"indicators":[{"name":"SMA","params":{"optInTimePeriod":3}},{"name":"MACD"},{"name":"ATR"}]})"},
    {8100, "/indicators", R"({"instruments":{"A":{"close":)" CLOSE R"(}},"indicators":[{"name":"RSI","params":{"timeperiod":5}}],"last_only":true})"},
    {8100, "/rolling", R"({"data":[[1,10],[2,20],[null,30],[4,40]],"statistic":"mean","window":2,"min_periods":1})"},
    {8100, "/performance", R"({"returns":[0.01,-0.02,0.015,0.003],"benchmark":[0.008,-0.015,0.01,0.001]})"},
    {8100, "/analytics", R"({"returns":)" RETURNS R"(,"n_factors":2})"},
    {8200, "/calculate-var",
     R"({"returns":)" RETURNS R"(,"weights":[0.5,0.3,0.2],"confidence_levels":[0.95,0.99],"methods":["gaussian","historical","modified","monte_carlo","student_t"],"simulations":2000,"seed":1,"horizon":2,"trade":[0.01,0,-0.01]})"},
    {8200, "/calculate-var",
     R"({"returns":)" RETURNS R"(,"weights":[0.5,0.3,0.2],"methods":["gaussian","student_t"],"nu":5,"estimator":"ewma","ewma_lambda":0.9,"ewma_seed_rows":3,"trade":[0.1,0,-0.1]})"},
    {8200, "/calculate-var",
     R"({"returns":)" RETURNS R"(,"symbols":["A","B","C"],"positions":{"A":100,"B":50},"prices":{"A":10,"B":20},"methods":["gaussian","historical"]})"},
    {8200, "/calculate-var", R"({"returns":)" RETURNS_BASE64 R"(,"weights":[0.5,0.3,0.2],"methods":["historical"]})"},
    {8200, "/calculate-var",
     R"({"covariance":)" COV R"(,"expected_returns":)" MU R"(,"weights":[0.5,0.3,0.2],"methods":["gaussian","student_t","monte_carlo"],"nu":5,"simulations":1000,"trade":[0.1,0,-0.1]})"},
    {8200, "/scenario-sets/m1", R"({"returns":)" RETURNS R"(,"symbols":["A","B","C"]})", "PUT"},
    {8200, "/calculate-var", R"({"scenario_set":"m2","weights":[0.5,0.3,0.2],"methods":["historical"],"confidence_levels":[0.9],"trade":[0.1,0,-0.1]})",
     "POST", "/scenario-sets/m2", R"({"returns":)" RETURNS "}"},
    {8200, "/calculate-margin",
     R"({"positions":{"A":10,"B":-5},"prices":{"A":100,"B":50},"margin_rates":{"A":0.2},"default_margin_rate":0.1,"maintenance_ratio":0.75,"cash":10,"portfolio_margin":{"instruments":["A","B"],"price_scan_ranges":{"A":0.15},"correlation":[[1,0.8],[0.8,1]]}})"},
    {8200, "/backtest-var", R"({"returns":[0.01,-0.03,0.0,-0.05,0.02],"var":[0.02,0.02,0.02,0.02,0.02],"confidence":0.95})"},
    {8200, "/stress-test",
     R"({"returns":)" RETURNS R"(,"weights":[0.5,0.3,0.2],"portfolio_value":1000,"symbols":["A","B","C"],"dates":["d1","d2","d3","d4","d5","d6"],"scenarios":[{"name":"crash","start":"d2","end":"d3"}],"worst_windows":{"count":2,"length":2},"shocks":[{"name":"A down","shocks":{"A":-0.1}}]})"},
    {8200, "/stress-test",
     R"({"covariance":)" COV R"(,"weights":[0.5,0.3,0.2],"symbols":["A","B","C"],"portfolio_value":1000,"shocks":[{"name":"A down","shocks":{"A":-0.1,"C":0.05}}]})"},
    {8200, "/pretrade-check",
     R"({"symbols":["A","B"],"positions":{"A":100,"B":-50},"prices":{"A":10,"B":20},"covariance":[[0.0004,0.0001],[0.0001,0.0009]],"order":{"instrument":"A","side":"buy","quantity":10,"price":10},"limits":{"max_order_notional":500,"max_var":1e6,"max_orders_per_second":100},"trading_state":"ACTIVE","account":"x"})"},
    {8900, "/optimize",
     R"({"expected_returns":)" MU R"(,"covariance":)" COV
     R"(,"symbols":["BOND","EQ","EM"],"objective":"max_sharpe","risk_free_rate":0.01,"constraints":{"bounds":[0,0.6],"groups":[{"name":"equity","assets":["EQ","EM"],"max":0.5}]}})"},
    {8900, "/optimize", R"({"returns":)" RETURNS R"(,"objective":"min_cvar","cvar_confidence":0.8})"},
    {8900, "/optimize",
     R"({"expected_returns":)" MU R"(,"covariance":)" COV
     R"(,"objective":"black_litterman","views":{"P":[[0,1,-1]],"Q":[0.02],"objective":"max_utility"},"risk_aversion":3})"},
    {8900, "/optimize", R"({"expected_returns":)" MU R"(,"covariance":)" COV R"(,"objective":"hrp"})"},
    {8900, "/optimize", R"({"expected_returns":)" MU R"(,"covariance":)" COV R"(,"objective":"risk_parity"})"},
    {8900, "/optimize", R"({"expected_returns":)" MU R"(,"covariance":)" COV R"(,"objective":"target_volatility","target_volatility":0.25})"},
    {8900, "/frontier", R"({"expected_returns":)" MU R"(,"covariance":)" COV R"(,"points":5})"},
    {8900, "/rebalance",
     R"({"assets":["A","B","C"],"prices":[100,50,20],"current_shares":[100,0,500],"target_weights":[0.5,0.3,0.2],"lot_sizes":[1,10,100],"cost_bps":10,"half_spread_bps":5,"fixed_cost":1,"cash_buffer":0.02})"},
    {8500, "/calculate-features",
     R"j({"market_data":{"A":{"open":[1,1.1,1.2,1.1],"high":[1.2,1.3,1.3,1.2],"low":[0.9,1,1.1,1],"close":[1.1,1.2,1.15,1.05],"volume":[10,12,9,11]},"B":{"open":[2,2.1,2.2,2.1],"high":[2.2,2.3,2.3,2.2],"low":[1.9,2,2.1,2],"close":[2.1,2.2,2.15,2.05],"volume":[20,22,19,21]}},"factors":["alpha158.KMID","Mean($close, 2)/$close","cs_rank(Delta($close, 1))"],"last_only":false})j"},
    {8500, "/calculate-features",
     R"({"panel":{"instruments":["A","B"],"fields":{"open":{"rows":3,"cols":2,"data":[1,2,1.1,2.1,1.2,1.9]},"high":{"rows":3,"cols":2,"data":[1.2,2.2,1.3,2.3,1.4,2.1]},"low":{"rows":3,"cols":2,"data":[0.9,1.9,1,2,1.1,1.8]},"close":[[1.1,2.1],[1.2,2],[1.3,1.9]],"volume":{"rows":3,"cols":2,"data":[10,20,11,21,12,22]}}},"factors":{"family":"alpha158"},"last_only":true})"},
    {8900, "/attribution",
     R"({"brinson":{"sectors":["s1","s1","s2","s2"],"portfolio_weights":[0.4,0.2,0.1,0.3],"benchmark_weights":[0.25,0.25,0.25,0.25],"portfolio_returns":[0.05,0.02,-0.01,0.03],"benchmark_returns":[0.04,0.01,0,0.02]},"factor":{"exposures":[1.1,-0.3],"factor_returns":[0.02,0.01],"portfolio_return":0.025}})"},
    {8900, "/attribution",
     R"({"periods":[{"sectors":["a","b"],"portfolio_weights":[0.6,0.4],"benchmark_weights":[0.5,0.5],"portfolio_returns":[0.01,0.02],"benchmark_returns":[0.0,0.01]},{"sectors":["a","b"],"portfolio_weights":[0.6,0.4],"benchmark_weights":[0.5,0.5],"portfolio_returns":[-0.01,0.03],"benchmark_returns":[0.01,0.0]}],"performance":{"returns":[0.01,-0.02,0.015,0.003],"benchmark":[0.008,-0.01,0.01,0.0]}})"},
};

void PrintTo(const Example& ex, std::ostream* os) { *os << ex.path << " " << ex.body; }

class Mutations : public ::testing::TestWithParam<Example> {
 protected:
  static void SetUpTestSuite() { server_ = new ServerProcess(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  static ServerProcess* server_;
};
ServerProcess* Mutations::server_ = nullptr;

TEST_P(Mutations, EveryAnswerIsOkOrAnErrorNamingAFieldAndTheServerStaysUp) {
  const Example& ex = GetParam();
  const std::uint16_t port = server_->port(ex.base);
  if (ex.setup_path) {
    ASSERT_LT(http(port, "PUT", ex.setup_path, ex.setup_body).status, 300) << ex.setup_path;
  }
  const HttpResult valid = http(port, ex.method, ex.path, ex.body);
  ASSERT_TRUE(valid.status == 200 || valid.status == 201) << "the example itself must be valid: " << ex.body << " -> " << valid.body;
  const Json root = parse(ex.body);
  ASSERT_EQ(dump(root), ex.body) << "the test's JSON round trip";
  std::vector<Json> hostile;
  for (const char* h : kHostile) hostile.push_back(parse(h));
  std::vector<std::vector<std::size_t>> all;
  std::vector<std::size_t> at;
  paths(root, at, all);
  int sent = 0;
  for (const auto& path : all) {
    std::vector<std::string> bodies{mutate(root, path, nullptr)};
    for (const Json& h : hostile) bodies.push_back(mutate(root, path, &h));
    for (const std::string& body : bodies) {
      HttpResult r;
      try {
        r = http(port, ex.method, ex.path, body);
      } catch (const std::exception& e) {
        FAIL() << ex.path << " " << body << ": " << e.what() << " (the server died or hung)";
      }
      ++sent;
      const bool ok = r.status == 200 || r.status == 201 || r.status == 400 || r.status == 404 || r.status == 413 || r.status == 422;
      EXPECT_TRUE(ok) << r.status << " " << ex.path << " " << body << " -> " << r.body;
      if (r.status >= 400) {
        EXPECT_NE(r.body.find("\"field\":"), std::string::npos) << ex.path << " " << body << " -> " << r.body;
      }
    }
  }
  RecordProperty("requests", sent);
  EXPECT_GT(sent, 100);
  EXPECT_EQ(http(port, "GET", "/health").status, 200);
}

INSTANTIATE_TEST_SUITE_P(AllPostEndpoints, Mutations, ::testing::ValuesIn(kExamples),
                         [](const ::testing::TestParamInfo<Example>& info) {
                           std::string name = std::to_string(info.index) + "_";
                           for (char c : std::string(info.param.path))
                             if (std::isalnum(static_cast<unsigned char>(c))) name += c;
                           return name;
                         });

}  // namespace
}  // namespace sextant::test
