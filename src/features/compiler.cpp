// Lowering of syntax trees into interned, canonical DAG nodes.
#include "sextant/features/compiler.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <functional>

#include "kernels.hpp"
#include "scalar.hpp"
#include "sextant/analytics/ta.hpp"

namespace sextant::features {
namespace {

constexpr double kMaxWindow = 1e6;

// Shortest round-trip digits; a non-finite constant (folded from 1/0) as an expression that folds back to it.
std::string number_text(double v) {
  if (v != v) return "Div(0, 0)";
  if (std::isinf(v)) return v > 0 ? "Div(1, 0)" : "Div(-1, 0)";
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, end);
}

bool supplies(const FieldDefaults& d, std::string_view name) {
  return std::find(d.supplied.begin(), d.supplied.end(), name) != d.supplied.end();
}

}  // namespace

std::size_t Program::NodeHash::operator()(const Node& n) const {
  std::size_t h = std::size_t(n.op) * 0x9e3779b97f4a7c15ull;
  auto mix = [&h](std::uint64_t v) { h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2); };
  for (NodeId i : n.inputs) mix(i);
  for (double p : n.params) {
    std::uint64_t bits;
    std::memcpy(&bits, &p, sizeof bits);
    mix(bits);
  }
  if (n.ta) mix(std::hash<const void*>{}(n.ta));
  if (!n.field.empty()) mix(std::hash<std::string>{}(n.field));
  return h;
}

bool Program::NodeEq::operator()(const Node& a, const Node& b) const {
  if (a.op != b.op || a.ta != b.ta || a.inputs != b.inputs || a.field != b.field || a.params.size() != b.params.size()) return false;
  // Parameters compare by bits: -0 and 0 are different constants, and a NaN constant equals itself.
  return a.params.empty() || std::memcmp(a.params.data(), b.params.data(), a.params.size() * sizeof(double)) == 0;
}

Program::Program(FieldDefaults defaults)
    : defaults_(std::move(defaults)), index_(16, NodeHash{&nodes_}, NodeEq{&nodes_}) {}

// The table's functors point at this object's node list: a copy or move rebuilds them.
Program::Program(const Program& o) : defaults_(o.defaults_), nodes_(o.nodes_), index_(16, NodeHash{&nodes_}, NodeEq{&nodes_}) {
  index_.reserve(nodes_.size());
  for (NodeId i = 0; i < nodes_.size(); ++i) index_.insert(i);
}
Program& Program::operator=(const Program& o) {
  if (this != &o) *this = Program(o);
  return *this;
}
Program::Program(Program&& o) noexcept
    : defaults_(std::move(o.defaults_)), nodes_(std::move(o.nodes_)), index_(16, NodeHash{&nodes_}, NodeEq{&nodes_}) {
  index_.reserve(nodes_.size());
  for (NodeId i = 0; i < nodes_.size(); ++i) index_.insert(i);
}
Program& Program::operator=(Program&& o) noexcept {
  defaults_ = std::move(o.defaults_);
  nodes_ = std::move(o.nodes_);
  index_ = std::unordered_set<NodeId, NodeHash, NodeEq>(16, NodeHash{&nodes_}, NodeEq{&nodes_});
  index_.reserve(nodes_.size());
  for (NodeId i = 0; i < nodes_.size(); ++i) index_.insert(i);
  return *this;
}

NodeId Program::add(std::string_view expression) { return lower(*parse(expression)); }

NodeId Program::intern(Node n) {
  if (auto it = index_.find(n); it != index_.end()) return *it;
  const NodeId id = NodeId(nodes_.size());
  nodes_.push_back(std::move(n));
  index_.insert(id);
  return id;
}

NodeId Program::constant(double v) {
  Node n;
  n.op = Op::constant;
  n.params = {v};
  return intern(std::move(n));
}

NodeId Program::lower(const Expr& e) {
  switch (e.kind) {
    case ExprKind::number: return constant(e.number);
    case ExprKind::field: return field(e);
    case ExprKind::call: return call(e);
  }
  return 0;
}

NodeId Program::field(const Expr& e) {
  if (e.name == "vwap" && !supplies(defaults_, "vwap")) return lower(*parse("($high + $low + $close) / 3"));
  if (e.name == "returns" && !supplies(defaults_, "returns")) return lower(*parse("$close / Ref($close, 1) - 1"));
  Node n;
  n.op = Op::field;
  n.field = e.name;
  return intern(std::move(n));
}

NodeId Program::call(const Expr& e) {
  const auto& args = e.args;
  auto arity = [&](std::size_t want) {
    if (args.size() != want)
      throw ExpressionError(e.position, e.name + " takes " + std::to_string(want) + " argument" + (want == 1 ? "" : "s") +
                                            ", not " + std::to_string(args.size()));
  };
  // Spellings that are another operator with its arguments rearranged.
  if (e.name == "Lt" || e.name == "Le") {
    arity(2);
    Expr swapped = e;
    swapped.name = e.name == "Lt" ? "Gt" : "Ge";
    std::swap(swapped.args[0], swapped.args[1]);
    return call(swapped);
  }
  if (e.name == "Neg") {
    arity(1);
    Expr mul = e;
    auto minus_one = std::make_shared<Expr>();
    minus_one->number = -1;
    minus_one->position = e.position;
    mul.name = "Mul";
    mul.args = {minus_one, args[0]};
    return call(mul);
  }

  const bool second_is_number = args.size() >= 2 && args[1]->kind == ExprKind::number;
  const Callee callee = resolve(e.name, second_is_number);
  if (!callee.def) throw ExpressionError(e.position, "unknown function '" + e.name + "'");
  const OpDef& def = *callee.def;

  Node n;
  n.op = def.op;
  // A constant argument: any expression that folds to a number.
  auto number_arg = [&](std::size_t i, const char* what) {
    const NodeId id = lower(*args[i]);
    if (nodes_[id].op != Op::constant)
      throw ExpressionError(args[i]->position, "argument " + std::to_string(i + 1) + " of " + e.name + " must be a number (" + what + ")");
    return nodes_[id].params[0];
  };

  if (def.op == Op::ta) {
    const auto& f = *callee.ta;
    const std::size_t series = f.inputs.size();
    if (args.size() < series || args.size() > series + f.params.size())
      throw ExpressionError(e.position, e.name + " takes " + std::to_string(series) + " series" +
                                            (f.params.empty() ? "" : " and up to " + std::to_string(f.params.size()) + " parameters") +
                                            ", not " + std::to_string(args.size()) + " arguments");
    n.ta = &f;
    for (std::size_t i = 0; i < series; ++i) n.inputs.push_back(lower(*args[i]));
    for (std::size_t k = 0; k < f.params.size(); ++k)
      n.params.push_back(series + k < args.size() ? number_arg(series + k, f.params[k].name.data()) : f.params[k].default_value);
    try {
      analytics::ta::check_params(f, n.params);
    } catch (const Error& err) {
      throw ExpressionError(e.position, e.name + ": " + err.what());
    }
    std::size_t warm = 0;
    for (NodeId i : n.inputs) warm = std::max(warm, nodes_[i].warmup);
    n.warmup = warm + std::size_t(std::max(0, f.lookback(n.params.data())));
    n.unbounded = !f.finite_memory || !f.finite_memory(f, n.params);
    for (NodeId i : n.inputs) n.unbounded |= nodes_[i].unbounded, n.cross_sectional |= nodes_[i].cross_sectional;
    return intern(std::move(n));
  }

  const std::string_view sig = def.signature;
  const std::size_t required = std::size_t(std::count_if(sig.begin(), sig.end(), [](char c) { return c != 'c'; }));
  if (args.size() < required || args.size() > sig.size()) {
    const std::string counts = required == sig.size() ? std::to_string(required) : std::to_string(required) + " or " + std::to_string(sig.size());
    throw ExpressionError(e.position, e.name + " takes " + counts + " argument" + (sig.size() == 1 ? "" : "s") + ", not " + std::to_string(args.size()));
  }
  for (std::size_t i = 0; i < args.size(); ++i) {
    switch (sig[i]) {
      case 'S': n.inputs.push_back(lower(*args[i])); break;
      case 'W':
      case 'L': {
        double w = number_arg(i, sig[i] == 'W' ? "a window" : "a lag");
        if (!std::isfinite(w)) throw ExpressionError(args[i]->position, "the window of " + e.name + " must be finite");
        if (callee.paper) w = std::floor(w);
        if (w != std::floor(w)) throw ExpressionError(args[i]->position, "the window of " + e.name + " must be an integer, not " + number_text(w));
        if (sig[i] == 'W' && w <= 0) throw ExpressionError(args[i]->position, "the window of " + e.name + " must be >= 1, not " + number_text(w));
        if (sig[i] == 'L' && w < 0) throw ExpressionError(args[i]->position, "the lag of " + e.name + " must be >= 0 (no look-ahead), not " + number_text(w));
        if (w > kMaxWindow) throw ExpressionError(args[i]->position, "the window of " + e.name + " must be <= 1000000");
        n.params.push_back(w);
        break;
      }
      default: n.params.push_back(number_arg(i, "a constant")); break;
    }
  }
  if (def.op == Op::quantile && !(n.params[1] >= 0 && n.params[1] <= 1))
    throw ExpressionError(args[2]->position, "the quantile of Quantile must be in [0, 1]");
  if (def.op == Op::ema && !(n.params[0] > 0 && std::isfinite(n.params[0])))
    throw ExpressionError(args[1]->position, "the span of EMA must be > 0 (below 1 it is the smoothing factor alpha)");
  if (def.op == Op::cs_scale && n.params.empty()) n.params.push_back(1.0);
  if (def.op == Op::cs_pca_loading) {
    if (n.params[0] < 2) throw ExpressionError(args[1]->position, "the window of cs_pca_loading must be >= 2 rows");
    if (!(n.params[1] >= 1 && n.params[1] <= double(kernels::kMaxPcaComponents) && n.params[1] == std::floor(n.params[1])))
      throw ExpressionError(args[2]->position, "the component of cs_pca_loading must be an integer in [1, " +
                                                   std::to_string(kernels::kMaxPcaComponents) + "], not " + number_text(n.params[1]));
  }
  if (def.op == Op::ref && n.params[0] == 0) return n.inputs[0];  // Ref(x, 0) is x

  // Constant folding: an elementwise operator of constants is a constant.
  if (def.cls == OpClass::elementwise &&
      std::all_of(n.inputs.begin(), n.inputs.end(), [&](NodeId i) { return nodes_[i].op == Op::constant; })) {
    auto v = [&](std::size_t k) { return nodes_[n.inputs[k]].params[0]; };
    if (n.inputs.size() == 1) return constant(scalar::unary(def.op, v(0)));
    if (n.inputs.size() == 2) return constant(scalar::binary(def.op, v(0), v(1)));
    return constant(scalar::ternary(v(0), v(1), v(2)));
  }
  if (def.commutative) std::sort(n.inputs.begin(), n.inputs.end());

  std::size_t warm = 0;
  for (NodeId i : n.inputs) {
    warm = std::max(warm, nodes_[i].warmup);
    n.unbounded |= nodes_[i].unbounded;
    n.cross_sectional |= nodes_[i].cross_sectional;
  }
  n.warmup = warm;
  if (def.op == Op::ema) n.unbounded = true;
  else if (def.cls == OpClass::rolling || def.op == Op::cs_pca_loading) n.warmup += std::size_t(n.params[0]) - (sig.find('L') != sig.npos ? 0 : 1);  // params[0]: the window or lag
  if (def.cls == OpClass::cross_section) n.cross_sectional = true;
  return intern(std::move(n));
}

std::string Program::canonical(NodeId id) const {
  const Node& n = nodes_[id];
  if (n.op == Op::constant) return number_text(n.params[0]);
  if (n.op == Op::field) return "$" + n.field;
  std::vector<std::string> parts;
  for (NodeId i : n.inputs) parts.push_back(canonical(i));
  if (op_def(n.op).commutative) std::sort(parts.begin(), parts.end());
  for (double p : n.params) parts.push_back(number_text(p));
  std::string out = n.op == Op::ta ? ta_canonical_name(*n.ta) : std::string(op_def(n.op).name);
  out += '(';
  for (std::size_t k = 0; k < parts.size(); ++k) (out += k ? ", " : "") += parts[k];
  return out + ')';
}

std::vector<std::string> Program::fields() const {
  std::vector<std::string> out;
  for (const Node& n : nodes_)
    if (n.op == Op::field) out.push_back(n.field);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace sextant::features
