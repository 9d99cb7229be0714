// The generated catalogue: rolling operators of one and two series over window grids, their
// normalised, crossover, channel, z-score and nested forms, and cross-sectional transforms. It is
// built on request from its index (nothing is stored), and an id decodes back to its index.
//
//   generated.ts.<OP>.<series>.<w>          OP(x, w)   (skewness and kurtosis over windows from 5)
//   generated.rel.<OP>.<series>.<w>         OP(x, w)/x - 1            (price-like series, level operators)
//   generated.pair.<CORR|COV>.<a>.<b>.<w>   Corr(a, b, w), Cov(a, b, w)
//   generated.cross.<OP>.<series>.<a>.<b>   OP(x, a)/OP(x, b) - 1      (moving-average crossovers, a < b)
//   generated.chan.<series>.<w>             position of x in its w-day range
//   generated.z.<series>.<w>                z-score of x against its w-day mean and deviation
//   generated.nest.<OP2>.<OP1>.<series>.<a>.<b>   OP2(OP1(x, a), b)
//   generated.cs.<RANK|ZSCORE>.<OP>.<series>.<w>  cs_rank / cs_zscore of OP(x, w)
#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sextant/features/catalogue.hpp"

namespace sextant::features {
namespace {

struct Series {
  std::string_view id, expr, what;
  bool price;  // positive and price-like: x/x' ratios mean something
};
constexpr Series kSeries[] = {
    {"close", "$close", "the close", true},
    {"open", "$open", "the open", true},
    {"high", "$high", "the high", true},
    {"low", "$low", "the low", true},
    {"vwap", "$vwap", "the vwap", true},
    {"mid", "($high + $low)/2", "the high-low midpoint", true},
    {"volume", "$volume", "volume", true},
    {"dollarvol", "$close*$volume", "dollar volume", true},
    {"returns", "$returns", "the daily return", false},
    {"logret", "Log($close/Ref($close, 1))", "the daily log return", false},
    {"absret", "Abs($returns)", "the absolute daily return", false},
    {"sqret", "Power($returns, 2)", "the squared daily return", false},
    {"ret5", "$close/Ref($close, 5) - 1", "the weekly return", false},
    {"logvol", "Log($volume + 1)", "log volume", false},
    {"volchg", "$volume/Ref($volume, 1) - 1", "the daily change of volume", false},
    {"range", "($high - $low)/$close", "the day's range over the close", false},
    {"hl", "Log($high/$low)", "the log high-low ratio", false},
    {"body", "($close - $open)/$open", "the candle body", false},
    {"upper", "($high - Greater($open, $close))/$open", "the upper shadow", false},
    {"lower", "(Less($open, $close) - $low)/$open", "the lower shadow", false},
    {"gap", "$open/Ref($close, 1) - 1", "the opening gap", false},
    {"intraday", "$close/$open - 1", "the open-to-close return", false},
    {"clv", "($close - $low)/($high - $low + 1e-12)", "the close's location in the day's range", false},
    {"vwapgap", "$vwap/$close - 1", "the vwap relative to the close", false},
};
constexpr std::size_t S = std::size(kSeries);

struct Op {
  std::string_view id, fmt, what;  // fmt: {x} the series, {w} the window
  bool level;                      // in the series' units: OP(x, w)/x compares it with today's value
};
constexpr Op kOps[] = {
    {"MEAN", "Mean({x}, {w})", "mean", true},
    {"EMA", "EMA({x}, {w})", "exponential mean", true},
    {"WMA", "WMA({x}, {w})", "weighted mean", true},
    {"DECAY", "decay_linear({x}, {w})", "linearly decaying mean", true},
    {"MED", "Med({x}, {w})", "median", true},
    {"MAX", "Max({x}, {w})", "maximum", true},
    {"MIN", "Min({x}, {w})", "minimum", true},
    {"Q10", "Quantile({x}, {w}, 0.1)", "10% quantile", true},
    {"Q25", "Quantile({x}, {w}, 0.25)", "25% quantile", true},
    {"Q75", "Quantile({x}, {w}, 0.75)", "75% quantile", true},
    {"Q90", "Quantile({x}, {w}, 0.9)", "90% quantile", true},
    {"REF", "Ref({x}, {w})", "value lagged by the window", true},
    {"SUM", "Sum({x}, {w})", "sum", false},
    {"STD", "Std({x}, {w})", "standard deviation", false},
    {"VAR", "Var({x}, {w})", "variance", false},
    {"MAD", "Mad({x}, {w})", "mean absolute deviation", false},
    {"SKEW", "Skew({x}, {w})", "skewness", false},
    {"KURT", "Kurt({x}, {w})", "excess kurtosis", false},
    {"IDXMAX", "IdxMax({x}, {w})", "position of the maximum", false},
    {"IDXMIN", "IdxMin({x}, {w})", "position of the minimum", false},
    {"RANK", "Rank({x}, {w})", "percentile rank of today's value", false},
    {"TSRANK", "ts_rank({x}, {w})", "rank of today's value", false},
    {"SLOPE", "Slope({x}, {w})", "linear trend slope", false},
    {"RSQ", "Rsquare({x}, {w})", "linear trend R²", false},
    {"RESI", "Resi({x}, {w})", "residual from the linear trend", false},
    {"DELTA", "Delta({x}, {w})", "change", false},
};
constexpr std::size_t O = std::size(kOps);
constexpr std::size_t kLevelOps = 12;  // the first twelve rows are levels

constexpr int kWindows[] = {2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16, 18, 20, 22, 24, 25, 26, 28,
                            30, 32, 35, 40, 42, 45, 50, 55, 60, 63, 65, 70, 75, 80, 84, 90, 95, 100, 105, 110, 115,
                            120, 126, 130, 140, 150, 160, 168, 175, 180, 189, 190, 200, 210, 220, 225, 230, 240, 245, 250, 252, 260};
constexpr std::size_t W = std::size(kWindows);
// Skewness needs 3 values and kurtosis 4: their grid starts at 5 (as long as the other).
constexpr int kMomentWindows[] = {5,   6,   7,   8,   9,   10,  11,  12,  13,  14,  15,  16,  18,  20,  22,  24,
                                  25,  26,  28,  30,  32,  35,  40,  42,  45,  50,  55,  60,  63,  65,  70,  75,
                                  80,  84,  90,  95,  100, 105, 110, 115, 120, 126, 130, 140, 150, 160, 168, 175,
                                  180, 189, 190, 200, 210, 220, 225, 230, 240, 245, 250, 252, 260, 270, 280, 300};
static_assert(std::size(kMomentWindows) == W);
bool moment(std::string_view op) { return op == "SKEW" || op == "KURT"; }
int window_for(std::string_view op, std::size_t i) { return moment(op) ? kMomentWindows[i] : kWindows[i]; }
constexpr int kShort[] = {2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50, 60, 80, 100};  // nested and crossover windows
constexpr std::size_t K = std::size(kShort);

// Nested: OP2 over OP1, both from short windows.
constexpr std::string_view kInner[] = {"MEAN", "EMA", "STD", "DELTA", "MAX", "MIN"};
constexpr std::string_view kOuter[] = {"SLOPE", "RANK", "STD", "DELTA", "MEAN", "MAX", "MIN", "RESI"};
constexpr std::string_view kCross[] = {"MEAN", "EMA", "WMA"};
constexpr std::size_t kPrice = 8;  // kSeries' first eight are price-like

enum class Kind { ts, rel, pair, cross, chan, z, nest, cs };
struct Part {
  Kind kind;
  std::string_view name;
  std::size_t size;
};
constexpr std::size_t kPairs = S * (S - 1) / 2;
constexpr Part kParts[] = {
    {Kind::ts, "ts", O * S * W},
    {Kind::rel, "rel", kLevelOps * kPrice * W},
    {Kind::pair, "pair", 2 * kPairs * W},
    {Kind::cross, "cross", std::size(kCross) * kPrice * (K * (K - 1) / 2)},
    {Kind::chan, "chan", S * W},
    {Kind::z, "z", S * W},
    {Kind::nest, "nest", std::size(kOuter) * std::size(kInner) * S * K * K},
    {Kind::cs, "cs", 2 * O * S * W},
};

const Op& op_named(std::string_view id) {
  for (const Op& o : kOps)
    if (o.id == id) return o;
  return kOps[0];
}

std::string fill(std::string_view fmt, std::string_view x, int w) {
  std::string out;
  for (std::size_t i = 0; i < fmt.size(); ++i) {
    if (fmt.substr(i, 3) == "{x}") {
      out += x;
      i += 2;
    } else if (fmt.substr(i, 3) == "{w}") {
      out += std::to_string(w);
      i += 2;
    } else {
      out += fmt[i];
    }
  }
  return out;
}

// The k-th pair (a < b) of n items, in order (0,1), (0,2), ..., (1,2), ...
std::pair<std::size_t, std::size_t> pair_at(std::size_t k, std::size_t n) {
  std::size_t a = 0;
  while (k >= n - 1 - a) k -= n - 1 - a, ++a;
  return {a, a + 1 + k};
}
std::size_t pair_index(std::size_t a, std::size_t b, std::size_t n) {
  std::size_t k = 0;
  for (std::size_t i = 0; i < a; ++i) k += n - 1 - i;
  return k + (b - a - 1);
}

std::string w_text(int w) { return std::to_string(w) + "-day"; }

Factor make(const std::string& code, std::string expr, std::string what) {
  return {"generated." + code, "generated", std::move(expr), std::move(what)};
}

Factor at(std::size_t i) {
  std::size_t part = 0;
  while (i >= kParts[part].size) i -= kParts[part++].size;
  const std::string p(kParts[part].name);
  switch (kParts[part].kind) {
    case Kind::ts:
    case Kind::cs: {
      const bool cs = kParts[part].kind == Kind::cs;
      const std::size_t t = cs ? i / (O * S * W) : 0;
      i %= O * S * W;
      const Op& o = kOps[i / (S * W)];
      const Series& s = kSeries[i / W % S];
      const int w = window_for(o.id, i % W);
      std::string expr = fill(o.fmt, s.expr, w), what = w_text(w) + " " + std::string(o.what) + " of " + std::string(s.what);
      std::string code = std::string(o.id) + "." + std::string(s.id) + "." + std::to_string(w);
      if (!cs) return make(p + "." + code, std::move(expr), std::move(what));
      const char* op = t ? "cs_zscore" : "cs_rank";
      return make(p + "." + (t ? "ZSCORE." : "RANK.") + code, std::string(op) + "(" + expr + ")",
                  std::string(t ? "z-score" : "rank") + " across instruments of the " + what);
    }
    case Kind::rel: {
      const Op& o = kOps[i / (kPrice * W)];
      const Series& s = kSeries[i / W % kPrice];
      const int w = kWindows[i % W];
      return make(p + "." + std::string(o.id) + "." + std::string(s.id) + "." + std::to_string(w),
                  fill(o.fmt, s.expr, w) + "/(" + std::string(s.expr) + ") - 1",
                  w_text(w) + " " + std::string(o.what) + " of " + std::string(s.what) + " relative to today's");
    }
    case Kind::pair: {
      const bool corr = i < kPairs * W;
      i %= kPairs * W;
      const auto [a, b] = pair_at(i / W, S);
      const int w = kWindows[i % W];
      const Series &x = kSeries[a], &y = kSeries[b];
      return make(p + "." + (corr ? "CORR." : "COV.") + std::string(x.id) + "." + std::string(y.id) + "." + std::to_string(w),
                  std::string(corr ? "Corr(" : "Cov(") + std::string(x.expr) + ", " + std::string(y.expr) + ", " + std::to_string(w) + ")",
                  w_text(w) + (corr ? " correlation of " : " covariance of ") + std::string(x.what) + " and " + std::string(y.what));
    }
    case Kind::cross: {
      constexpr std::size_t pairs = K * (K - 1) / 2;
      const Op& o = op_named(kCross[i / (kPrice * pairs)]);
      const Series& s = kSeries[i / pairs % kPrice];
      const auto [a, b] = pair_at(i % pairs, K);
      const int wa = kShort[a], wb = kShort[b];
      return make(p + "." + std::string(o.id) + "." + std::string(s.id) + "." + std::to_string(wa) + "." + std::to_string(wb),
                  fill(o.fmt, s.expr, wa) + "/" + fill(o.fmt, s.expr, wb) + " - 1",
                  w_text(wa) + " over " + w_text(wb) + " " + std::string(o.what) + " of " + std::string(s.what) + " (crossover)");
    }
    case Kind::chan:
    case Kind::z: {
      const Series& s = kSeries[i / W];
      const int w = kWindows[i % W];
      const std::string x(s.expr), ws = std::to_string(w);
      if (kParts[part].kind == Kind::chan)
        return make(p + "." + std::string(s.id) + "." + ws, "(" + x + " - Min(" + x + ", " + ws + "))/(Max(" + x + ", " + ws + ") - Min(" + x + ", " + ws + ") + 1e-12)",
                    "position of " + std::string(s.what) + " in its " + w_text(w) + " range");
      return make(p + "." + std::string(s.id) + "." + ws, "(" + x + " - Mean(" + x + ", " + ws + "))/(Std(" + x + ", " + ws + ") + 1e-12)",
                  "z-score of " + std::string(s.what) + " against its " + w_text(w) + " mean and deviation");
    }
    case Kind::nest: {
      const std::size_t per_outer = std::size(kInner) * S * K * K;
      const Op& outer = op_named(kOuter[i / per_outer]);
      i %= per_outer;
      const Op& inner = op_named(kInner[i / (S * K * K)]);
      i %= S * K * K;
      const Series& s = kSeries[i / (K * K)];
      const int a = kShort[i / K % K], b = kShort[i % K];
      return make(p + "." + std::string(outer.id) + "." + std::string(inner.id) + "." + std::string(s.id) + "." + std::to_string(a) + "." +
                      std::to_string(b),
                  fill(outer.fmt, fill(inner.fmt, s.expr, a), b),
                  w_text(b) + " " + std::string(outer.what) + " of the " + w_text(a) + " " + std::string(inner.what) + " of " + std::string(s.what));
    }
  }
  return {};
}

// ---- ids back to indices ----

std::vector<std::string_view> split(std::string_view s) {
  std::vector<std::string_view> out;
  for (std::size_t i = 0;;) {
    const std::size_t dot = s.find('.', i);
    out.push_back(s.substr(i, dot - i));
    if (dot == s.npos) return out;
    i = dot + 1;
  }
}
template <class T, std::size_t N, class F>
std::optional<std::size_t> index_in(const T (&table)[N], F key, std::string_view want) {
  for (std::size_t i = 0; i < N; ++i)
    if (key(table[i]) == want) return i;
  return std::nullopt;
}
std::optional<std::size_t> series_of(std::string_view s) { return index_in(kSeries, [](const Series& x) { return x.id; }, s); }
std::optional<std::size_t> op_of(std::string_view s) { return index_in(kOps, [](const Op& x) { return x.id; }, s); }
template <std::size_t N>
std::optional<std::size_t> window_of(const int (&table)[N], std::string_view s) {
  for (std::size_t i = 0; i < N; ++i)
    if (std::to_string(table[i]) == s) return i;
  return std::nullopt;
}
template <std::size_t N>
std::optional<std::size_t> name_of(const std::string_view (&table)[N], std::string_view s) {
  return index_in(table, [](std::string_view x) { return x; }, s);
}

std::optional<std::size_t> index(std::string_view code) {
  const auto f = split(code);
  std::size_t base = 0, part = 0;
  while (part < std::size(kParts) && kParts[part].name != f[0]) base += kParts[part++].size;
  if (part == std::size(kParts)) return std::nullopt;
  switch (kParts[part].kind) {
    case Kind::ts: {
      if (f.size() != 4) return std::nullopt;
      auto o = op_of(f[1]), s = series_of(f[2]), w = moment(f[1]) ? window_of(kMomentWindows, f[3]) : window_of(kWindows, f[3]);
      if (!o || !s || !w) return std::nullopt;
      return base + (*o * S + *s) * W + *w;
    }
    case Kind::cs: {
      if (f.size() != 5 || (f[1] != "RANK" && f[1] != "ZSCORE")) return std::nullopt;
      auto o = op_of(f[2]), s = series_of(f[3]), w = moment(f[2]) ? window_of(kMomentWindows, f[4]) : window_of(kWindows, f[4]);
      if (!o || !s || !w) return std::nullopt;
      return base + (f[1] == "ZSCORE" ? O * S * W : 0) + (*o * S + *s) * W + *w;
    }
    case Kind::rel: {
      if (f.size() != 4) return std::nullopt;
      auto o = op_of(f[1]), s = series_of(f[2]), w = window_of(kWindows, f[3]);
      if (!o || *o >= kLevelOps || !s || *s >= kPrice || !w) return std::nullopt;
      return base + (*o * kPrice + *s) * W + *w;
    }
    case Kind::pair: {
      if (f.size() != 5 || (f[1] != "CORR" && f[1] != "COV")) return std::nullopt;
      auto a = series_of(f[2]), b = series_of(f[3]), w = window_of(kWindows, f[4]);
      if (!a || !b || *a >= *b || !w) return std::nullopt;
      return base + (f[1] == "COV" ? kPairs * W : 0) + pair_index(*a, *b, S) * W + *w;
    }
    case Kind::cross: {
      if (f.size() != 5) return std::nullopt;
      auto o = name_of(kCross, f[1]), s = series_of(f[2]), a = window_of(kShort, f[3]), b = window_of(kShort, f[4]);
      if (!o || !s || *s >= kPrice || !a || !b || *a >= *b) return std::nullopt;
      constexpr std::size_t pairs = K * (K - 1) / 2;
      return base + (*o * kPrice + *s) * pairs + pair_index(*a, *b, K);
    }
    case Kind::chan:
    case Kind::z: {
      if (f.size() != 3) return std::nullopt;
      auto s = series_of(f[1]), w = window_of(kWindows, f[2]);
      if (!s || !w) return std::nullopt;
      return base + *s * W + *w;
    }
    case Kind::nest: {
      if (f.size() != 6) return std::nullopt;
      auto outer = name_of(kOuter, f[1]), inner = name_of(kInner, f[2]), s = series_of(f[3]), a = window_of(kShort, f[4]),
           b = window_of(kShort, f[5]);
      if (!outer || !inner || !s || !a || !b) return std::nullopt;
      return base + (((*outer * std::size(kInner) + *inner) * S + *s) * K + *a) * K + *b;
    }
  }
  return std::nullopt;
}

}  // namespace

std::size_t generated_size() {
  std::size_t n = 0;
  for (const Part& p : kParts) n += p.size;
  return n;
}

Factor generated_at(std::size_t i) { return at(i); }

std::optional<std::size_t> generated_index(std::string_view id) {
  constexpr std::string_view prefix = "generated.";
  if (id.substr(0, prefix.size()) != prefix) return std::nullopt;
  return index(id.substr(prefix.size()));
}

}  // namespace sextant::features
