// Training for every kind (train_model), the eight presets (train_preset) and the hold-out metrics.
#include "sextant/ml/train.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <numeric>

#include "sextant/accel/ops.hpp"
#include "sextant/core/error.hpp"
#include "sextant/features/catalogue.hpp"
#include "sextant/features/evaluate.hpp"
#include "sextant/ml/xgboost_capi.hpp"

namespace sextant::ml {
namespace {

double param(const TrainOptions& o, std::string_view name, double fallback) {
  for (const auto& [k, v] : o.params)
    if (k == name) return v;
  return fallback;
}

void check_params(const TrainOptions& o, std::initializer_list<std::string_view> allowed, Kind kind) {
  for (const auto& [k, v] : o.params) {
    if (std::find(allowed.begin(), allowed.end(), k) == allowed.end()) {
      std::string list;
      for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      fail(ErrorCode::invalid_argument, "params." + k, "{} takes {}", kKindNames.name(kind), list.empty() ? "no parameters" : list);
    }
    if (!std::isfinite(v)) fail(ErrorCode::invalid_argument, "params." + k, "must be a finite number");
  }
}

std::size_t holdout_rows(std::size_t n, double share) {
  if (!(share >= 0 && share < 1)) fail(ErrorCode::invalid_argument, "holdout", "must be in [0, 1), not {}", share);
  return std::size_t(std::floor(double(n) * share));
}

void regression_metrics(NamedValues& m, const std::vector<double>& pred, const double* y, std::size_t n, std::size_t stride,
                        std::size_t outputs) {
  double se = 0, ae = 0, ss = 0;
  for (std::size_t k = 0; k < outputs; ++k) {
    double mean = 0;
    for (std::size_t i = 0; i < n; ++i) mean += y[i * stride + k];
    mean /= double(n);
    for (std::size_t i = 0; i < n; ++i) {
      const double e = pred[i * outputs + k] - y[i * stride + k];
      se += e * e, ae += std::fabs(e), ss += (y[i * stride + k] - mean) * (y[i * stride + k] - mean);
    }
  }
  const double cells = double(n * outputs);
  m.emplace_back("rmse", std::sqrt(se / cells));
  m.emplace_back("mae", ae / cells);
  if (ss > 0) m.emplace_back("r2", 1 - se / ss);
}

// AUC by ranks (ties averaged): the probability a positive scores above a negative.
double auc(const std::vector<double>& score, const std::vector<int>& label) {
  std::vector<std::size_t> idx(score.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) { return score[a] < score[b]; });
  double rank_sum = 0, pos = 0;
  for (std::size_t i = 0; i < idx.size();) {
    std::size_t j = i;
    while (j + 1 < idx.size() && score[idx[j + 1]] == score[idx[i]]) ++j;
    const double r = (double(i + 1) + double(j + 1)) / 2;
    for (std::size_t k = i; k <= j; ++k)
      if (label[idx[k]]) rank_sum += r, ++pos;
    i = j + 1;
  }
  const double neg = double(score.size()) - pos;
  if (pos == 0 || neg == 0) return NAN;
  return (rank_sum - pos * (pos + 1) / 2) / (pos * neg);
}

void classification_metrics(NamedValues& m, const std::vector<double>& probs, std::size_t K, const double* y, std::size_t n,
                            std::size_t stride) {
  double right = 0, ll = 0;
  std::vector<double> score;
  std::vector<int> label;
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t c = std::size_t(y[i * stride]);
    const double* p = &probs[i * K];
    right += std::size_t(std::max_element(p, p + K) - p) == c;
    ll -= std::log(std::clamp(p[c], 1e-15, 1.0));
    if (K == 2) score.push_back(p[1]), label.push_back(int(c));
  }
  m.emplace_back("accuracy", right / double(n));
  m.emplace_back("log_loss", ll / double(n));
  if (K == 2) {
    const double a = auc(score, label);
    if (std::isfinite(a)) m.emplace_back("auc", a);
  }
}

std::size_t class_count(const Matrix& y, std::size_t rows) {
  double top = 0;
  for (std::size_t i = 0; i < rows; ++i) {
    const double v = y(i, 0);
    if (!(v >= 0 && v == std::floor(v) && v < 1000)) fail(ErrorCode::invalid_argument, fmt::format("y[{}]", i), "a class label is an integer in [0, 1000), not {}", v);
    top = std::max(top, v);
  }
  return std::max<std::size_t>(2, std::size_t(top) + 1);
}

std::vector<std::string> default_names(std::size_t n, const char* prefix) {
  std::vector<std::string> v;
  for (std::size_t i = 0; i < n; ++i) v.push_back(prefix + std::to_string(i));
  return v;
}

std::vector<std::string> class_names(const TrainData& d, std::size_t K) {
  if (d.class_names.empty()) return default_names(K, "");
  if (d.class_names.size() != K) fail(ErrorCode::dimension_mismatch, "classes", "{} class names for {} classes", d.class_names.size(), K);
  return d.class_names;
}

// The vector kinds: fit on rows [0, fit), measure on the hold-out rows after them.
Model train_vector(const std::string& id, Kind kind, const TrainData& d, const TrainOptions& o) {
  const std::size_t n = d.X.rows(), p = d.X.cols();
  if (n < 2 || p < 1) fail(ErrorCode::invalid_argument, "X", "needs at least 2 rows and 1 column, got {}×{}", n, p);
  const bool unsupervised = kind == Kind::isolation_forest;
  if (!unsupervised && d.y.rows() != n) fail(ErrorCode::dimension_mismatch, "y", "{} targets for {} rows of X", d.y.rows(), n);
  if (!d.feature_names.empty() && d.feature_names.size() != p)
    fail(ErrorCode::dimension_mismatch, "feature_names", "{} names for {} columns of X", d.feature_names.size(), p);
  for (std::size_t i = 0; i < n * p; ++i)
    if (!std::isfinite(d.X.flat()[i]) && kind != Kind::xgboost)
      fail(ErrorCode::non_finite, fmt::format("X[{}][{}]", i / p, i % p), "{} does not accept missing values", kKindNames.name(kind));
  for (std::size_t i = 0; i < d.y.flat().size(); ++i)
    if (!std::isfinite(d.y.flat()[i])) fail(ErrorCode::non_finite, fmt::format("y[{}]", i / std::max<std::size_t>(1, d.y.cols())), "targets must be finite");
  const std::size_t h = holdout_rows(n, o.holdout), fit = n - h;
  if (fit < 2) fail(ErrorCode::invalid_argument, "holdout", "leaves {} rows to fit", fit);

  Model m;
  m.id = id, m.kind = kind;
  m.feature_names = d.feature_names.empty() ? default_names(p, "f") : d.feature_names;
  const double* X = d.X.flat().data();
  const double* Y = d.y.flat().data();
  const std::size_t outputs = d.y.cols();
  switch (kind) {
    case Kind::xgboost: {
      check_params(o, {"rounds", "max_depth", "eta", "subsample", "colsample_bytree", "min_child_weight", "lambda", "alpha", "gamma", "seed",
                       "nthread"},
                   kind);
      std::string objective = o.objective.empty() ? "reg:squarederror" : o.objective;
      std::map<std::string, std::string> xp = {{"objective", objective}};
      if (objective == "multi:softprob" || objective == "multi:softmax") xp["num_class"] = std::to_string(class_count(d.y, n));
      else if (objective == "binary:logistic") {
        if (class_count(d.y, n) > 2) fail(ErrorCode::invalid_argument, "y", "binary:logistic needs labels 0 and 1");
      } else if (objective != "reg:squarederror" && objective != "reg:absoluteerror" && objective != "reg:pseudohubererror")
        fail(ErrorCode::invalid_argument, "objective", "must be reg:squarederror, reg:absoluteerror, reg:pseudohubererror, binary:logistic or multi:softprob, not '{}'", objective);
      const double rounds = param(o, "rounds", 100);
      if (!(rounds >= 1 && rounds <= 10000)) fail(ErrorCode::invalid_argument, "params.rounds", "must be in [1, 10000]");
      for (const auto& [k, v] : o.params)
        if (k != "rounds") xp[k] = fmt::format("{}", v);
      std::vector<float> xf(X, X + fit * p), yf(fit);
      for (std::size_t i = 0; i < fit; ++i) yf[i] = float(Y[i * outputs]);
      const auto booster = XgbBooster::train(xf.data(), fit, p, yf, xp, int(rounds), m.feature_names);
      std::string file = booster.save("json");
      Forest forest = load_xgboost(file, "model");
      m.importance = forest.importance();
      if (forest.classifier()) m.classes = class_names(d, forest.link == Link::sigmoid ? 2 : forest.num_class);
      m.body = XgboostBody{std::move(forest), std::move(file)};
      m.train_config.emplace_back("rounds", rounds);
      break;
    }
    case Kind::linear:
    case Kind::multi_ridge: {
      check_params(o, {"lambda"}, kind);
      const double lambda = param(o, "lambda", kind == Kind::linear ? 0.0 : 1.0);
      LinearModel lm = fit_linear(X, fit, p, Y, outputs, lambda);
      m.importance = lm.importance();
      if (outputs == 1) {  // small enough to show: the fitted line
        m.params.emplace_back("intercept", lm.intercept[0]);
        for (std::size_t j = 0; j < p; ++j) m.params.emplace_back("coef." + m.feature_names[j], lm.coef[j]);
      }
      if (outputs > 1 || kind == Kind::multi_ridge) m.outputs = d.output_names.empty() ? default_names(outputs, "y") : d.output_names;
      m.body = std::move(lm);
      m.train_config.emplace_back("lambda", lambda);
      break;
    }
    case Kind::logistic: {
      check_params(o, {"lambda"}, kind);
      const double lambda = param(o, "lambda", 1e-4);
      const std::size_t K = class_count(d.y, n);
      std::vector<std::int32_t> labels(fit);
      for (std::size_t i = 0; i < fit; ++i) labels[i] = std::int32_t(Y[i * outputs]);
      LogisticModel lg = fit_logistic(X, fit, p, labels, K, lambda);
      m.importance = lg.importance();
      m.classes = class_names(d, K);
      m.body = std::move(lg);
      m.train_config.emplace_back("lambda", lambda);
      break;
    }
    case Kind::isolation_forest: {
      check_params(o, {"trees", "sample", "seed"}, kind);
      const double trees = param(o, "trees", 100), sample = param(o, "sample", 256), seed = param(o, "seed", 42);
      m.body = fit_isolation_forest(X, fit, p, std::size_t(trees), std::size_t(sample), std::uint64_t(seed));
      for (auto [k, v] : {std::pair{"trees", trees}, std::pair{"sample", sample}, std::pair{"seed", seed}}) m.train_config.emplace_back(k, v);
      break;
    }
    default: break;
  }
  m.metrics.emplace_back("train_rows", double(fit));
  m.metrics.emplace_back("holdout_rows", double(h));
  if (h > 0) {
    std::vector<double> values, probs;
    predict_rows(m, X + fit * p, h, values, probs);
    if (!m.classes.empty()) classification_metrics(m.metrics, probs, m.classes.size(), Y + fit * outputs, h, outputs);
    else if (kind == Kind::isolation_forest) {
      double s = 0;
      for (double v : values) s += v;
      m.metrics.emplace_back("mean_score", s / double(h));
    } else regression_metrics(m.metrics, values, Y + fit * outputs, h, outputs, std::max<std::size_t>(1, m.outputs.size()));
  }
  return m;
}

}  // namespace

Model train_model(const std::string& id, Kind kind, const TrainData& d, const TrainOptions& o) {
  const auto t0 = std::chrono::steady_clock::now();
  Model m;
  switch (input_form(kind)) {
    case InputForm::vector: m = train_vector(id, kind, d, o); break;
    case InputForm::series: {
      m.id = id, m.kind = kind;
      if (kind == Kind::gaussian_hmm) {
        check_params(o, {"states"}, kind);
        const double states = param(o, "states", 3);
        if (!(states >= 1 && states <= 10 && states == std::floor(states))) fail(ErrorCode::invalid_argument, "params.states", "must be an integer in [1, 10]");
        GaussianHmm h = fit_hmm(d.returns, std::size_t(states));
        m.params = {{"loglik", h.loglik}, {"iterations", double(h.iterations)}};
        const double k = states * states + 2 * states - 1;  // free parameters: transitions, start, means, variances
        m.metrics = {{"loglik", h.loglik}, {"bic", k * std::log(double(d.returns.size())) - 2 * h.loglik}, {"train_rows", double(d.returns.size())}};
        m.classes = default_names(h.states, "state");
        m.body = std::move(h);
        m.train_config.emplace_back("states", states);
      } else if (kind == Kind::garch) {
        check_params(o, {}, kind);
        Garch g = fit_garch(d.returns);
        m.params = {{"omega", g.omega}, {"alpha1", g.alpha1}, {"beta1", g.beta1}, {"loglik", g.loglik}};
        m.metrics = {{"loglik", g.loglik}, {"persistence", g.alpha1 + g.beta1}, {"train_rows", double(g.observations)}};
        m.body = g;
      } else {
        check_params(o, {"decay"}, kind);
        Ewma e = fit_ewma(d.returns, param(o, "decay", 0.94));
        m.params = {{"lambda", e.lambda}, {"variance", e.variance}};
        m.metrics = {{"train_rows", double(e.observations)}};
        m.body = e;
        m.train_config.emplace_back("decay", e.lambda);
      }
      break;
    }
    case InputForm::text: {
      check_params(o, {"lambda", "dims"}, kind);
      m.id = id, m.kind = kind;
      const std::size_t n = d.texts.size();
      if (d.labels.size() != n) fail(ErrorCode::dimension_mismatch, "labels", "{} labels for {} texts", d.labels.size(), n);
      const std::size_t h = holdout_rows(n, o.holdout), fit = n - h;
      const double lambda = param(o, "lambda", 1e-4), dims = param(o, "dims", 65536);
      TextLogistic t = fit_text_logistic(std::span(d.texts).first(fit), std::span(d.labels).first(fit), lambda, std::size_t(dims));
      m.classes = t.labels;
      m.metrics = {{"train_rows", double(fit)}, {"holdout_rows", double(h)}};
      if (h > 0) {
        std::vector<double> probs(h * t.labels.size()), y(h);
        for (std::size_t i = 0; i < h; ++i) {
          text_probabilities(t, d.texts[fit + i], &probs[i * t.labels.size()]);
          const auto at = std::find(t.labels.begin(), t.labels.end(), d.labels[fit + i]);
          y[i] = at == t.labels.end() ? -1 : double(at - t.labels.begin());
        }
        // A hold-out label never seen in training counts as wrong (probability 0 → log-loss clamp).
        std::vector<double> kept_p, kept_y;
        for (std::size_t i = 0; i < h; ++i)
          if (y[i] >= 0) kept_y.push_back(y[i]), kept_p.insert(kept_p.end(), &probs[i * t.labels.size()], &probs[(i + 1) * t.labels.size()]);
        if (!kept_y.empty()) classification_metrics(m.metrics, kept_p, t.labels.size(), kept_y.data(), kept_y.size(), 1);
      }
      m.body = std::move(t);
      m.train_config = {{"lambda", lambda}, {"dims", dims}};
      break;
    }
  }
  m.train_config.emplace_back("holdout", o.holdout);
  m.metrics.emplace_back("train_ms", std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  return m;
}

Kind preset_kind(Preset p) {
  switch (p) {
    case Preset::price_prediction:
    case Preset::risk_prediction: return Kind::xgboost;
    case Preset::regime_detection: return Kind::gaussian_hmm;
    case Preset::volatility_forecasting: return Kind::garch;
    case Preset::factor_prediction:
    case Preset::portfolio_optimization: return Kind::multi_ridge;
    case Preset::sentiment_analysis: return Kind::text_logistic;
    case Preset::anomaly_detection: return Kind::isolation_forest;
  }
  return Kind::linear;
}

Matrix price_features(std::span<const double> close, std::vector<std::string>* names) {
  constexpr std::size_t kWarm = 20;
  for (std::size_t i = 0; i < close.size(); ++i)
    if (!(close[i] > 0) || !std::isfinite(close[i])) fail(ErrorCode::invalid_argument, fmt::format("close[{}]", i), "prices must be positive and finite");
  if (close.size() <= kWarm) fail(ErrorCode::invalid_argument, "close", "needs more than {} prices, got {}", kWarm, close.size());
  if (names) {
    names->clear();
    for (int l = 0; l < 10; ++l) names->push_back("ret_lag" + std::to_string(l));
    names->push_back("vol20");
    names->push_back("mom20");
  }
  const std::size_t rows = close.size() - kWarm;
  Matrix f(rows, 12);
  auto ret = [&](std::size_t t) { return close[t] / close[t - 1] - 1; };
  for (std::size_t k = 0; k < rows; ++k) {
    const std::size_t t = k + kWarm;
    for (std::size_t l = 0; l < 10; ++l) f(k, l) = ret(t - l);
    double s = 0, ss = 0;
    for (std::size_t l = 0; l < 20; ++l) s += ret(t - l);
    const double mean = s / 20;
    for (std::size_t l = 0; l < 20; ++l) ss += (ret(t - l) - mean) * (ret(t - l) - mean);
    f(k, 10) = std::sqrt(ss / 19);
    f(k, 11) = close[t] / close[t - 20] - 1;
  }
  return f;
}

Matrix factor_features(const PresetData& in, std::vector<std::string>* names) {
  const std::size_t T = in.close.size();
  if (T < 2) fail(ErrorCode::invalid_argument, "close", "factors need a close series");
  features::FieldPanel panel;
  panel.rows = T;
  panel.instruments = {"X"};
  features::FieldDefaults supplied;
  supplied.supplied.clear();
  auto add = [&](const char* name, const std::vector<double>& v) {
    if (v.empty()) return;
    if (v.size() != T) fail(ErrorCode::dimension_mismatch, name, "{} values for {} closes", v.size(), T);
    panel.fields[name] = v;
    supplied.supplied.push_back(name);
  };
  add("open", in.open), add("high", in.high), add("low", in.low), add("close", in.close), add("volume", in.volume);
  const auto compiled = features::compile_factors(in.factors, supplied, "factors");
  const auto values = features::evaluate(compiled.program, compiled.outputs, panel);
  Matrix x(T, in.factors.size());
  for (std::size_t k = 0; k < in.factors.size(); ++k)
    for (std::size_t t = 0; t < T; ++t) x(t, k) = values[k][t];
  if (names) *names = in.factors;
  return x;
}

namespace {

// Lagged panel rows: X row for time t = [x_t, x_{t-1}, ..., x_{t-L+1}], y = x_{t+1}.
void lagged(const Matrix& panel, const std::vector<std::string>& names, std::size_t L, TrainData& d) {
  const std::size_t T = panel.rows(), k = panel.cols();
  if (L < 1 || L > 60) fail(ErrorCode::invalid_argument, "lags", "must be in [1, 60], not {}", L);
  if (T < L + 10) fail(ErrorCode::invalid_argument, "panel", "needs at least {} rows for {} lags, got {}", L + 10, L, T);
  if (!names.empty() && names.size() != k) fail(ErrorCode::dimension_mismatch, "names", "{} names for {} columns", names.size(), k);
  const std::size_t rows = T - L;
  d.X = Matrix(rows, k * L);
  d.y = Matrix(rows, k);
  for (std::size_t r = 0; r < rows; ++r) {
    const std::size_t t = r + L - 1;
    for (std::size_t l = 0; l < L; ++l)
      for (std::size_t j = 0; j < k; ++j) d.X(r, l * k + j) = panel(t - l, j);
    for (std::size_t j = 0; j < k; ++j) d.y(r, j) = panel(t + 1, j);
  }
  const auto col = [&](std::size_t j) { return names.empty() ? "x" + std::to_string(j) : names[j]; };
  for (std::size_t l = 0; l < L; ++l)
    for (std::size_t j = 0; j < k; ++j) d.feature_names.push_back(col(j) + "_lag" + std::to_string(l));
  for (std::size_t j = 0; j < k; ++j) d.output_names.push_back(col(j));
}

}  // namespace

Model train_preset(const std::string& id, Preset p, const PresetData& in, TrainOptions o) {
  TrainData d;
  const bool given = in.X.rows() > 0;
  switch (p) {
    case Preset::price_prediction:
    case Preset::risk_prediction: {
      if (given) {
        d.X = in.X, d.y = in.y, d.feature_names = in.feature_names;
      } else {
        std::vector<std::string> names;
        const Matrix f = in.factors.empty() ? price_features(in.close, &names) : factor_features(in, &names);
        const std::size_t T = in.close.size(), warm = T - f.rows();
        const std::size_t H = p == Preset::risk_prediction ? std::size_t(in.horizon) : 1;
        if (p == Preset::risk_prediction && !(in.horizon >= 1 && in.horizon <= 250)) fail(ErrorCode::invalid_argument, "horizon", "must be in [1, 250]");
        if (p == Preset::risk_prediction && !(in.threshold > 0 && in.threshold < 1)) fail(ErrorCode::invalid_argument, "threshold", "must be in (0, 1)");
        if (f.rows() <= H + 10) fail(ErrorCode::invalid_argument, "close", "too short for the horizon");
        const std::size_t rows = f.rows() - H;  // the last H rows have no target yet
        d.X = Matrix(rows, f.cols());
        d.y = Matrix(rows, 1);
        for (std::size_t r = 0; r < rows; ++r) {
          const std::size_t t = r + warm;
          for (std::size_t j = 0; j < f.cols(); ++j) d.X(r, j) = f(r, j);
          if (p == Preset::price_prediction) {
            d.y(r, 0) = in.close[t + 1] / in.close[t] - 1;
          } else {
            double low = in.close[t];
            for (std::size_t k = 1; k <= H; ++k) low = std::min(low, in.close[t + k]);
            d.y(r, 0) = low / in.close[t] - 1 < -in.threshold ? 1 : 0;
          }
        }
        d.feature_names = names;
      }
      if (p == Preset::risk_prediction) {
        if (o.objective.empty()) o.objective = "binary:logistic";
        d.class_names = {"no_drawdown", "drawdown"};
      }
      break;
    }
    case Preset::regime_detection:
      d.returns = in.returns;
      if (o.params.empty()) o.params.emplace_back("states", 3);
      break;
    case Preset::volatility_forecasting: d.returns = in.returns; break;
    case Preset::factor_prediction:
    case Preset::portfolio_optimization: lagged(in.panel, in.names, std::size_t(in.lags), d); break;
    case Preset::sentiment_analysis: d.texts = in.texts, d.labels = in.labels; break;
    case Preset::anomaly_detection: d.X = in.X, d.feature_names = in.feature_names; break;
  }
  double risk_aversion = 2;
  if (p == Preset::portfolio_optimization) {  // the optimiser's setting, not the regression's
    for (auto it = o.params.begin(); it != o.params.end();)
      if (it->first == "risk_aversion") risk_aversion = it->second, it = o.params.erase(it);
      else ++it;
    if (!(risk_aversion > 0)) fail(ErrorCode::invalid_argument, "params.risk_aversion", "must be > 0");
  }
  Model m = train_model(id, preset_kind(p), d, o);
  m.preset = kPresetNames.name(p);
  if (p == Preset::portfolio_optimization) {
    // Σ from the rows the regression was fitted on (the hold-out stays unseen).
    double train_rows = 0;
    for (const auto& [k, v] : m.metrics)
      if (k == "train_rows") train_rows = v;
    const std::size_t fit = std::size_t(train_rows) + std::size_t(in.lags), N = in.panel.cols();
    const Matrix sigma = accel::covariance(MatrixView{in.panel.flat().data(), std::min(fit, in.panel.rows()), N, N});
    m.covariance.assign(sigma.flat().begin(), sigma.flat().end());
    m.risk_aversion = risk_aversion;
    m.train_config.emplace_back("risk_aversion", risk_aversion);
  }
  if (p == Preset::regime_detection) {
    const auto& h = std::get<GaussianHmm>(m.body);
    m.classes = h.states == 3 ? std::vector<std::string>{"bear", "sideways", "bull"} : default_names(h.states, "state");
  }
  return m;
}

}  // namespace sextant::ml
