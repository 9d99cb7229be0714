// The ML endpoints through the real server: the golden XGBoost models through POST /models and
// /predict-batch (JSON and UBJSON uploads), models surviving a restart (a truncated file is skipped),
// and bad input answered with 400/404 while the registry stays as it was.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <unistd.h>

#include "integration/http_client.hpp"
#include "sextant/core/base64.hpp"
#include "sextant/ml/xgboost_capi.hpp"
#include "support/test_support.hpp"

namespace sextant::test {
namespace {

namespace fs = std::filesystem;

bool contains(const std::string& s, const std::string& what) { return s.find(what) != std::string::npos; }

std::vector<double> numbers_after(const std::string& body, const std::string& key) {
  std::vector<double> v;
  std::size_t p = body.find("\"" + key + "\":[");
  if (p == std::string::npos) return v;
  p += key.size() + 4;
  while (body[p] != ']') {
    std::size_t used = 0;
    v.push_back(std::stod(body.substr(p, 40), &used));
    p += used;
    if (body[p] == ',') ++p;
  }
  return v;
}

std::string rows_json(simdjson::dom::element rows) {
  std::string s = "[";
  for (auto row : rows.get_array()) {
    if (s.size() > 1) s += ',';
    s += '[';
    bool first = true;
    for (double v : row.get_array()) {
      if (!first) s += ',';
      first = false;
      s += fmt::format("{:.17g}", double(float(v)));
    }
    s += ']';
  }
  return s + "]";
}

fs::path fresh_dir(const char* name) {
  const fs::path d = fs::temp_directory_path() / fmt::format("sextant-{}-{}", name, ::getpid());
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

TEST(MlHttp, GoldenXgboostModelsThroughPostModelsAndPredictBatch) {
  ServerProcess server({"--engines", "ml"});
  const auto port = server.port(8400);
  auto cases = golden("golden/sp500_xgb_cases.json");
  const std::string inputs = rows_json(cases["test_inputs"]);
  std::vector<double> reg_want, cls_want;
  for (double v : cases["regressor_expected"].get_array()) reg_want.push_back(v);
  for (double v : cases["classifier_expected"].get_array()) cls_want.push_back(v);

  // The regressor as a JSON object, the classifier as base64 UBJSON (as Python's save_model("x.ubj")).
  auto r = http(port, "POST", "/models", R"({"id":"reg","kind":"xgboost","model":)" + read_file(data_path("golden/sp500_xgb_regressor.json")) + "}");
  ASSERT_EQ(r.status, 201) << r.body.substr(0, 300);
  EXPECT_TRUE(contains(r.body, R"("kind":"xgboost")")) << r.body;
  const std::string ubj = ml::XgbBooster::load(read_file(data_path("golden/sp500_xgb_classifier.json"))).save("ubj");
  r = http(port, "POST", "/models", R"({"id":"cls","kind":"xgboost","model_base64":")" + base64_encode(ubj.data(), ubj.size()) + "\"}");
  ASSERT_EQ(r.status, 201) << r.body.substr(0, 300);

  for (auto [id, want] : {std::pair{"reg", &reg_want}, std::pair{"cls", &cls_want}}) {
    r = http(port, "POST", "/predict-batch", std::string(R"({"model_id":")") + id + R"(","inputs":)" + inputs + "}");
    ASSERT_EQ(r.status, 200) << r.body.substr(0, 300);
    const auto got = numbers_after(r.body, "predictions");
    ASSERT_EQ(got.size(), want->size()) << id;
    for (std::size_t i = 0; i < got.size(); ++i) ASSERT_NEAR(got[i], (*want)[i], 1e-6) << id << " row " << i;
    EXPECT_TRUE(contains(r.body, "\"throughput_per_s\":")) << r.body.substr(r.body.size() - 200);
  }
  // One row, by name; the binary classifier's probabilities sum to 1 and its prediction is P(class 1).
  r = http(port, "POST", "/predict", R"({"model_id":"cls","input":)" + rows_json(cases["test_inputs"]).substr(1, rows_json(cases["test_inputs"]).find(']')) + "}");
  ASSERT_EQ(r.status, 200) << r.body;
  const auto probs = numbers_after(r.body, "probabilities");
  ASSERT_EQ(probs.size(), 2u);
  EXPECT_NEAR(probs[0] + probs[1], 1.0, 1e-12);
  EXPECT_NEAR(probs[1], cls_want[0], 1e-6);
  EXPECT_TRUE(contains(r.body, "\"inference_time_ms\":")) << r.body;
  r = http(port, "GET", "/models/reg/metrics");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(contains(r.body, R"("importance_type":"gain")")) << r.body;
  EXPECT_TRUE(contains(r.body, R"("serving":{"requests":1,"rows":1017)")) << r.body;
}

TEST(MlHttp, ModelsSurviveARestartAndATruncatedFileIsSkipped) {
  const fs::path dir = fresh_dir("models-restart");
  std::string garch_answer;
  {
    ServerProcess server({"--engines", "ml", "--models-dir", dir.string()});
    const auto port = server.port(8400);
    std::string returns = "[";
    auto sp = golden("golden/sp500_xgb_cases.json");
    int n = 0;
    for (auto row : sp["test_inputs"].get_array()) {
      if (n++) returns += ',';
      returns += fmt::format("{:.17g}", double(row.at(0)) * 100);
    }
    returns += "]";
    auto r = http(port, "POST", "/models", R"({"id":"vol","kind":"garch","train":{"returns":)" + returns + "}}");
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_TRUE(contains(r.body, R"("params":{"omega":)")) << r.body;
    r = http(port, "POST", "/models", R"({"id":"lin","kind":"linear","train":{"X":[[1],[2],[3],[4],[5],[6]],"y":[3,5,7,9,11,13]},"holdout":0})");
    ASSERT_EQ(r.status, 201) << r.body;
    r = http(port, "POST", "/predict", R"({"model_id":"vol","input":[1,-1,0.5],"horizon":5})");
    ASSERT_EQ(r.status, 200) << r.body;
    garch_answer = r.body.substr(0, r.body.find("\"inference_time_ms\""));
    EXPECT_EQ(server.stop(), 0);
  }
  ASSERT_TRUE(fs::exists(dir / "vol.model"));
  // A crash mid-write cannot leave this (writes are renamed into place), but a disk can: truncate one.
  const std::string lin = read_file((dir / "lin.model").string());
  std::ofstream(dir / "lin.model", std::ios::trunc) << lin.substr(0, lin.size() / 2);
  ServerProcess server({"--engines", "ml", "--models-dir", dir.string()});
  const auto port = server.port(8400);
  auto r = http(port, "GET", "/models");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(contains(r.body, R"("count":1)")) << r.body;
  EXPECT_TRUE(contains(r.body, R"("skipped":["lin.model: )")) << r.body;
  r = http(port, "POST", "/predict", R"({"model_id":"vol","input":[1,-1,0.5],"horizon":5})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body.substr(0, r.body.find("\"inference_time_ms\"")), garch_answer);
  EXPECT_EQ(http(port, "POST", "/predict", R"({"model_id":"lin","input":[1]})").status, 404);
  server.stop();
  fs::remove_all(dir);
}

struct BadCase {
  const char* what;
  const char* method;
  const char* path;
  std::string body;
  int status;
  const char* field;
};

// "train":{"symbols","bars"} reads the market data store: the model equals one trained on the same
// bars' simple returns sent in the request, and a symbol the store lacks is an error naming it.
TEST(MlHttp, TrainingReadsTheMarketDataStore) {
  const fs::path dir = fresh_dir("models-store");
  // An hour between bars: the 300 backfilled bars are all the store holds during the test.
  ServerProcess server({"--engines", "ml,stream", "--models-dir", dir.string(), "--market-data", "sim", "--sim-history", "300",
                        "--bar-interval-ms", "3600000"});
  const auto ml = server.port(8400);
  // The simulator's first live row follows its backfill at once: wait for it (301 bars), then nothing moves.
  ASSERT_TRUE(wait_for_bars(server.port(8600), "SIM000", 301)) << "300 backfilled bars and the first live one";
  const auto bars = http(server.port(8600), "GET", "/bars/SIM000?limit=251");
  ASSERT_EQ(bars.status, 200) << bars.body;
  std::vector<double> close;
  for (std::size_t at = bars.body.find("\"close\":"); at != std::string::npos; at = bars.body.find("\"close\":", at + 1))
    close.push_back(std::strtod(bars.body.c_str() + at + 8, nullptr));
  ASSERT_EQ(close.size(), 251u);
  std::string returns = "[";
  for (std::size_t t = 1; t < close.size(); ++t) returns += fmt::format("{}{:.17g}", t > 1 ? "," : "", close[t] / close[t - 1] - 1.0);
  returns += "]";
  const auto from_store = http(ml, "POST", "/models", R"({"id":"vol-store","preset":"volatility_forecasting","train":{"symbols":["SIM000"],"bars":250}})");
  ASSERT_EQ(from_store.status, 201) << from_store.body;
  const auto sent = http(ml, "POST", "/models", R"({"id":"vol-sent","preset":"volatility_forecasting","train":{"returns":)" + returns + "}}");
  ASSERT_EQ(sent.status, 201) << sent.body;
  const auto params = [](const std::string& body) { return body.substr(body.find("\"params\":"), body.find("\"created_ns\"") - body.find("\"params\":")); };
  EXPECT_EQ(params(from_store.body), params(sent.body));
  const auto panel = http(ml, "POST", "/models", R"({"id":"fac","preset":"factor_prediction","train":{"symbols":["SIM000","SIM001","SIM002"],"bars":200}})");
  EXPECT_EQ(panel.status, 201) << panel.body;
  const auto unknown = http(ml, "POST", "/models", R"({"id":"x","preset":"volatility_forecasting","train":{"symbols":["NOPE"],"bars":100}})");
  EXPECT_EQ(unknown.status, 404) << unknown.body;
  EXPECT_TRUE(contains(unknown.body, "train.symbols[0]")) << unknown.body;
  const auto both = http(ml, "POST", "/models", R"({"id":"x","preset":"volatility_forecasting","train":{"symbols":["SIM000"],"bars":100,"returns":[0.1,0.2,0.3]}})");
  EXPECT_EQ(both.status, 400) << both.body;
  EXPECT_TRUE(contains(both.body, "train.bars")) << both.body;
  const auto no_bars = http(ml, "POST", "/models", R"({"id":"x","preset":"volatility_forecasting","train":{"symbols":["SIM000"]}})");
  EXPECT_EQ(no_bars.status, 400) << no_bars.body;
  const auto retrain = http(ml, "POST", "/models/vol-store/train", R"({"train":{"symbols":["SIM001"],"bars":250}})");
  EXPECT_EQ(retrain.status, 200) << retrain.body;
}

TEST(MlHttp, BadInputIsAnErrorAndLeavesTheRegistryAsItWas) {
  const fs::path dir = fresh_dir("models-bad");
  ServerProcess server({"--engines", "ml", "--models-dir", dir.string()});
  const auto port = server.port(8400);
  ASSERT_EQ(http(port, "POST", "/models", R"({"id":"lin","kind":"linear","train":{"X":[[1,0],[2,1],[3,0],[4,1],[5,0]],"y":[1,2,3,4,5]},"holdout":0})").status, 201);
  const std::string before = http(port, "GET", "/models").body;
  const std::string file = read_file((dir / "lin.model").string());
  const std::string reg = read_file(data_path("golden/sp500_xgb_regressor.json"));
  const std::vector<BadCase> cases = {
      {"unknown model", "POST", "/predict", R"({"model_id":"nope","input":[1,2]})", 404, "model_id"},
      {"unknown model metrics", "GET", "/models/nope/metrics", "", 404, "model_id"},
      {"delete unknown", "DELETE", "/models/nope", "", 404, "model_id"},
      {"wrong width", "POST", "/predict", R"({"model_id":"lin","input":[1,2,3]})", 400, "input"},
      {"unknown feature name", "POST", "/predict", R"({"model_id":"lin","input":{"f0":1,"zz":2}})", 400, "input.zz"},
      {"missing feature name", "POST", "/predict", R"({"model_id":"lin","input":{"f0":1}})", 400, "input.f1"},
      {"NaN feature", "POST", "/predict", R"({"model_id":"lin","input":[1,null]})", 400, "input[1]"},
      {"NaN in a batch", "POST", "/predict-batch", R"({"model_id":"lin","inputs":[[1,2],[null,2]]})", 400, "inputs[1][0]"},
      {"batch width", "POST", "/predict-batch", R"({"model_id":"lin","inputs":[[1,2],[1]]})", 400, "inputs[1]"},
      {"corrupt upload", "POST", "/models", R"({"id":"x","kind":"xgboost","model":{"learner":{"nonsense":1}}})", 400, "model"},
      {"truncated upload", "POST", "/models", R"({"id":"x","kind":"xgboost","model_base64":")" + base64_encode(reg.data(), reg.size() / 3) + "\"}", 400, "model_base64"},
      {"bad base64", "POST", "/models", R"({"id":"x","kind":"xgboost","model_base64":"!!!!"})", 400, "model_base64"},
      {"existing id", "POST", "/models", R"({"id":"lin","kind":"linear","train":{"X":[[1],[2],[3]],"y":[1,2,3]}})", 400, "id"},
      {"bad id", "POST", "/models", R"({"id":"../etc","kind":"linear","train":{"X":[[1],[2],[3]],"y":[1,2,3]}})", 400, "id"},
      {"unknown kind", "POST", "/models", R"({"id":"x","kind":"svm","train":{}})", 400, "kind"},
      {"unknown param", "POST", "/models", R"({"id":"x","kind":"linear","params":{"depth":3},"train":{"X":[[1],[2],[3]],"y":[1,2,3]}})", 400, "params.depth"},
      {"NaN training row", "POST", "/models", R"({"id":"x","kind":"linear","train":{"X":[[1],[null],[3]],"y":[1,2,3]}})", 400, "X[1][0]"},
      {"short garch", "POST", "/models", R"({"id":"x","kind":"garch","train":{"returns":[1,2,3]}})", 400, "returns"},
      {"retrain unknown", "POST", "/models/nope/train", R"({"train":{"X":[[1]],"y":[1]}})", 404, "model_id"},
      {"text to a vector model", "POST", "/predict", R"({"model_id":"lin","input":"hello"})", 400, "input"},
  };
  for (const auto& c : cases) {
    const auto r = http(port, c.method, c.path, c.body);
    EXPECT_EQ(r.status, c.status) << c.what << ": " << r.body.substr(0, 300);
    EXPECT_TRUE(contains(r.body, std::string(R"("field":")") + c.field + "\"")) << c.what << ": " << r.body.substr(0, 300);
  }
  EXPECT_EQ(http(port, "GET", "/models").body, before);
  EXPECT_EQ(read_file((dir / "lin.model").string()), file);
  std::size_t files = 0;
  for (const auto& e : fs::directory_iterator(dir)) files += e.is_regular_file();
  EXPECT_EQ(files, 1u) << "no file was written for a refused model";
  server.stop();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace sextant::test
