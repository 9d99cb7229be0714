// Prediction for every kind, and the model file (save_model / load_model).
#include "sextant/ml/model.hpp"

#include <tbb/parallel_for.h>

#include <cmath>

#include "doc.hpp"
#include "sextant/core/base64.hpp"
#include "sextant/core/error.hpp"
#include "sextant/core/overload.hpp"
#include "sextant/portfolio/optimize.hpp"

namespace sextant::ml {
namespace {

[[noreturn]] void wrong_form(const Model& m, const char* form) {
  fail(ErrorCode::invalid_argument, "input", "model '{}' ({}) takes a {}, not a {}", m.id, kKindNames.name(m.kind),
       kInputFormNames.name(input_form(m.kind)), form);
}

// GARCH's conditional variance after a series (fGarch's start: the mean of z² for z²_0 and h_0).
double garch_filter(const Garch& g, std::span<const double> r, double& last_z) {
  double m2 = 0;
  for (double v : r) m2 += (v - g.mean) * (v - g.mean);
  m2 /= double(r.size());
  double prev = m2, h = m2;
  for (double v : r) {
    h = g.omega + g.alpha1 * prev + g.beta1 * h;
    prev = (v - g.mean) * (v - g.mean);
  }
  last_z = r.back() - g.mean;
  return h;
}

}  // namespace

InputForm input_form(Kind k) {
  switch (k) {
    case Kind::gaussian_hmm:
    case Kind::garch:
    case Kind::ewma: return InputForm::series;
    case Kind::text_logistic: return InputForm::text;
    default: return InputForm::vector;
  }
}

void predict_rows(const Model& m, const double* x, std::size_t rows, std::vector<double>& values, std::vector<double>& probs) {
  if (input_form(m.kind) != InputForm::vector) wrong_form(m, "vector");
  const std::size_t d = m.width(), nv = std::max<std::size_t>(1, m.outputs.size()), nc = m.classes.size();
  values.assign(rows * nv, 0.0);
  probs.assign(rows * nc, 0.0);
  if (const auto* xb = std::get_if<XgboostBody>(&m.body)) {
    // float32 features, as XGBoost reads them; converted a block at a time.
    const Forest& f = xb->forest;
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, rows, 1024), [&](const auto& r) {
      std::vector<float> xf((r.end() - r.begin()) * d);
      for (std::size_t i = 0; i < xf.size(); ++i) xf[i] = float(x[r.begin() * d + i]);
      std::vector<double> out((r.end() - r.begin()) * f.width());
      predict(f, xf.data(), r.end() - r.begin(), d, out.data());
      for (std::size_t i = r.begin(); i < r.end(); ++i) {
        const double* o = &out[(i - r.begin()) * f.width()];
        if (f.link == Link::softprob) {
          std::copy(o, o + nc, &probs[i * nc]);
          values[i] = double(std::max_element(o, o + nc) - o);
        } else {
          values[i] = o[0];
          if (f.link == Link::sigmoid) probs[i * 2] = 1 - o[0], probs[i * 2 + 1] = o[0];
        }
      }
    });
    return;
  }
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, rows, 256), [&](const auto& r) {
    for (std::size_t i = r.begin(); i < r.end(); ++i) {
      const double* row = x + i * d;
      std::visit(Overload{[&](const LinearModel& lm) { predict_linear(lm, row, &values[i * nv]); },
                          [&](const LogisticModel& lg) {
                            logistic_probabilities(lg, row, &probs[i * nc]);
                            const double* p = &probs[i * nc];
                            values[i] = nc == 2 ? p[1] : double(std::max_element(p, p + nc) - p);
                          },
                          [&](const IsolationForest& f) { values[i] = isolation_score(f, row); },
                          [&](const auto&) {}},
                 m.body);
    }
  });
}

Prediction predict_vector(const Model& m, std::span<const double> row) {
  Prediction p;
  if (const auto* xb = std::get_if<XgboostBody>(&m.body)) {  // the single-row path: no threads, no allocation but the answer
    float xf[1024];
    std::vector<float> big;
    float* f = xf;
    if (row.size() > 1024) big.resize(row.size()), f = big.data();
    for (std::size_t j = 0; j < row.size(); ++j) f[j] = float(row[j]);
    p.probabilities.resize(m.classes.size());
    p.value = predict_one(xb->forest, f, p.probabilities.empty() ? nullptr : p.probabilities.data());
    return p;
  }
  std::vector<double> values;
  predict_rows(m, row.data(), 1, values, p.probabilities);
  p.value = values[0];
  if (m.outputs.size() > 1) p.values = values;
  if (!m.covariance.empty()) {
    portfolio::OptimizeInput in;
    in.mu = values;
    const std::size_t n = values.size();
    in.sigma = Matrix(n, n);
    std::copy(m.covariance.begin(), m.covariance.end(), in.sigma.flat().begin());
    in.objective = portfolio::Objective::max_utility;
    in.risk_aversion = m.risk_aversion;
    p.weights = portfolio::optimize(in).weights;
  }
  return p;
}

Prediction predict_series(const Model& m, std::span<const double> series, std::size_t horizon) {
  if (input_form(m.kind) != InputForm::series) wrong_form(m, "series");
  for (std::size_t i = 0; i < series.size(); ++i)
    if (!std::isfinite(series[i])) fail(ErrorCode::non_finite, fmt::format("input[{}]", i), "values must be finite");
  Prediction p;
  std::visit(Overload{[&](const GaussianHmm& h) {
                        if (series.empty()) fail(ErrorCode::invalid_argument, "input", "a regime model needs a series of returns");
                        const auto f = hmm_filter(h, series);
                        p.probabilities.assign(f.end() - long(h.states), f.end());
                        p.value = double(std::max_element(p.probabilities.begin(), p.probabilities.end()) - p.probabilities.begin());
                      },
                      [&](const Garch& g) {
                        Garch at = g;
                        if (!series.empty()) at.last_h = garch_filter(g, series, at.last_z);
                        const auto v = at.forecast_variance(std::max<std::size_t>(1, horizon));
                        for (double x : v) p.forecast.push_back(std::sqrt(x));
                        p.value = p.forecast[0];
                        if (horizon == 0) p.forecast.clear();
                      },
                      [&](const Ewma& e) {
                        double v = e.variance;
                        if (!series.empty()) v = fit_ewma(series, e.lambda, "input").variance;
                        p.value = std::sqrt(v);
                        p.forecast.assign(horizon, p.value);  // EWMA's forecast is flat
                      },
                      [&](const auto&) {}},
             m.body);
  return p;
}

Prediction predict_text(const Model& m, std::string_view text) {
  const auto* t = std::get_if<TextLogistic>(&m.body);
  if (!t) wrong_form(m, "text");
  Prediction p;
  p.probabilities.resize(t->labels.size());
  text_probabilities(*t, text, p.probabilities.data());
  p.value = double(std::max_element(p.probabilities.begin(), p.probabilities.end()) - p.probabilities.begin());
  return p;
}

// ---- the model file --------------------------------------------------------------------------------

namespace {

struct Writer {
  std::string s;
  bool first = true;
  void key(std::string_view k) {
    if (!first) s += ',';
    first = false;
    s += '"';
    s += k;
    s += "\":";
  }
  static void quoted(std::string& out, std::string_view v) {
    out += '"';
    for (char c : v) {
      if (c == '"' || c == '\\') out += '\\', out += c;
      else if (static_cast<unsigned char>(c) < 0x20) out += fmt::format("\\u{:04x}", int(c));
      else out += c;
    }
    out += '"';
  }
  static void number(std::string& out, double v) {
    if (std::isfinite(v)) out += fmt::format("{:.17g}", v);
    else out += "null";
  }
  Writer& str(std::string_view k, std::string_view v) { return key(k), quoted(s, v), *this; }
  Writer& num(std::string_view k, double v) { return key(k), number(s, v), *this; }
  template <class T>
  Writer& nums(std::string_view k, const std::vector<T>& v) {
    key(k);
    s += '[';
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (i) s += ',';
      number(s, double(v[i]));
    }
    s += ']';
    return *this;
  }
  Writer& strs(std::string_view k, const std::vector<std::string>& v) {
    key(k);
    s += '[';
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (i) s += ',';
      quoted(s, v[i]);
    }
    s += ']';
    return *this;
  }
  Writer& named(std::string_view k, const NamedValues& v) {
    key(k);
    s += '{';
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (i) s += ',';
      quoted(s, v[i].first);
      s += ':';
      number(s, v[i].second);
    }
    s += '}';
    return *this;
  }
};

struct Reader {
  const Doc& d;
  std::string field;
  const Doc& at(std::string_view k) const { return d.at(k, field); }
  double num(std::string_view k) const { return at(k).type == Doc::Type::null ? NAN : at(k).number(field + "." + std::string(k)); }
  std::vector<double> nums(std::string_view k) const {
    std::vector<double> v;
    for (const Doc& x : at(k).array(field)) v.push_back(x.type == Doc::Type::null ? NAN : x.number(field));
    return v;
  }
  std::vector<std::string> strs(std::string_view k) const {
    std::vector<std::string> v;
    for (const Doc& x : at(k).array(field)) v.push_back(x.s);
    return v;
  }
  //! A whole number in [0, max]; anything else is a malformed file, never an out-of-range cast.
  std::size_t count(std::string_view k, double max) const {
    const double v = num(k);
    if (!(v >= 0 && v <= max && v == std::floor(v)))
      fail(ErrorCode::invalid_argument, field, "the model file is inconsistent: {} must be a whole number in [0, {}]", k, max);
    return std::size_t(v);
  }
  std::vector<std::uint32_t> indices(std::string_view k, double max) const {
    std::vector<std::uint32_t> out;
    for (double v : nums(k)) {
      if (!(v >= -1 && v <= max && v == std::floor(v)))
        fail(ErrorCode::invalid_argument, field, "the model file is inconsistent: {} holds {} (whole numbers in [-1, {}])", k, v, max);
      out.push_back(std::uint32_t(std::int64_t(v)));  // -1 (a leaf's feature) wraps; read back through int32
    }
    return out;
  }
  NamedValues named(std::string_view k) const {
    NamedValues v;
    const Doc& o = at(k);
    for (std::size_t i = 0; i < o.keys.size(); ++i)
      v.emplace_back(o.keys[i], o.values[i].type == Doc::Type::null ? NAN : o.values[i].number(field));
    return v;
  }
};

void need(bool ok, std::string_view field, std::string_view what) {
  if (!ok) fail(ErrorCode::invalid_argument, std::string(field), "the model file is inconsistent: {}", what);
}

}  // namespace

std::string save_model(const Model& m) {
  Writer w;
  w.s = "{";
  w.str("format", "sextant-model").num("version", 1).str("id", m.id).str("kind", kKindNames.name(m.kind)).str("preset", m.preset);
  w.num("created_ns", double(m.created_ns)).strs("feature_names", m.feature_names).strs("classes", m.classes).strs("outputs", m.outputs);
  w.named("metrics", m.metrics).named("params", m.params).named("train_config", m.train_config).nums("importance", m.importance);
  w.nums("covariance", m.covariance).num("risk_aversion", m.risk_aversion);
  w.key("body");
  Writer b;
  b.s = "{";
  std::visit(Overload{[&](const XgboostBody& x) { b.str("xgboost_base64", base64_encode(x.file.data(), x.file.size())); },
                      [&](const LinearModel& l) {
                        b.num("features", double(l.features)).num("outputs", double(l.outputs)).num("lambda", l.lambda);
                        b.nums("coef", l.coef).nums("intercept", l.intercept).nums("feature_std", l.feature_std);
                      },
                      [&](const LogisticModel& l) {
                        b.num("features", double(l.features)).num("classes", double(l.classes)).num("lambda", l.lambda);
                        b.nums("mean", l.mean).nums("scale", l.scale).nums("weights", l.weights);
                      },
                      [&](const GaussianHmm& h) {
                        b.num("states", double(h.states)).nums("start", h.start).nums("transition", h.transition);
                        b.nums("mean", h.mean).nums("variance", h.variance).num("loglik", h.loglik);
                      },
                      [&](const Garch& g) {
                        b.num("omega", g.omega).num("alpha1", g.alpha1).num("beta1", g.beta1).num("loglik", g.loglik);
                        b.num("mean", g.mean).num("last_z", g.last_z).num("last_h", g.last_h).num("observations", double(g.observations));
                      },
                      [&](const Ewma& e) { b.num("lambda", e.lambda).num("variance", e.variance).num("observations", double(e.observations)); },
                      [&](const IsolationForest& f) {
                        std::vector<double> split, feature, left, right, size;
                        for (const auto& n : f.nodes)
                          split.push_back(n.split), feature.push_back(n.feature), left.push_back(n.left), right.push_back(n.right),
                              size.push_back(n.size);
                        b.num("features", double(f.features)).num("sample", double(f.sample)).num("seed", double(f.seed));
                        b.nums("roots", f.roots).nums("split", split).nums("feature", feature).nums("left", left).nums("right", right);
                        b.nums("size", size);
                      },
                      [&](const TextLogistic& t) {
                        b.num("dims", double(t.dims)).strs("labels", t.labels).num("lambda", t.model.lambda);
                        // Hashed weights are mostly zero: stored sparse, as (index, value) pairs.
                        std::vector<double> idx, val;
                        for (std::size_t i = 0; i < t.model.weights.size(); ++i)
                          if (t.model.weights[i] != 0) idx.push_back(double(i)), val.push_back(t.model.weights[i]);
                        b.nums("weight_index", idx).nums("weight_value", val);
                      }},
             m.body);
  b.s += '}';
  w.s += b.s;
  w.s += "}\n";
  return w.s;
}

Model load_model(std::string_view bytes, std::string_view field) {
  const Doc doc = parse_json_doc(bytes, field);
  const std::string f(field);
  const Reader r{doc, f};
  need(doc.type == Doc::Type::object && doc.find("format") && doc.at("format", f).s == "sextant-model", field, "not a Sextant model file");
  Model m;
  m.id = r.at("id").s;
  const auto kind = kKindNames.find(r.at("kind").s);
  need(kind.has_value(), field, "unknown kind");
  m.kind = *kind;
  m.preset = r.at("preset").s;
  m.created_ns = std::int64_t(r.count("created_ns", 9e18));
  m.feature_names = r.strs("feature_names");
  m.classes = r.strs("classes");
  m.outputs = r.strs("outputs");
  m.metrics = r.named("metrics");
  m.params = r.named("params");
  m.train_config = r.named("train_config");
  m.importance = r.nums("importance");
  if (doc.find("covariance")) m.covariance = r.nums("covariance");  // portfolio_optimization models only
  if (doc.find("risk_aversion")) m.risk_aversion = r.num("risk_aversion");
  const Reader b{r.at("body"), f + ".body"};
  switch (m.kind) {
    case Kind::xgboost: {
      const std::string& text = b.at("xgboost_base64").s;
      const auto n = base64_decoded_size(text);
      need(n.has_value(), field, "xgboost_base64 is not base64");
      std::string file(*n, '\0');
      need(base64_decode(text, reinterpret_cast<unsigned char*>(file.data())) == std::string_view::npos, field, "xgboost_base64 is not base64");
      Forest forest = load_xgboost(file, field);
      m.body = XgboostBody{std::move(forest), std::move(file)};
      break;
    }
    case Kind::linear:
    case Kind::multi_ridge: {
      LinearModel l;
      l.features = b.count("features", 1e7), l.outputs = b.count("outputs", 1e5), l.lambda = b.num("lambda");
      l.coef = b.nums("coef"), l.intercept = b.nums("intercept"), l.feature_std = b.nums("feature_std");
      need(l.coef.size() == l.features * l.outputs && l.intercept.size() == l.outputs && l.feature_std.size() == l.features, field,
           "coefficient shapes");
      m.body = std::move(l);
      break;
    }
    case Kind::logistic: {
      LogisticModel l;
      l.features = b.count("features", 1e7), l.classes = b.count("classes", 1000), l.lambda = b.num("lambda");
      l.mean = b.nums("mean"), l.scale = b.nums("scale"), l.weights = b.nums("weights");
      need(l.weights.size() == l.classes * (l.features + 1) && l.mean.size() == l.features && l.scale.size() == l.features, field,
           "weight shapes");
      m.body = std::move(l);
      break;
    }
    case Kind::gaussian_hmm: {
      GaussianHmm h;
      h.states = b.count("states", 10);
      h.start = b.nums("start"), h.transition = b.nums("transition"), h.mean = b.nums("mean"), h.variance = b.nums("variance");
      h.loglik = b.num("loglik");
      need(h.states >= 1 && h.start.size() == h.states && h.transition.size() == h.states * h.states && h.mean.size() == h.states &&
               h.variance.size() == h.states,
           field, "state shapes");
      m.body = std::move(h);
      break;
    }
    case Kind::garch: {
      Garch g;
      g.omega = b.num("omega"), g.alpha1 = b.num("alpha1"), g.beta1 = b.num("beta1"), g.loglik = b.num("loglik");
      g.mean = b.num("mean"), g.last_z = b.num("last_z"), g.last_h = b.num("last_h"), g.observations = b.count("observations", 1e12);
      g.converged = true;
      m.body = g;
      break;
    }
    case Kind::ewma: {
      Ewma e;
      e.lambda = b.num("lambda"), e.variance = b.num("variance"), e.observations = b.count("observations", 1e12);
      m.body = e;
      break;
    }
    case Kind::isolation_forest: {
      IsolationForest fo;
      fo.features = b.count("features", 1e7), fo.sample = b.count("sample", 1e9), fo.seed = b.count("seed", 9e15);
      fo.roots = b.indices("roots", 4e9);
      const auto split = b.nums("split");
      const auto feature = b.indices("feature", 1e7), left = b.indices("left", 4e9), right = b.indices("right", 4e9), size = b.indices("size", 4e9);
      need(feature.size() == split.size() && left.size() == split.size() && right.size() == split.size() && size.size() == split.size(),
           field, "node arrays");
      for (std::size_t i = 0; i < split.size(); ++i) {
        const std::int32_t f = std::int32_t(feature[i]);  // -1: a leaf
        need(f == -1 || (std::size_t(f) < fo.features && left[i] < split.size() && right[i] < split.size() && left[i] > i && right[i] > i),
             field, "node links");
        need(size[i] != UINT32_MAX, field, "leaf sizes");
        fo.nodes.push_back({split[i], f, left[i], right[i], size[i]});
      }
      for (auto root : fo.roots) need(root < fo.nodes.size(), field, "roots");
      m.body = std::move(fo);
      break;
    }
    case Kind::text_logistic: {
      TextLogistic t;
      t.dims = b.count("dims", double(std::size_t(1) << 22)), t.labels = b.strs("labels");
      need(t.dims >= 16 && t.dims <= (std::size_t(1) << 22) && t.labels.size() >= 2, field, "dims or labels");
      t.model.features = t.dims, t.model.classes = t.labels.size(), t.model.lambda = b.num("lambda");
      t.model.weights.assign(t.model.classes * (t.dims + 1), 0.0);
      const auto idx = b.nums("weight_index"), val = b.nums("weight_value");
      need(idx.size() == val.size(), field, "weights");
      for (std::size_t i = 0; i < idx.size(); ++i) {
        need(idx[i] >= 0 && idx[i] < double(t.model.weights.size()) && idx[i] == std::floor(idx[i]), field, "weight index");
        t.model.weights[std::size_t(idx[i])] = val[i];
      }
      m.body = std::move(t);
      break;
    }
  }
  if (input_form(m.kind) == InputForm::vector) {
    const std::size_t want = std::visit(Overload{[](const XgboostBody& x) { return x.forest.num_features; },
                                                 [](const LinearModel& l) { return l.features; },
                                                 [](const LogisticModel& l) { return l.features; },
                                                 [](const IsolationForest& fo) { return fo.features; }, [](const auto&) { return std::size_t(0); }},
                                        m.body);
    need(m.feature_names.size() == want, field, "feature names");
    need(m.covariance.empty() || m.covariance.size() == m.outputs.size() * m.outputs.size(), field, "covariance shape");
  }
  return m;
}

}  // namespace sextant::ml
