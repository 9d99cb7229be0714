#pragma once
// A registered model: its kind, what it takes and gives, how it was measured, and its parameters.
// Prediction is a free function per input form: a feature vector, a series, or a text.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "sextant/core/names.hpp"
#include "sextant/ml/forest.hpp"
#include "sextant/ml/garch.hpp"
#include "sextant/ml/hmm.hpp"
#include "sextant/ml/isolation_forest.hpp"
#include "sextant/ml/linear.hpp"

namespace sextant::ml {

enum class Kind : std::uint8_t {
  xgboost, linear, logistic, multi_ridge, gaussian_hmm, garch, ewma, isolation_forest, text_logistic,
};
inline constexpr auto kKindNames = enum_names<Kind>({{Kind::xgboost, "xgboost"},
                                                     {Kind::linear, "linear"},
                                                     {Kind::logistic, "logistic"},
                                                     {Kind::multi_ridge, "multi_ridge"},
                                                     {Kind::gaussian_hmm, "gaussian_hmm"},
                                                     {Kind::garch, "garch"},
                                                     {Kind::ewma, "ewma"},
                                                     {Kind::isolation_forest, "isolation_forest"},
                                                     {Kind::text_logistic, "text_logistic"}});

//! What one prediction takes.
enum class InputForm : std::uint8_t { vector, series, text };
inline constexpr auto kInputFormNames =
    enum_names<InputForm>({{InputForm::vector, "vector"}, {InputForm::series, "series"}, {InputForm::text, "text"}});
InputForm input_form(Kind k);

struct XgboostBody {
  Forest forest;
  std::string file;  //!< the model as XGBoost saved it (JSON or UBJSON): what is persisted
};
using Body = std::variant<XgboostBody, LinearModel, LogisticModel, GaussianHmm, Garch, Ewma, IsolationForest, TextLogistic>;

using NamedValues = std::vector<std::pair<std::string, double>>;

struct Model {
  std::string id;
  Kind kind = Kind::linear;
  std::string preset;                       //!< empty: none
  std::vector<std::string> feature_names;   //!< vector input: one per column
  std::vector<std::string> classes;         //!< names of `probabilities`, in order; empty: not a classifier
  std::vector<std::string> outputs;         //!< multi-output models: the name of each prediction
  NamedValues metrics;                      //!< measured on the hold-out split (and training counts, times)
  NamedValues params;                       //!< fitted parameters worth showing (GARCH's ω, α1, β1, loglik)
  NamedValues train_config;                 //!< how it was trained: hold-out share, λ, rounds... (for retraining)
  std::vector<double> importance;           //!< per feature name; empty where not defined
  //! portfolio_optimization: the training panel's N×N sample covariance (row-major), with which the
  //! predicted returns are handed to the portfolio optimiser (max_utility, long-only, budget 1).
  std::vector<double> covariance;
  double risk_aversion = 0;
  Body body;
  std::int64_t created_ns = 0;

  //! Vector input: the number of features a row must have.
  std::size_t width() const { return feature_names.size(); }
  //! Only the trees have a rule for a missing value (their default directions).
  bool accepts_missing() const { return kind == Kind::xgboost; }
};

struct Prediction {
  double value = 0;                   //!< the prediction (a class probability or index, a volatility...)
  std::vector<double> probabilities;  //!< classifiers: one per class
  std::vector<double> values;         //!< multi-output models: one per output
  std::vector<double> forecast;       //!< volatility models: 1..horizon steps ahead
  std::vector<double> weights;        //!< portfolio_optimization: the optimiser's weights for `values`
};

//! Rows of width() values (row-major). values: rows × max(1, outputs.size()); probabilities:
//! rows × classes.size(). Rows are split across threads.
void predict_rows(const Model& m, const double* x, std::size_t rows, std::vector<double>& values, std::vector<double>& probabilities);
Prediction predict_vector(const Model& m, std::span<const double> row);
//! gaussian_hmm: the filtered state probabilities at the series' last value; garch/ewma: the next
//! period's volatility after the series (the training series' end when it is empty), and `horizon`
//! steps of forecast.
Prediction predict_series(const Model& m, std::span<const double> series, std::size_t horizon);
Prediction predict_text(const Model& m, std::string_view text);

//! The file form of a model (JSON, Sextant's own schema; XGBoost's file embedded as base64), and back.
//! load_model throws invalid_argument naming `field` for anything malformed.
std::string save_model(const Model& m);
Model load_model(std::string_view bytes, std::string_view field);

}  // namespace sextant::ml
