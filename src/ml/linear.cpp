// OLS, ridge, multi-output ridge (Eigen) and softmax regression on dense or hashed-text rows.
#include "sextant/ml/linear.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>

#include "lbfgs.hpp"
#include "sextant/core/error.hpp"

namespace sextant::ml {
namespace {

using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

void require_finite(const double* x, std::size_t n, std::size_t cols, const char* field) {
  for (std::size_t i = 0; i < n; ++i)
    if (!std::isfinite(x[i])) fail(ErrorCode::non_finite, fmt::format("{}[{}][{}]", field, i / cols, i % cols), "values must be finite");
}

std::vector<double> normalised(std::vector<double> v) {
  double s = 0;
  for (double x : v) s += x;
  if (s > 0)
    for (double& x : v) x /= s;
  return v;
}

// Rows as (index, value) lists: dense features or hashed text, one trainer.
struct Sparse {
  std::vector<std::uint32_t> idx;
  std::vector<double> val;
  std::vector<std::size_t> ptr{0};
  void end_row() { ptr.push_back(idx.size()); }
  std::size_t rows() const { return ptr.size() - 1; }
};

// Softmax regression by L-BFGS: mean cross-entropy + λ/2 ||W||² (bias unpenalised).
std::vector<double> softmax_fit(const Sparse& X, std::size_t d, std::span<const std::int32_t> y, std::size_t K, double lambda,
                                int& iterations) {
  const std::size_t n = X.rows(), stride = d + 1;
  std::vector<double> w(K * stride, 0.0);
  auto f = [&](const std::vector<double>& w, std::vector<double>& g) {
    std::fill(g.begin(), g.end(), 0.0);
    double loss = 0;
    std::vector<double> z(K);
    for (std::size_t r = 0; r < n; ++r) {
      for (std::size_t k = 0; k < K; ++k) {
        double s = w[k * stride + d];
        for (std::size_t e = X.ptr[r]; e < X.ptr[r + 1]; ++e) s += w[k * stride + X.idx[e]] * X.val[e];
        z[k] = s;
      }
      const double top = *std::max_element(z.begin(), z.end());
      double sum = 0;
      for (double& v : z) sum += v = std::exp(v - top);
      loss -= std::log(std::max(z[std::size_t(y[r])] / sum, 1e-300));
      for (std::size_t k = 0; k < K; ++k) {
        const double coef = (z[k] / sum - (std::size_t(y[r]) == k ? 1.0 : 0.0)) / double(n);
        for (std::size_t e = X.ptr[r]; e < X.ptr[r + 1]; ++e) g[k * stride + X.idx[e]] += coef * X.val[e];
        g[k * stride + d] += coef;
      }
    }
    loss /= double(n);
    for (std::size_t k = 0; k < K; ++k)
      for (std::size_t j = 0; j < d; ++j) {
        loss += 0.5 * lambda * w[k * stride + j] * w[k * stride + j];
        g[k * stride + j] += lambda * w[k * stride + j];
      }
    return loss;
  };
  iterations = lbfgs(f, w, 500, 1e-7).iterations;
  return w;
}

void softmax_row(const LogisticModel& m, const std::pair<std::uint32_t, double>* e, std::size_t count, double* probs) {
  const std::size_t stride = m.features + 1;
  double top = -INFINITY;
  for (std::size_t k = 0; k < m.classes; ++k) {
    double s = m.weights[k * stride + m.features];
    for (std::size_t i = 0; i < count; ++i) s += m.weights[k * stride + e[i].first] * e[i].second;
    probs[k] = s, top = std::max(top, s);
  }
  double sum = 0;
  for (std::size_t k = 0; k < m.classes; ++k) sum += probs[k] = std::exp(probs[k] - top);
  for (std::size_t k = 0; k < m.classes; ++k) probs[k] /= sum;
}

std::uint64_t fnv1a(std::string_view s) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

}  // namespace

std::vector<double> LinearModel::importance() const {
  std::vector<double> v(features, 0.0);
  for (std::size_t j = 0; j < features; ++j)
    for (std::size_t k = 0; k < outputs; ++k) v[j] += std::fabs(coef[j * outputs + k]) * feature_std[j] / double(outputs);
  return normalised(std::move(v));
}

LinearModel fit_linear(const double* x, std::size_t rows, std::size_t cols, const double* y, std::size_t outputs, double lambda) {
  if (rows < 2 || cols < 1) fail(ErrorCode::invalid_argument, "X", "needs at least 2 rows and 1 column, got {}×{}", rows, cols);
  if (!(lambda >= 0) || !std::isfinite(lambda)) fail(ErrorCode::invalid_argument, "lambda", "must be >= 0, not {}", lambda);
  require_finite(x, rows * cols, cols, "X");
  require_finite(y, rows * outputs, outputs, "y");
  const Eigen::Map<const RowMatrix> X(x, long(rows), long(cols)), Y(y, long(rows), long(outputs));
  const Eigen::RowVectorXd xm = X.colwise().mean(), ym = Y.colwise().mean();
  const RowMatrix Xc = X.rowwise() - xm, Yc = Y.rowwise() - ym;
  Eigen::MatrixXd B;
  if (lambda == 0) {
    B = Xc.completeOrthogonalDecomposition().solve(Yc);
  } else {
    Eigen::MatrixXd A = Xc.transpose() * Xc;
    A.diagonal().array() += lambda;
    B = A.ldlt().solve(Xc.transpose() * Yc);
  }
  LinearModel m;
  m.features = cols, m.outputs = outputs, m.lambda = lambda;
  m.coef.resize(cols * outputs);
  for (std::size_t j = 0; j < cols; ++j)
    for (std::size_t k = 0; k < outputs; ++k) m.coef[j * outputs + k] = B(long(j), long(k));
  const Eigen::RowVectorXd c = ym - xm * B;
  m.intercept.assign(c.data(), c.data() + outputs);
  for (std::size_t j = 0; j < cols; ++j) m.feature_std.push_back(std::sqrt(Xc.col(long(j)).squaredNorm() / double(rows - 1)));
  return m;
}

void predict_linear(const LinearModel& m, const double* row, double* out) {
  for (std::size_t k = 0; k < m.outputs; ++k) {
    double s = m.intercept[k];
    for (std::size_t j = 0; j < m.features; ++j) s += m.coef[j * m.outputs + k] * row[j];
    out[k] = s;
  }
}

std::vector<double> LogisticModel::importance() const {
  std::vector<double> v(features, 0.0);
  for (std::size_t k = 0; k < classes; ++k)
    for (std::size_t j = 0; j < features; ++j) v[j] += std::fabs(weights[k * (features + 1) + j]) / double(classes);
  return normalised(std::move(v));
}

LogisticModel fit_logistic(const double* x, std::size_t rows, std::size_t cols, std::span<const std::int32_t> labels,
                           std::size_t classes, double lambda) {
  if (rows < 2 || cols < 1) fail(ErrorCode::invalid_argument, "X", "needs at least 2 rows and 1 column, got {}×{}", rows, cols);
  if (classes < 2 || classes > 1000) fail(ErrorCode::invalid_argument, "y", "needs 2 to 1000 classes, got {}", classes);
  if (!(lambda >= 0) || !std::isfinite(lambda)) fail(ErrorCode::invalid_argument, "lambda", "must be >= 0, not {}", lambda);
  require_finite(x, rows * cols, cols, "X");
  LogisticModel m;
  m.features = cols, m.classes = classes, m.lambda = lambda;
  m.mean.assign(cols, 0), m.scale.assign(cols, 1);
  for (std::size_t j = 0; j < cols; ++j) {
    double s = 0, ss = 0;
    for (std::size_t r = 0; r < rows; ++r) s += x[r * cols + j];
    m.mean[j] = s / double(rows);
    for (std::size_t r = 0; r < rows; ++r) ss += (x[r * cols + j] - m.mean[j]) * (x[r * cols + j] - m.mean[j]);
    const double sd = std::sqrt(ss / double(rows));
    m.scale[j] = sd > 0 ? sd : 1;
  }
  Sparse X;
  for (std::size_t r = 0; r < rows; ++r) {
    if (labels[r] < 0 || std::size_t(labels[r]) >= classes)
      fail(ErrorCode::invalid_argument, fmt::format("y[{}]", r), "label {} is not a class in [0, {})", labels[r], classes);
    for (std::size_t j = 0; j < cols; ++j) X.idx.push_back(std::uint32_t(j)), X.val.push_back((x[r * cols + j] - m.mean[j]) / m.scale[j]);
    X.end_row();
  }
  m.weights = softmax_fit(X, cols, labels, classes, lambda, m.iterations);
  return m;
}

void logistic_probabilities(const LogisticModel& m, const double* row, double* probs) {
  std::pair<std::uint32_t, double> e[256];
  std::vector<std::pair<std::uint32_t, double>> big;
  auto* p = e;
  if (m.features > 256) big.resize(m.features), p = big.data();
  for (std::size_t j = 0; j < m.features; ++j) p[j] = {std::uint32_t(j), (row[j] - m.mean[j]) / m.scale[j]};
  softmax_row(m, p, m.features, probs);
}

std::vector<std::pair<std::uint32_t, double>> hash_text(std::string_view text, std::size_t dims) {
  std::vector<std::string> tokens;
  std::string cur;
  for (char c : text) {
    if (std::isalnum(static_cast<unsigned char>(c))) cur += char(std::tolower(static_cast<unsigned char>(c)));
    else if (!cur.empty()) tokens.push_back(std::move(cur)), cur.clear();
  }
  if (!cur.empty()) tokens.push_back(std::move(cur));
  std::map<std::uint32_t, double> counts;
  auto add = [&](std::string_view term) {
    const std::uint64_t h = fnv1a(term);
    counts[std::uint32_t(h % dims)] += (h >> 63) ? -1.0 : 1.0;
  };
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    add(tokens[i]);
    if (i + 1 < tokens.size()) add(tokens[i] + ' ' + tokens[i + 1]);
  }
  double norm = 0;
  for (const auto& [k, v] : counts) norm += v * v;
  norm = std::sqrt(norm);
  std::vector<std::pair<std::uint32_t, double>> out;
  for (const auto& [k, v] : counts)
    if (v != 0) out.emplace_back(k, v / norm);
  return out;
}

TextLogistic fit_text_logistic(std::span<const std::string> texts, std::span<const std::string> labels, double lambda, std::size_t dims) {
  if (texts.size() != labels.size())
    fail(ErrorCode::dimension_mismatch, "labels", "{} labels for {} texts", labels.size(), texts.size());
  if (texts.size() < 2) fail(ErrorCode::invalid_argument, "texts", "needs at least 2 labelled texts, got {}", texts.size());
  if (dims < 16 || dims > (std::size_t(1) << 22)) fail(ErrorCode::invalid_argument, "dims", "must be in [16, 4194304], not {}", dims);
  TextLogistic t;
  t.dims = dims;
  t.labels.assign(labels.begin(), labels.end());
  std::sort(t.labels.begin(), t.labels.end());
  t.labels.erase(std::unique(t.labels.begin(), t.labels.end()), t.labels.end());
  if (t.labels.size() < 2) fail(ErrorCode::invalid_argument, "labels", "needs at least 2 distinct labels");
  Sparse X;
  std::vector<std::int32_t> y;
  for (std::size_t i = 0; i < texts.size(); ++i) {
    for (const auto& [k, v] : hash_text(texts[i], dims)) X.idx.push_back(k), X.val.push_back(v);
    X.end_row();
    y.push_back(std::int32_t(std::lower_bound(t.labels.begin(), t.labels.end(), labels[i]) - t.labels.begin()));
  }
  t.model.features = dims, t.model.classes = t.labels.size(), t.model.lambda = lambda;
  t.model.weights = softmax_fit(X, dims, y, t.labels.size(), lambda, t.model.iterations);
  return t;
}

void text_probabilities(const TextLogistic& m, std::string_view text, double* probs) {
  const auto e = hash_text(text, m.dims);
  softmax_row(m.model, e.data(), e.size(), probs);
}

}  // namespace sextant::ml
