#pragma once
// Training: posted data → a fitted Model with its hold-out metrics, for every kind and preset.
//
// The hold-out is the last `holdout` share of the rows, in the order given (time order): the model is
// fitted on the rows before it and never sees it, and the metrics (RMSE, MAE, R² for regressions;
// accuracy, log-loss and AUC for classifiers) are measured on it. The model served is the one measured.
#include <string>
#include <string_view>
#include <vector>

#include "sextant/core/matrix.hpp"
#include "sextant/ml/model.hpp"

namespace sextant::ml {

struct TrainData {
  Matrix X;                                //!< rows × features (vector kinds)
  Matrix y;                                //!< rows × outputs; class labels 0..K-1 for classifiers
  std::vector<std::string> feature_names;  //!< default f0, f1, ...
  std::vector<std::string> output_names;   //!< multi-output models
  std::vector<std::string> class_names;    //!< classifiers; default "0".."K-1"
  std::vector<double> returns;             //!< series kinds
  std::vector<std::string> texts, labels;  //!< text_logistic
};

struct TrainOptions {
  double holdout = 0.2;
  //! Numeric settings by name: xgboost's (rounds, max_depth, eta, subsample, colsample_bytree,
  //! min_child_weight, lambda, alpha, gamma, seed), lambda (linear, logistic, text), states (hmm),
  //! trees, sample, seed (isolation forest), decay (ewma), dims (text).
  NamedValues params;
  std::string objective;  //!< xgboost: reg:squarederror (default), binary:logistic, multi:softprob
};

Model train_model(const std::string& id, Kind kind, const TrainData& data, const TrainOptions& options);

//! The eight model types of the original specification (docs/ml.md gives each one's data and target).
enum class Preset : std::uint8_t {
  price_prediction, regime_detection, volatility_forecasting, risk_prediction,
  factor_prediction, sentiment_analysis, portfolio_optimization, anomaly_detection,
};
inline constexpr auto kPresetNames = enum_names<Preset>({{Preset::price_prediction, "price_prediction"},
                                                         {Preset::regime_detection, "regime_detection"},
                                                         {Preset::volatility_forecasting, "volatility_forecasting"},
                                                         {Preset::risk_prediction, "risk_prediction"},
                                                         {Preset::factor_prediction, "factor_prediction"},
                                                         {Preset::sentiment_analysis, "sentiment_analysis"},
                                                         {Preset::portfolio_optimization, "portfolio_optimization"},
                                                         {Preset::anomaly_detection, "anomaly_detection"}});
Kind preset_kind(Preset p);

//! What a preset is trained from (the fields it reads; others are ignored).
struct PresetData {
  std::vector<double> close;      //!< price_prediction, risk_prediction
  //! price_prediction, risk_prediction: features engine factors (catalogue ids or expressions) over
  //! this OHLCV in place of the built-in price features (`close` is required with them).
  std::vector<std::string> factors;
  std::vector<double> open, high, low, volume;
  std::vector<double> returns;    //!< regime_detection, volatility_forecasting
  Matrix panel;                   //!< factor_prediction: T × k factor returns; portfolio_optimization: T × N asset returns
  std::vector<std::string> names; //!< the panel's columns
  Matrix X;                       //!< anomaly_detection (or any preset given ready features with y)
  Matrix y;
  std::vector<std::string> feature_names;
  std::vector<std::string> texts, labels;
  double horizon = 20;            //!< risk_prediction: periods ahead
  double threshold = 0.1;         //!< risk_prediction: drawdown from the current close
  double lags = 5;                //!< factor_prediction, portfolio_optimization
};

//! Builds the kind's training data from a preset's inputs, then trains.
Model train_preset(const std::string& id, Preset p, const PresetData& data, TrainOptions options);

//! The features engine's factors of one instrument's OHLCV at every row (each row from data up to it):
//! rows × factors, NaN during a factor's warm-up. Names are the factors as given.
Matrix factor_features(const PresetData& in, std::vector<std::string>* names = nullptr);

//! price_prediction's features of each row t >= 20 from closes up to t only (no look-ahead):
//! ret_lag0..ret_lag9 (the simple returns of t, t-1, ... t-9), vol20 (their 20-day std), mom20 (the
//! 20-day return). Row k of the result is close index k + 20.
Matrix price_features(std::span<const double> close, std::vector<std::string>* names = nullptr);

}  // namespace sextant::ml
