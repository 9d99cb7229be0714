#pragma once
// Linear models: OLS and ridge (one output or several: multi_ridge), and multinomial logistic
// regression on dense features or on hashed text.
//
// Ridge minimises ||Y - XB - 1c'||² + λ||B||² (scikit-learn's Ridge: the intercept is not penalised);
// λ = 0 is OLS, solved by a complete orthogonal decomposition so a rank-deficient X gets the
// minimum-norm solution. Logistic regression minimises the mean cross-entropy + λ/2 ||W||² (bias not
// penalised) by L-BFGS on standardised features; two classes are the binary case.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sextant::ml {

struct LinearModel {
  std::size_t features = 0, outputs = 1;
  double lambda = 0;
  std::vector<double> coef;       //!< features × outputs, row-major
  std::vector<double> intercept;  //!< outputs
  std::vector<double> feature_std;
  //! Standardised |coefficient| (|b_j|·std(x_j), averaged over outputs), normalised to sum to 1.
  std::vector<double> importance() const;
};

//! x: rows × cols, y: rows × outputs (row-major), all finite.
LinearModel fit_linear(const double* x, std::size_t rows, std::size_t cols, const double* y, std::size_t outputs, double lambda);
//! outputs values for one row.
void predict_linear(const LinearModel& m, const double* row, double* out);

struct LogisticModel {
  std::size_t features = 0, classes = 2;
  double lambda = 1e-4;
  std::vector<double> mean, scale;  //!< standardisation of dense features (empty for hashed text)
  std::vector<double> weights;      //!< classes × (features + 1), the bias last
  int iterations = 0;
  std::vector<double> importance() const;  //!< mean |w| per standardised feature, normalised
};

//! labels in [0, classes).
LogisticModel fit_logistic(const double* x, std::size_t rows, std::size_t cols, std::span<const std::int32_t> labels,
                           std::size_t classes, double lambda);
void logistic_probabilities(const LogisticModel& m, const double* row, double* probs);

//! Hashing vectoriser: lower-cased alphanumeric tokens and adjacent-token bigrams, FNV-1a hashed into
//! `dims` buckets with a hash-derived sign, then L2-normalised term frequencies.
std::vector<std::pair<std::uint32_t, double>> hash_text(std::string_view text, std::size_t dims);

struct TextLogistic {
  std::size_t dims = std::size_t(1) << 16;
  std::vector<std::string> labels;  //!< class names, sorted
  LogisticModel model;
};

TextLogistic fit_text_logistic(std::span<const std::string> texts, std::span<const std::string> labels, double lambda,
                               std::size_t dims = std::size_t(1) << 16);
void text_probabilities(const TextLogistic& m, std::string_view text, double* probs);

}  // namespace sextant::ml
