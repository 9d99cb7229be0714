// Training: the hold-out is never seen (time order, no look-ahead), every preset trains and predicts,
// and every kind survives its model file bit for bit.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

#include "sextant/core/error.hpp"
#include "sextant/ml/train.hpp"

namespace sextant::test {
namespace {

double metric(const ml::Model& m, const std::string& name) {
  for (const auto& [k, v] : m.metrics)
    if (k == name) return v;
  return NAN;
}

Matrix random_matrix(std::size_t rows, std::size_t cols, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> z;
  Matrix m(rows, cols);
  for (double& v : m.flat()) v = z(rng);
  return m;
}

std::vector<double> random_walk(std::size_t n, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> z;
  std::vector<double> c{100};
  for (std::size_t i = 1; i < n; ++i) c.push_back(c.back() * std::exp(0.01 * z(rng) + 0.0003));
  return c;
}

TEST(Training, TheHoldoutIsNeverSeen) {
  ml::TrainData d;
  d.X = random_matrix(200, 3, 1);
  d.y = Matrix(200, 1);
  for (std::size_t i = 0; i < 200; ++i) d.y(i, 0) = d.X(i, 0) - 2 * d.X(i, 2) + 0.1 * std::sin(double(i));
  ml::TrainOptions o;
  o.holdout = 0.25;
  for (ml::Kind kind : {ml::Kind::linear, ml::Kind::xgboost}) {
    if (kind == ml::Kind::xgboost) o.params = {{"rounds", 20}, {"nthread", 1}, {"seed", 7}};
    const ml::Model a = ml::train_model("a", kind, d, o);
    ml::TrainData poisoned = d;
    for (std::size_t i = 150; i < 200; ++i) poisoned.y(i, 0) = 1e6, poisoned.X(i, 1) = -1e6;  // the last 25%: the hold-out
    const ml::Model b = ml::train_model("a", kind, poisoned, o);
    EXPECT_EQ(metric(a, "train_rows"), 150);
    EXPECT_EQ(metric(a, "holdout_rows"), 50);
    if (kind == ml::Kind::linear) {
      EXPECT_EQ(std::get<ml::LinearModel>(a.body).coef, std::get<ml::LinearModel>(b.body).coef);
      EXPECT_EQ(std::get<ml::LinearModel>(a.body).intercept, std::get<ml::LinearModel>(b.body).intercept);
    } else {
      EXPECT_EQ(std::get<ml::XgboostBody>(a.body).file, std::get<ml::XgboostBody>(b.body).file) << "the same trees";
    }
    EXPECT_NE(metric(a, "rmse"), metric(b, "rmse")) << "the hold-out is what is measured";
  }
}

TEST(Training, PriceFeaturesReadOnlyThePast) {
  const auto close = random_walk(300, 4);
  const Matrix full = ml::price_features(close);
  for (std::size_t t : {20u, 100u, 299u}) {
    const Matrix upto = ml::price_features(std::span(close).first(t + 1));  // closes 0..t only
    for (std::size_t j = 0; j < full.cols(); ++j) EXPECT_EQ(full(t - 20, j), upto(t - 20, j)) << "row for close " << t;
  }
}

TEST(Training, EveryPresetTrainsAndPredicts) {
  const auto close = random_walk(600, 5);
  std::vector<double> returns;
  for (std::size_t i = 1; i < close.size(); ++i) returns.push_back(std::log(close[i] / close[i - 1]));
  for (ml::Preset p : {ml::Preset::price_prediction, ml::Preset::regime_detection, ml::Preset::volatility_forecasting,
                       ml::Preset::risk_prediction, ml::Preset::factor_prediction, ml::Preset::sentiment_analysis,
                       ml::Preset::portfolio_optimization, ml::Preset::anomaly_detection}) {
    SCOPED_TRACE(std::string(ml::kPresetNames.name(p)));
    ml::PresetData in;
    in.close = close;
    in.returns = returns;
    in.panel = random_matrix(300, 4, 6);
    for (double& v : in.panel.flat()) v = 0.001 + 0.01 * v;
    in.names = {"A", "B", "C", "D"};
    in.X = p == ml::Preset::anomaly_detection ? random_matrix(300, 3, 7) : Matrix();
    for (int i = 0; i < 30; ++i) {
      in.texts.push_back(i % 2 ? "shares surge on strong earnings" : "shares plunge on weak earnings");
      in.labels.push_back(i % 2 ? "positive" : "negative");
    }
    in.horizon = 10, in.threshold = 0.03;
    ml::TrainOptions o;
    if (ml::preset_kind(p) == ml::Kind::xgboost) o.params = {{"rounds", 10}, {"nthread", 1}};
    const ml::Model m = ml::train_preset("m", p, in, o);
    EXPECT_EQ(m.kind, ml::preset_kind(p));
    EXPECT_EQ(m.preset, ml::kPresetNames.name(p));
    EXPECT_TRUE(std::isfinite(metric(m, "train_ms")));
    ml::Prediction out;
    switch (ml::input_form(m.kind)) {
      case ml::InputForm::vector: out = ml::predict_vector(m, std::vector<double>(m.width(), 0.001)); break;
      case ml::InputForm::series: out = ml::predict_series(m, std::span(returns).last(50), 5); break;
      case ml::InputForm::text: out = ml::predict_text(m, "earnings surge"); break;
    }
    EXPECT_TRUE(std::isfinite(out.value));
    if (!m.classes.empty()) {
      ASSERT_EQ(out.probabilities.size(), m.classes.size());
      double s = 0;
      for (double v : out.probabilities) s += v;
      EXPECT_NEAR(s, 1.0, 1e-9);
    }
    if (p == ml::Preset::regime_detection) {
      EXPECT_EQ(m.classes, (std::vector<std::string>{"bear", "sideways", "bull"}));
    }
    if (p == ml::Preset::volatility_forecasting) {
      EXPECT_EQ(out.forecast.size(), 5u);
    }
    if (p == ml::Preset::risk_prediction) {
      EXPECT_EQ(m.classes, (std::vector<std::string>{"no_drawdown", "drawdown"}));
    }
    if (p == ml::Preset::factor_prediction || p == ml::Preset::portfolio_optimization) {
      EXPECT_EQ(out.values.size(), 4u);
      EXPECT_EQ(m.width(), 20u) << "4 series × 5 lags";
    }
    if (p == ml::Preset::portfolio_optimization) {
      ASSERT_EQ(out.weights.size(), 4u);
      double s = 0;
      for (double w : out.weights) {
        s += w;
        EXPECT_GE(w, -1e-9);
      }
      EXPECT_NEAR(s, 1.0, 1e-8);
    }
  }
}

TEST(Training, PricePredictionOnFeaturesEngineFactors) {
  const auto close = random_walk(400, 9);
  ml::PresetData in;
  in.close = close;
  for (double c : close) in.open.push_back(c * 0.999), in.high.push_back(c * 1.01), in.low.push_back(c * 0.99), in.volume.push_back(1e6);
  in.factors = {"alpha158.KMID", "Mean($close, 5)/$close", "RSI($close, 14)"};
  ml::TrainOptions o;
  o.params = {{"rounds", 10}, {"nthread", 1}};
  const ml::Model m = ml::train_preset("f", ml::Preset::price_prediction, in, o);
  EXPECT_EQ(m.feature_names, in.factors);
  const Matrix x = ml::factor_features(in);
  EXPECT_NEAR(x(399, 0), (close[399] - in.open[399]) / in.open[399], 1e-15);  // KMID = (close - open)/open
  EXPECT_TRUE(std::isnan(x(10, 2))) << "RSI(14) is still warming up";
  const std::vector<double> last = {x(399, 0), x(399, 1), x(399, 2)};
  EXPECT_TRUE(std::isfinite(ml::predict_vector(m, last).value));
  in.factors = {"NoSuchFunction($close)"};
  EXPECT_THROW(ml::train_preset("f", ml::Preset::price_prediction, in, o), Error);
}

bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0);
}

TEST(ModelFile, EveryKindRoundTripsBitForBit) {
  ml::TrainData d;
  d.X = random_matrix(120, 3, 8);
  d.y = Matrix(120, 1);
  for (std::size_t i = 0; i < 120; ++i) d.y(i, 0) = d.X(i, 0) > 0 ? 1 : 0;
  d.returns.resize(400);
  std::mt19937_64 rng(2);
  std::normal_distribution<double> z;
  for (double& r : d.returns) r = z(rng) * (1 + 0.5 * std::sin(double(&r - d.returns.data()) / 40));
  for (int i = 0; i < 20; ++i) d.texts.push_back(i % 2 ? "up up" : "down down"), d.labels.push_back(i % 2 ? "u" : "d");
  for (ml::Kind kind : {ml::Kind::xgboost, ml::Kind::linear, ml::Kind::logistic, ml::Kind::multi_ridge, ml::Kind::gaussian_hmm,
                        ml::Kind::garch, ml::Kind::ewma, ml::Kind::isolation_forest, ml::Kind::text_logistic}) {
    SCOPED_TRACE(std::string(ml::kKindNames.name(kind)));
    ml::TrainOptions o;
    if (kind == ml::Kind::xgboost) o.params = {{"rounds", 5}, {"nthread", 1}}, o.objective = "binary:logistic";
    const ml::Model m = ml::train_model("k", kind, d, o);
    const ml::Model back = ml::load_model(ml::save_model(m), "model");
    EXPECT_EQ(ml::save_model(back), ml::save_model(m));
    ml::Prediction a, b;
    switch (ml::input_form(kind)) {
      case ml::InputForm::vector: {
        const std::vector<double> row = {0.3, -1.2, 0.7};
        a = ml::predict_vector(m, row), b = ml::predict_vector(back, row);
        break;
      }
      case ml::InputForm::series:
        a = ml::predict_series(m, std::span(d.returns).last(30), 3), b = ml::predict_series(back, std::span(d.returns).last(30), 3);
        break;
      case ml::InputForm::text: a = ml::predict_text(m, "up down up"), b = ml::predict_text(back, "up down up"); break;
    }
    EXPECT_TRUE(same_bits({a.value}, {b.value}));
    EXPECT_TRUE(same_bits(a.probabilities, b.probabilities));
    EXPECT_TRUE(same_bits(a.forecast, b.forecast));
  }
  EXPECT_THROW(ml::load_model("{\"format\":\"sextant-model\"}", "model"), Error);
}

}  // namespace
}  // namespace sextant::test
