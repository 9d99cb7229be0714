// ML engine HTTP adapter: the registry's routes, training, single and batch prediction.
#include <chrono>
#include <cmath>

#include "sextant/analytics/returns.hpp"
#include "sextant/core/base64.hpp"
#include "sextant/core/error.hpp"
#include "sextant/bus/codec.hpp"
#include "sextant/ml/live.hpp"
#include "sextant/ml/registry.hpp"
#include "sextant/ml/train.hpp"
#include "sextant/service/engine.hpp"
#include "sextant/service/fields.hpp"
#include "sextant/service/route.hpp"
#include "sextant/service/store.hpp"

namespace sextant::ml {
namespace {

using net::JsonWriter;
using net::Request;
using service::Fields;
using service::Reply;
namespace od = net::od;

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

void write_named(JsonWriter& w, std::string_view key, const NamedValues& v) {
  w.key(key).begin_object();
  for (const auto& [k, x] : v) w.field(k, x);
  w.end_object();
}

void write_summary(JsonWriter& w, const Model& m) {
  w.field("id", m.id).field("kind", kKindNames.name(m.kind));
  if (!m.preset.empty()) w.field("preset", m.preset);
  w.field("input", kInputFormNames.name(input_form(m.kind)));
  if (input_form(m.kind) == InputForm::vector) w.key("feature_names").array(m.feature_names);
  if (!m.classes.empty()) w.key("classes").array(m.classes);
  if (!m.outputs.empty()) w.key("outputs").array(m.outputs);
  write_named(w, "metrics", m.metrics);
  write_named(w, "params", m.params);
  w.field("created_ns", m.created_ns);
}

// Everything a training request may carry; a kind or preset reads what it needs.
struct TrainInput {
  PresetData p;
  std::vector<double> y;
  Matrix Y;
  std::vector<std::string> output_names, classes;
  std::vector<std::string> symbols;  //!< with bars: read the market data store (service/store.hpp)
  std::optional<std::int64_t> bars;
};

void declare_train(Fields& f, TrainInput& t) {
  f.opt("X", t.p.X, net::Nulls::as_nan).opt("y", t.y).opt("Y", t.Y).opt("feature_names", t.p.feature_names);
  f.opt("output_names", t.output_names).opt("classes", t.classes);
  f.opt("returns", t.p.returns).opt("close", t.p.close).opt("factors", t.p.factors).opt("open", t.p.open).opt("high", t.p.high);
  f.opt("low", t.p.low).opt("volume", t.p.volume).opt("panel", t.p.panel).opt("names", t.p.names);
  f.opt("texts", t.p.texts).opt("labels", t.p.labels);
  f.opt("horizon", t.p.horizon).opt("threshold", t.p.threshold).opt("lags", t.p.lags);
  f.opt("symbols", t.symbols).opt("bars", t.bars, service::IntRange{2, service::kMaxStoreBars});
}

// {"symbols":[...],"bars":N} in "train": the last N + 1 common bars of the store. One symbol gives its
// OHLCV series and their simple returns (the price, risk, regime and volatility presets); any number
// gives the panel of simple returns named by the symbols (the factor and portfolio presets).
void read_store(TrainInput& t, const data::BarStore& store) {
  if (!t.bars) {
    if (!t.symbols.empty()) fail(ErrorCode::invalid_argument, "train.bars", "'symbols' reads the market data store: give 'bars' too");
    return;
  }
  const PresetData& p = t.p;
  if (p.X.rows() || !p.close.empty() || !p.returns.empty() || p.panel.rows() || !p.open.empty() || !p.high.empty() ||
      !p.low.empty() || !p.volume.empty())
    fail(ErrorCode::invalid_argument, "train.bars", "'bars' reads the market data store: send it instead of X, prices, returns or a panel");
  data::BarWindow w;
  try {
    w = service::store_window(store, t.symbols, *t.bars);
  } catch (const Error& e) {
    throw Error(e.code(), e.what(), "train." + e.field());  // the fields sit inside "train"
  }
  t.p.panel = analytics::returns_from_prices(w.close.view(), analytics::ReturnsType::simple);
  t.p.names = t.symbols;
  if (t.symbols.size() == 1) {
    const auto column = [](const Matrix& m) { return std::vector<double>(m.flat().begin(), m.flat().end()); };
    t.p.open = column(w.open), t.p.high = column(w.high), t.p.low = column(w.low), t.p.close = column(w.close), t.p.volume = column(w.volume);
    t.p.returns = column(t.p.panel);
  }
}

TrainData to_train_data(TrainInput& t) {
  TrainData d;
  d.X = std::move(t.p.X);
  if (!t.y.empty() && t.Y.rows() > 0) fail(ErrorCode::invalid_argument, "Y", "give y (one target) or Y (several), not both");
  if (!t.y.empty()) {
    d.y = Matrix(t.y.size(), 1);
    std::copy(t.y.begin(), t.y.end(), d.y.flat().begin());
  } else {
    d.y = std::move(t.Y);
  }
  d.feature_names = std::move(t.p.feature_names);
  d.output_names = std::move(t.output_names);
  d.class_names = std::move(t.classes);
  d.returns = std::move(t.p.returns);
  d.texts = std::move(t.p.texts);
  d.labels = std::move(t.p.labels);
  return d;
}

struct TrainRequest {
  TrainInput input;
  std::vector<std::pair<std::string, double>> params;
  std::string objective;
  double holdout = 0.2;
  bool has_train = false;
};

void declare_options(Fields& f, TrainRequest& r) {
  f.object("train", [&r](Fields& t) { declare_train(t, r.input); });
  f.opt("params", r.params).opt("objective", r.objective).opt("holdout", r.holdout);
}

TrainOptions options_of(const TrainRequest& r) {
  TrainOptions o;
  o.params = r.params;
  o.objective = r.objective;
  o.holdout = r.holdout;
  return o;
}

Model train_from(const std::string& id, std::optional<Kind> kind, std::optional<Preset> preset, TrainRequest& r) {
  if (preset) {
    PresetData p = std::move(r.input.p);
    if (!r.input.y.empty()) {
      p.y = Matrix(r.input.y.size(), 1);
      std::copy(r.input.y.begin(), r.input.y.end(), p.y.flat().begin());
    }
    return train_preset(id, *preset, p, options_of(r));
  }
  TrainData d = to_train_data(r.input);
  return train_model(id, *kind, d, options_of(r));
}

// POST /models
void create_route(const Request& req, Reply& out, Registry& reg, const data::BarStore& store) {
  std::string id, model_base64, model_json;
  std::optional<Kind> kind;
  std::optional<Preset> preset;
  std::vector<std::string> feature_names, classes;
  TrainRequest tr;
  Fields f;
  f.req("id", id).opt("kind", kind, kKindNames).opt("preset", preset, kPresetNames).opt("model_base64", model_base64);
  f.add("model", [&model_json](od::value v, const std::string& field) {
    std::string_view raw;
    if (v.type().value_unsafe() != od::json_type::object || simdjson::to_json_string(v).get(raw))
      fail(ErrorCode::invalid_argument, field, "must be an XGBoost model as a JSON object");
    model_json = std::string(raw);
  });
  f.opt("feature_names", feature_names).opt("classes", classes);
  declare_options(f, tr);
  f.read(req, "/models");
  Registry::check_id(id);
  const bool upload = f.has("model") || f.has("model_base64");
  if (upload && f.has("train")) fail(ErrorCode::invalid_argument, "train", "give a model to load or data to train on, not both");
  if (!upload && !f.has("train")) fail(ErrorCode::invalid_argument, "train", "give \"model\" / \"model_base64\" to load, or \"train\" data");
  if (preset && kind && *kind != preset_kind(*preset))
    fail(ErrorCode::invalid_argument, "kind", "preset {} trains a {} model, not {}", kPresetNames.name(*preset), kKindNames.name(preset_kind(*preset)),
         kKindNames.name(*kind));
  if (!preset && !kind) fail(ErrorCode::invalid_argument, "kind", "give a kind ({}) or a preset ({})", kKindNames.list(), kPresetNames.list());
  if (!upload && (f.has("feature_names") || f.has("classes")))
    fail(ErrorCode::invalid_argument, f.has("feature_names") ? "feature_names" : "classes", "name training columns and classes inside \"train\"");
  read_store(tr.input, store);
  if (reg.contains(id))  // before training, which may take a while (put checks again, under its lock)
    fail(ErrorCode::invalid_argument, "id", "model '{}' exists: DELETE /models/{} first, or POST /models/{}/train to retrain it", id, id, id);
  Model m;
  if (upload) {
    if (kind != Kind::xgboost || preset) fail(ErrorCode::invalid_argument, "kind", "only xgboost models are loaded from a file; other kinds train from \"train\"");
    std::string file = model_json;
    if (f.has("model_base64")) {
      const auto n = base64_decoded_size(model_base64);
      if (!n) fail(ErrorCode::invalid_argument, "model_base64", "is not padded base64");
      file.assign(*n, '\0');
      if (base64_decode(model_base64, reinterpret_cast<unsigned char*>(file.data())) != std::string_view::npos)
        fail(ErrorCode::invalid_argument, "model_base64", "is not base64");
    }
    Forest forest = load_xgboost(file, f.has("model") ? "model" : "model_base64");
    m.id = id, m.kind = Kind::xgboost;
    m.feature_names = !feature_names.empty() ? feature_names : forest.feature_names;
    if (m.feature_names.empty())
      for (std::size_t j = 0; j < forest.num_features; ++j) m.feature_names.push_back("f" + std::to_string(j));
    if (m.feature_names.size() != forest.num_features)
      fail(ErrorCode::dimension_mismatch, "feature_names", "{} names for a model of {} features", m.feature_names.size(), forest.num_features);
    if (forest.classifier()) {
      const std::size_t k = forest.link == Link::sigmoid ? 2 : forest.num_class;
      if (!classes.empty() && classes.size() != k) fail(ErrorCode::dimension_mismatch, "classes", "{} names for {} classes", classes.size(), k);
      for (std::size_t c = 0; c < k; ++c) m.classes.push_back(classes.empty() ? std::to_string(c) : classes[c]);
    }
    m.importance = forest.importance();
    m.params = {{"trees", double(forest.roots.size())}, {"num_features", double(forest.num_features)}};
    m.metrics = {};
    m.body = XgboostBody{std::move(forest), std::move(file)};
  } else {
    m = train_from(id, kind, preset, tr);
  }
  m.created_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  auto shared = std::make_shared<const Model>(std::move(m));
  reg.put(shared, false);
  out.status = 201;
  write_summary(out.json, *shared);
}

// POST /models/{id}/train: the same kind (and preset) on new data.
void retrain_route(const Request& req, Reply& out, Registry& reg, const data::BarStore& store) {
  const std::string id(req.param("id"));
  const auto old = reg.get(id);
  TrainRequest tr;
  Fields f;
  declare_options(f, tr);
  f.read(req, "/models/{id}/train");
  if (!f.has("train")) fail(ErrorCode::invalid_argument, "train", "is required: the data to train on");
  read_store(tr.input, store);
  // Unless the request says otherwise, train as before.
  if (!f.has("holdout"))
    for (const auto& [k, v] : old->train_config)
      if (k == "holdout") tr.holdout = v;
  if (!f.has("params"))
    for (const auto& [k, v] : old->train_config)
      if (k != "holdout") tr.params.emplace_back(k, v);
  if (tr.objective.empty() && old->kind == Kind::xgboost) tr.objective = std::get<XgboostBody>(old->body).forest.objective;
  std::optional<Preset> preset;
  if (!old->preset.empty()) preset = kPresetNames.parse(old->preset, "preset");
  Model m = train_from(id, old->kind, preset, tr);
  m.created_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  auto shared = std::make_shared<const Model>(std::move(m));
  reg.put(shared, true);
  write_summary(out.json, *shared);
}

// A vector input: an array of width() numbers (null = missing), or {name: value} with every feature.
std::vector<double> read_row(od::value v, const std::string& field, const Model& m) {
  std::vector<double> row;
  if (v.type().value_unsafe() == od::json_type::object) {
    row.assign(m.width(), NAN);
    std::vector<char> seen(m.width(), 0);
    for (auto kv : net::read_object(v, field)) {
      const std::string name(kv.unescaped_key().value_unsafe());
      const auto at = std::find(m.feature_names.begin(), m.feature_names.end(), name);
      if (at == m.feature_names.end()) fail(ErrorCode::invalid_argument, field + "." + name, "model '{}' has no feature '{}'", m.id, name);
      const std::size_t j = std::size_t(at - m.feature_names.begin());
      row[j] = kv.value().is_null().value_unsafe() ? NAN : net::read_number(kv.value().value_unsafe(), field + "." + name);
      seen[j] = 1;
    }
    for (std::size_t j = 0; j < m.width(); ++j)
      if (!seen[j]) fail(ErrorCode::invalid_argument, field + "." + m.feature_names[j], "the feature '{}' is missing", m.feature_names[j]);
  } else {
    row = net::read_vector(v, field, net::Nulls::as_nan);
    if (row.size() != m.width())
      fail(ErrorCode::dimension_mismatch, field, "model '{}' takes {} features ({}...), got {}", m.id, m.width(), m.feature_names.front(), row.size());
  }
  return row;
}

void check_missing(const Model& m, const double* x, std::size_t rows, const char* field) {
  if (m.accepts_missing()) return;
  for (std::size_t i = 0; i < rows * m.width(); ++i)
    if (!std::isfinite(x[i]))
      fail(ErrorCode::non_finite, rows == 1 && std::string_view(field) == "input" ? fmt::format("input[{}]", i) : fmt::format("{}[{}][{}]", field, i / m.width(), i % m.width()),
           "model '{}' ({}) does not accept missing or non-finite values", m.id, kKindNames.name(m.kind));
}

void write_prediction(JsonWriter& w, const Model& m, const Prediction& p) {
  w.field("prediction", p.value);
  if (!p.probabilities.empty()) w.key("probabilities").array(p.probabilities).key("classes").array(m.classes);
  if (!p.values.empty()) w.key("values").array(p.values).key("outputs").array(m.outputs);
  if (!p.forecast.empty()) w.key("forecast").array(p.forecast);
  if (!p.weights.empty()) w.key("weights").array(p.weights);
}

// A JSON value kept as text while the model it is read against was looked up, parsed again.
class Reparsed {
 public:
  explicit Reparsed(const std::string& raw) : text_("[" + raw + "]") {
    if (parser_.iterate(text_).get(doc_) || doc_.get_array().get(array_)) fail(ErrorCode::invalid_json, "input", "cannot be read");
  }
  od::value value() {
    od::value v;
    for (auto e : array_) {
      if (e.get(v)) fail(ErrorCode::invalid_json, "input", "cannot be read");
      break;
    }
    return v;
  }

 private:
  simdjson::padded_string text_;
  od::parser parser_;
  od::document doc_;
  od::array array_;
};

// POST /predict
void predict_route(const Request& req, Reply& out, Registry& reg) {
  std::string id, input_raw;
  std::size_t horizon = 0;
  Fields f;
  // The input is read against the model, and a body may put it before model_id: keep its text.
  f.req("model_id", id).opt("horizon", horizon, service::IntRange{0, 10000});
  f.add("input", [&](od::value v, const std::string&) {
    std::string_view raw;
    if (simdjson::to_json_string(v).get(raw)) fail(ErrorCode::invalid_json, "input", "cannot be read");
    input_raw = std::string(raw);
  }, true);
  f.read(req, "/predict");
  const auto m = reg.get(id);
  Reparsed in(input_raw);
  od::value v = in.value();
  const auto t0 = std::chrono::steady_clock::now();
  Prediction p;
  switch (input_form(m->kind)) {
    case InputForm::vector: {
      const auto row = read_row(v, "input", *m);
      check_missing(*m, row.data(), 1, "input");
      p = predict_vector(*m, row);
      break;
    }
    case InputForm::series: {
      const auto series = net::read_vector(v, "input");
      p = predict_series(*m, series, horizon);
      break;
    }
    case InputForm::text: p = predict_text(*m, net::read_string(v, "input")); break;
  }
  const double seconds = ms_since(t0) / 1e3;
  reg.record(id, 1, seconds);
  out.json.field("model_id", id);
  write_prediction(out.json, *m, p);
  out.json.field("inference_time_ms", seconds * 1e3);
}

// POST /predict-batch
void predict_batch_route(const Request& req, Reply& out, Registry& reg) {
  std::string id, inputs_raw;
  std::size_t horizon = 0;
  Fields f;
  f.req("model_id", id).opt("horizon", horizon, service::IntRange{0, 10000});
  f.add("inputs", [&](od::value v, const std::string&) {
    std::string_view raw;
    if (simdjson::to_json_string(v).get(raw)) fail(ErrorCode::invalid_json, "inputs", "cannot be read");
    inputs_raw = std::string(raw);
  }, true);
  f.read(req, "/predict-batch");
  const auto m = reg.get(id);
  Reparsed in(inputs_raw);
  od::value v = in.value();
  std::size_t rows = 0;
  std::vector<double> values, probs;
  std::vector<Prediction> each;
  double seconds = 0;
  const InputForm form = input_form(m->kind);
  if (form == InputForm::vector) {
    Matrix x;
    if (v.type().value_unsafe() == od::json_type::array) {
      // Rows as arrays (or {name: value} objects), or a base64 matrix object.
      std::vector<double> flat;
      std::size_t i = 0;
      for (auto e : net::read_array(v, "inputs")) {
        const auto r = read_row(e.value_unsafe(), fmt::format("inputs[{}]", i++), *m);
        flat.insert(flat.end(), r.begin(), r.end());
      }
      rows = i;
      x = Matrix(rows, m->width());
      std::copy(flat.begin(), flat.end(), x.flat().begin());
    } else {
      x = net::read_matrix(v, "inputs", net::Nulls::as_nan);
      rows = x.rows();
      if (x.cols() != m->width())
        fail(ErrorCode::dimension_mismatch, "inputs", "model '{}' takes {} features, the matrix has {} columns", m->id, m->width(), x.cols());
    }
    if (rows == 0) fail(ErrorCode::invalid_argument, "inputs", "needs at least one row");
    check_missing(*m, x.flat().data(), rows, "inputs");
    const auto t0 = std::chrono::steady_clock::now();
    predict_rows(*m, x.flat().data(), rows, values, probs);
    seconds = ms_since(t0) / 1e3;
  } else {
    std::size_t i = 0;
    const auto t0 = std::chrono::steady_clock::now();
    for (auto e : net::read_array(v, "inputs")) {
      const std::string field = fmt::format("inputs[{}]", i++);
      if (form == InputForm::series) each.push_back(predict_series(*m, net::read_vector(e.value_unsafe(), field), horizon));
      else each.push_back(predict_text(*m, net::read_string(e.value_unsafe(), field)));
    }
    seconds = ms_since(t0) / 1e3;
    rows = each.size();
    if (rows == 0) fail(ErrorCode::invalid_argument, "inputs", "needs at least one input");
  }
  reg.record(id, rows, seconds);
  out.json.field("model_id", id).field("rows", std::uint64_t(rows));
  out.json.key("predictions").begin_array();
  const std::size_t nv = std::max<std::size_t>(1, m->outputs.size()), nc = m->classes.size();
  for (std::size_t r = 0; r < rows; ++r) out.json.value(form == InputForm::vector ? values[r * nv] : each[r].value);
  out.json.end_array();
  if (nc > 0) {
    out.json.key("probabilities").begin_array();
    for (std::size_t r = 0; r < rows; ++r)
      out.json.array(form == InputForm::vector ? std::span<const double>(&probs[r * nc], nc) : std::span<const double>(each[r].probabilities));
    out.json.end_array().key("classes").array(m->classes);
  }
  if (m->outputs.size() > 1) {
    out.json.key("values").begin_array();
    for (std::size_t r = 0; r < rows; ++r) out.json.array(std::span<const double>(&values[r * nv], nv));
    out.json.end_array().key("outputs").array(m->outputs);
  }
  if (form == InputForm::series && horizon > 0) {
    out.json.key("forecasts").begin_array();
    for (const auto& p : each) out.json.array(p.forecast);
    out.json.end_array();
  }
  out.json.field("inference_time_ms", seconds * 1e3).field("throughput_per_s", seconds > 0 ? double(rows) / seconds : 0.0);
}

void metrics_route(const Request& req, Reply& out, const Registry& reg) {
  const std::string id(req.param("id"));
  const auto m = reg.get(id);
  write_summary(out.json, *m);
  if (!m->importance.empty()) {
    out.json.key("importance").begin_object();
    for (std::size_t j = 0; j < m->importance.size() && j < m->feature_names.size(); ++j) out.json.field(m->feature_names[j], m->importance[j]);
    out.json.end_object();
    out.json.field("importance_type", m->kind == Kind::xgboost ? "gain" : "standardised_coefficient");
  }
  ServingStats s = reg.stats(id);
  out.json.key("serving").begin_object().field("requests", s.requests).field("rows", s.rows);
  if (!s.recent_us.empty()) {
    std::vector<double> v = s.recent_us;
    std::sort(v.begin(), v.end());
    auto q = [&](double p) { return v[std::min(v.size() - 1, std::size_t(p * double(v.size())))]; };
    double mean = 0;
    for (double x : v) mean += x;
    out.json.field("latency_p50_us", q(0.5)).field("latency_p99_us", q(0.99)).field("latency_mean_us", mean / double(v.size()));
    out.json.field("throughput_rows_per_s", s.busy_s > 0 ? double(s.rows) / s.busy_s : 0.0);
  }
  out.json.end_object();
}

}  // namespace

void register_engine(service::EngineContext& ctx) {
  using service::json_route;
  using service::Stamp;
  const std::filesystem::path dir = ctx.config.models_dir.empty() ? default_models_dir() : std::filesystem::path(ctx.config.models_dir);
  auto reg = std::make_shared<Registry>(dir);
  for (const auto& s : reg->skipped()) fmt::print(stderr, "sextant: ml: skipped model file {}\n", s);

  // Live: regime and volatility forecasts for the universe on ml.forecasts.
  auto publisher = std::make_shared<bus::BusPublisher>(ctx.bus, std::string(ctx.name));
  auto live = std::make_shared<LiveForecast>(LiveForecastConfig{}, *ctx.stores.bars, *publisher);
  ctx.bus->subscribe(std::string(bus::patterns::all_bars), [live, publisher](const bus::Envelope& e) {
    try {
      live->on_bar(std::get<bus::MarketBar>(bus::decode(e)));
    } catch (const Error&) {
    }
  });
  ctx.routes.add("GET", "/ml/live", json_route([live](const Request&, Reply& out) {
    const auto s = live->stats();
    out.json.field("rows", s.rows).field("forecasts", s.forecasts).field("failures", s.failures);
  }, Stamp::no), net::Lane::io);
  ctx.routes.add("GET", "/models", json_route([reg](const Request&, Reply& out) {
    out.json.key("models").begin_array();
    const auto all = reg->list();
    for (const auto& m : all) {
      out.json.begin_object();
      write_summary(out.json, *m);
      out.json.end_object();
    }
    out.json.end_array().field("count", std::uint64_t(all.size())).field("models_dir", reg->dir().string());
    out.json.key("skipped").array(reg->skipped());
  }, Stamp::no));
  ctx.routes.add("POST", "/models", json_route([reg, bars = ctx.stores.bars](const Request& req, Reply& out) { create_route(req, out, *reg, *bars); }));
  ctx.routes.add("GET", "/models/{id}", json_route([reg](const Request& req, Reply& out) { write_summary(out.json, *reg->get(std::string(req.param("id")))); }, Stamp::no));
  ctx.routes.add("DELETE", "/models/{id}", json_route([reg](const Request& req, Reply& out) {
    const std::string id(req.param("id"));
    reg->remove(id);
    out.json.field("deleted", id);
  }, Stamp::no));
  ctx.routes.add("POST", "/models/{id}/train",
                 json_route([reg, bars = ctx.stores.bars](const Request& req, Reply& out) { retrain_route(req, out, *reg, *bars); }));
  ctx.routes.add("GET", "/models/{id}/metrics", json_route([reg](const Request& req, Reply& out) { metrics_route(req, out, *reg); }, Stamp::no));
  ctx.routes.add("POST", "/predict", json_route([reg](const Request& req, Reply& out) { predict_route(req, out, *reg); }));
  ctx.routes.add("POST", "/predict-batch", json_route([reg](const Request& req, Reply& out) { predict_batch_route(req, out, *reg); }));
}

}  // namespace sextant::ml
