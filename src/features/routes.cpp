// Features engine HTTP adapter: GET /factors, POST /calculate-features, POST /factors/compile.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <map>

#include "sextant/core/error.hpp"
#include "sextant/features/catalogue.hpp"
#include "sextant/bus/codec.hpp"
#include "sextant/features/evaluate.hpp"
#include "sextant/features/live.hpp"
#include "sextant/service/engine.hpp"
#include "sextant/service/fields.hpp"
#include "sextant/service/route.hpp"

namespace sextant::features {
namespace {

using net::JsonWriter;
using net::Request;
using service::Fields;
using service::Reply;

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// GET /factors?family=&q=&offset=&limit=
void factors_route(const Request& req, Reply& out) {
  std::string family, q;
  std::size_t offset = 0, limit = 100;
  for (const auto& [k, v] : req.query_params()) {
    auto count = [&, &k = k, &v = v](std::size_t hi) {
      std::size_t n = 0;
      const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
      if (ec != std::errc() || end != v.data() + v.size() || n > hi)
        fail(ErrorCode::invalid_argument, k, "must be an integer in [0, {}], not '{}'", hi, net::clip(v, 40));
      return n;
    };
    if (k == "family") family = v;
    else if (k == "q") q = lower(v);
    else if (k == "offset") offset = count(std::size_t(1) << 40);
    else if (k == "limit") limit = count(10000);
    else fail(ErrorCode::invalid_argument, k, "unknown query parameter (family, q, offset and limit are)");
  }
  const auto families = family_counts();
  if (!family.empty() && std::none_of(families.begin(), families.end(), [&](const auto& f) { return f.first == family; }))
    fail(ErrorCode::invalid_argument, "family", "unknown family '{}'", net::clip(family, 60));

  auto matches = [&](const Factor& f) {
    if (!family.empty() && f.family != family) return false;
    if (q.empty()) return true;
    return lower(f.id).find(q) != std::string::npos || lower(f.expression).find(q) != std::string::npos ||
           lower(f.description).find(q) != std::string::npos;
  };
  JsonWriter& w = out.json;
  std::size_t count = 0;
  w.key("factors").begin_array();
  for_each_factor(family, [&](const Factor& f) {
    if (!matches(f)) return;
    if (count >= offset && count - offset < limit) {
      w.begin_object().field("id", std::string_view(f.id)).field("family", std::string_view(f.family));
      w.field("expression", std::string_view(f.expression)).field("description", std::string_view(f.description)).end_object();
    }
    ++count;
  });
  w.end_array().field("count", std::uint64_t(count)).field("offset", std::uint64_t(offset)).field("limit", std::uint64_t(limit));
  w.key("families").begin_object();
  for (const auto& [name, n] : families) w.field(name, std::uint64_t(n));
  w.end_object();
}

// One field of an instrument: numbers (null is a missing value, NaN), or strings (a group such as
// a sector, coded 0, 1, ... by first appearance across the request).
std::vector<double> read_field(net::od::value v, const std::string& field, std::map<std::string, double>& codes) {
  std::vector<double> out;
  std::size_t i = 0;
  for (auto e : net::read_array(v, field)) {
    net::od::value x = e.value();
    const std::string at = field + "[" + std::to_string(i++) + "]";
    if (x.is_null()) {
      out.push_back(NAN);
    } else if (x.type() == net::od::json_type::string) {
      const std::string s = net::read_string(x, at);
      out.push_back(codes.emplace(s, double(codes.size())).first->second);
    } else {
      out.push_back(net::read_number(x, at));
    }
  }
  return out;
}

struct PanelInput {
  FieldPanel panel;
  std::string shape_field;  // where the row count was set, for mismatch messages
};

// "market_data": {"SYM": {"close": [...], ...}, ...}: every field of every instrument the same length.
void read_market_data(net::od::value v, const std::string& field, PanelInput& in) {
  std::map<std::string, double> codes;
  std::vector<std::map<std::string, std::vector<double>>> per_instrument;
  for (auto inst : net::read_object(v, field)) {
    const std::string symbol(std::string_view(inst.unescaped_key()));
    const std::string prefix = field + "." + symbol;
    if (std::find(in.panel.instruments.begin(), in.panel.instruments.end(), symbol) != in.panel.instruments.end())
      fail(ErrorCode::invalid_argument, prefix, "instrument listed twice");
    auto& fields = per_instrument.emplace_back();
    in.panel.instruments.push_back(symbol);
    for (auto f : net::read_object(inst.value(), prefix)) {
      const std::string name(std::string_view(f.unescaped_key()));
      const std::string at = prefix + "." + name;
      auto values = read_field(f.value(), at, codes);
      if (in.shape_field.empty()) {
        in.panel.rows = values.size();
        in.shape_field = at;
      } else if (values.size() != in.panel.rows) {
        fail(ErrorCode::dimension_mismatch, at, "has {} values, but {} has {}: every series must have one length", values.size(),
             in.shape_field, in.panel.rows);
      }
      fields[name] = std::move(values);
    }
  }
  if (in.panel.instruments.empty()) fail(ErrorCode::invalid_argument, field, "must hold at least one instrument");
  const std::size_t N = in.panel.instruments.size(), T = in.panel.rows;
  if (T == 0) fail(ErrorCode::invalid_argument, field, "the series are empty");
  // Row-major panels; a field every instrument must supply.
  for (std::size_t j = 0; j < N; ++j)
    for (const auto& [name, values] : per_instrument[j]) {
      auto& dst = in.panel.fields[name];
      if (dst.empty()) dst.assign(T * N, NAN);
      for (std::size_t t = 0; t < T; ++t) dst[t * N + j] = values[t];
    }
  for (const auto& [name, values] : in.panel.fields)
    for (std::size_t j = 0; j < N; ++j)
      if (!per_instrument[j].count(name))
        fail(ErrorCode::invalid_argument, field + "." + in.panel.instruments[j] + "." + name,
             "missing: another instrument supplies {}, so each must", name);
}

// "panel": {"instruments": [...], "fields": {"close": matrix T×N (rows, data or data_base64)}}
void read_panel(net::od::value v, const std::string& field, PanelInput& in) {
  Fields f(field + ".");
  std::map<std::string, Matrix> matrices;
  f.req("instruments", in.panel.instruments);
  f.add("fields", [&](net::od::value fv, const std::string& ff) {
    for (auto m : net::read_object(fv, ff)) {
      const std::string name(std::string_view(m.unescaped_key()));
      matrices[name] = net::read_matrix(m.value(), ff + "." + name, net::Nulls::as_nan);
    }
  }, true);
  f.read(net::read_object(v, field), field);
  const std::size_t N = in.panel.instruments.size();
  if (N == 0) fail(ErrorCode::invalid_argument, field + ".instruments", "must list at least one instrument");
  for (auto& [name, m] : matrices) {
    const std::string at = field + ".fields." + name;
    if (m.cols() != N) fail(ErrorCode::dimension_mismatch, at, "has {} columns, one per instrument ({}) expected", m.cols(), N);
    if (in.shape_field.empty()) {
      in.panel.rows = m.rows();
      in.shape_field = at;
    } else if (m.rows() != in.panel.rows) {
      fail(ErrorCode::dimension_mismatch, at, "has {} rows, but {} has {}", m.rows(), in.shape_field, in.panel.rows);
    }
    in.panel.fields[name].assign(m.data(), m.data() + m.rows() * m.cols());
  }
  if (in.panel.rows == 0) fail(ErrorCode::invalid_argument, field + ".fields", "the series are empty");
}

// "factors": ["id or expression", ...] | "all" | {"family": "alpha158"}. For "all" and a family, the
// ids are resolved once the data is known (the factors it can compute).
struct FactorSpec {
  std::vector<std::string> list;
  bool all = false;
  std::string family;
};

FactorSpec read_factors(net::od::value v, const std::string& field) {
  FactorSpec out;
  switch (v.type()) {
    case net::od::json_type::string: {
      if (net::read_string(v, field) != "all")
        fail(ErrorCode::invalid_argument, field, "must be a list of factors, \"all\" or {{\"family\": name}}");
      out.all = true;
      break;
    }
    case net::od::json_type::object: {
      Fields f(field + ".");
      f.req("family", out.family);
      f.read(net::read_object(v, field), field);
      const auto families = family_counts();
      if (std::none_of(families.begin(), families.end(), [&](const auto& x) { return x.first == out.family; }))
        fail(ErrorCode::invalid_argument, field + ".family", "unknown family '{}'", net::clip(out.family, 60));
      break;
    }
    default:
      out.list = net::read_strings(v, field);
      if (out.list.empty()) fail(ErrorCode::invalid_argument, field, "must name at least one factor");
  }
  return out;
}

void calculate_route(const Request& req, Reply& out, std::uint64_t response_limit) {
  PanelInput input;
  FactorSpec spec;
  bool last_only = false;
  Fields in;
  in.add("market_data", [&](net::od::value v, const std::string& f) { read_market_data(v, f, input); });
  in.add("panel", [&](net::od::value v, const std::string& f) { read_panel(v, f, input); });
  in.add("factors", [&](net::od::value v, const std::string& f) { spec = read_factors(v, f); }, true);
  in.opt("last_only", last_only);
  in.read(req, "/calculate-features");
  if (in.has("market_data") == in.has("panel"))
    fail(ErrorCode::invalid_argument, "market_data", "send either 'market_data' or 'panel' (base64 matrices), one of them");

  FieldDefaults defaults;
  defaults.supplied.clear();
  for (const auto& [name, v] : input.panel.fields) defaults.supplied.push_back(name);
  std::vector<std::string> factors;
  CompiledFactors compiled;
  if (spec.all || !spec.family.empty()) {
    auto found = computable_factors(spec.family, defaults, input.panel.cols());
    if (found.ids.empty())
      fail(ErrorCode::invalid_argument, "factors", "no factor of {} can be computed from the fields and instruments sent",
           spec.all ? std::string("the catalogue") : "family " + spec.family);
    factors = std::move(found.ids);
    compiled = std::move(found.compiled);
  } else {
    factors = std::move(spec.list);
    compiled = compile_factors(factors, defaults);
  }
  const std::size_t N = input.panel.cols(), T = input.panel.rows;
  service::require_response_size(double(factors.size()) * double(N) * (last_only ? 1.0 : double(T)), net::MatrixFormat::rows,
                                 response_limit, "factors", "the features");
  EvalOptions opt;
  opt.last_only = last_only;
  opt.checkpoint = [&req] { req.check_deadline(); };
  const auto values = evaluate(compiled.program, compiled.outputs, input.panel, opt);

  JsonWriter& w = out.json;
  w.key("features").begin_object();
  for (std::size_t j = 0; j < N; ++j) {
    w.key(input.panel.instruments[j]).begin_object();
    for (std::size_t k = 0; k < factors.size(); ++k) {
      w.key(factors[k]);
      if (last_only) {
        w.value(values[k][j]);
      } else {
        w.begin_array();
        for (std::size_t t = 0; t < T; ++t) w.value(values[k][t * N + j]);
        w.end_array();
      }
    }
    w.end_object();
  }
  w.end_object().field("total_features", std::uint64_t(factors.size() * N));
}

// POST /factors/compile {"expression": "..."}
void compile_route(const Request& req, Reply& out) {
  std::string expression;
  Fields in;
  in.req("expression", expression);
  in.read(req, "/factors/compile");
  Program p;
  const NodeId root = p.add(expression);
  // The nodes the expression needs, inputs first.
  std::vector<char> needed(p.nodes().size(), 0);
  needed[root] = 1;
  for (std::size_t i = root + 1; i-- > 0;)
    if (needed[i])
      for (NodeId in_id : p.node(i).inputs) needed[in_id] = 1;
  std::vector<NodeId> order;
  for (NodeId i = 0; i <= root; ++i)
    if (needed[i]) order.push_back(i);
  auto index_of = [&](NodeId id) { return std::uint64_t(std::find(order.begin(), order.end(), id) - order.begin()); };

  const Node& r = p.node(root);
  JsonWriter& w = out.json;
  w.field("canonical", p.canonical(root)).field("warmup", std::uint64_t(r.warmup)).field("unbounded", r.unbounded);
  w.field("cross_sectional", r.cross_sectional).key("fields").array(p.fields());
  w.key("nodes").begin_array();
  for (NodeId id : order) {
    const Node& n = p.node(id);
    const char* op = n.op == Op::constant ? "constant" : n.op == Op::field ? "field" : nullptr;
    w.begin_object().field("id", index_of(id));
    w.field("op", op ? std::string(op) : n.op == Op::ta ? ta_canonical_name(*n.ta) : std::string(op_def(n.op).name));
    w.field("expression", p.canonical(id)).key("inputs").begin_array();
    for (NodeId in_id : n.inputs) w.value(index_of(in_id));
    w.end_array().field("warmup", std::uint64_t(n.warmup)).end_object();
  }
  w.end_array();
}

}  // namespace

void register_engine(service::EngineContext& ctx) {
  using service::json_route;
  const std::uint64_t response_limit = ctx.config.body_limit_mb << 20;
  // Live: bars from marketdata.bars.* keep the default active set up to date; snapshots go out on
  // features.<SYM>. The subscription's thread runs the stream (one row at a time, in order).
  auto publisher = std::make_shared<bus::BusPublisher>(ctx.bus, std::string(ctx.name));
  auto live = std::make_shared<LiveFeatures>(LiveFeatures::default_factors(), std::vector<std::string>{}, *publisher);
  ctx.bus->subscribe(std::string(bus::patterns::all_bars), [live, publisher](const bus::Envelope& e) {
    live->on_bar(std::get<bus::MarketBar>(bus::decode(e.type, e.payload)));
  });
  ctx.routes.add("GET", "/features/live", json_route([live](const Request&, Reply& out) {
    const LiveStats st = live->stats();
    out.json.field("instruments", std::uint64_t(st.instruments)).field("factors", std::uint64_t(st.factors));
    out.json.field("bars", st.bars).field("rows", st.rows).field("snapshots", st.snapshots).field("ignored", st.ignored);
    out.json.field("last_ts_ns", st.last_ts_ns);
  }), net::Lane::io);
  ctx.routes.add("GET", "/factors", json_route(factors_route));
  ctx.routes.add("POST", "/factors/compile", json_route(compile_route));
  ctx.routes.add("POST", "/calculate-features",
                 json_route([response_limit](const Request& req, Reply& out) { calculate_route(req, out, response_limit); }));
}

}  // namespace sextant::features
