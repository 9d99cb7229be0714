// Candlestick patterns, TA-Lib's rules and candle settings (TA_CandleSettingType defaults).
//
// A pattern compares candle features (real body, shadows, gaps, colour) with "candle averages":
// factor × (mean range of a setting over the `avg` candles before the candle in question), kept as
// TA-Lib's running totals (one per setting and candle shift), in TA-Lib's order of operations, so
// that boundary comparisons come out as TA-Lib's. Outputs are 0, ±80 or ±100 (±200 for a confirmed
// Hikkake), aligned to the rows.
#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>

#include "kernels.hpp"
#include "table.hpp"
#include "stream_kit.hpp"

namespace sextant::analytics::ta {
namespace {

enum class RangeType { real_body, high_low, shadows };
struct Setting {
  RangeType type;
  int avg;
  double factor;
};
// TA-Lib's defaults.
constexpr Setting BodyLong{RangeType::real_body, 10, 1.0};
constexpr Setting BodyVeryLong{RangeType::real_body, 10, 3.0};
constexpr Setting BodyShort{RangeType::real_body, 10, 1.0};
constexpr Setting BodyDoji{RangeType::high_low, 10, 0.1};
constexpr Setting ShadowLong{RangeType::real_body, 0, 1.0};
constexpr Setting ShadowVeryLong{RangeType::real_body, 0, 2.0};
constexpr Setting ShadowShort{RangeType::shadows, 10, 1.0};
constexpr Setting ShadowVeryShort{RangeType::high_low, 10, 0.1};
constexpr Setting Near{RangeType::high_low, 5, 0.2};
constexpr Setting Far{RangeType::high_low, 5, 0.6};
constexpr Setting Equal{RangeType::high_low, 5, 0.05};

struct Candles {
  const double *o, *h, *l, *c;
  int color(std::size_t i) const { return c[i] >= o[i] ? 1 : -1; }
  double body(std::size_t i) const { return std::fabs(c[i] - o[i]); }
  double top(std::size_t i) const { return c[i] >= o[i] ? c[i] : o[i]; }
  double bottom(std::size_t i) const { return c[i] >= o[i] ? o[i] : c[i]; }
  double upper(std::size_t i) const { return h[i] - top(i); }
  double lower(std::size_t i) const { return bottom(i) - l[i]; }
  double hl(std::size_t i) const { return h[i] - l[i]; }
  double range(const Setting& s, std::size_t i) const {
    return s.type == RangeType::real_body ? body(i) : s.type == RangeType::high_low ? hl(i) : upper(i) + lower(i);
  }
  bool body_gap_up(std::size_t a, std::size_t b) const { return std::min(o[a], c[a]) > std::max(o[b], c[b]); }
  bool body_gap_down(std::size_t a, std::size_t b) const { return std::max(o[a], c[a]) < std::min(o[b], c[b]); }
  bool gap_up(std::size_t a, std::size_t b) const { return l[a] > h[b]; }
  bool gap_down(std::size_t a, std::size_t b) const { return h[a] < l[b]; }
};

// TA_CANDLEAVERAGE of one setting for candle i - shift, with TA-Lib's running total.
struct Avg {
  Setting s;
  std::size_t shift, trailing = 0;
  double total = 0;
  void init(const Candles& k, std::size_t start) {
    trailing = start - shift - std::size_t(s.avg);
    for (std::size_t j = trailing; j < start - shift; ++j) total += k.range(s, j);
  }
  double at(const Candles& k, std::size_t i) const {
    return s.factor * (s.avg != 0 ? total / s.avg : k.range(s, i - shift)) / (s.type == RangeType::shadows ? 2.0 : 1.0);
  }
  void next(const Candles& k, std::size_t i) {
    total += k.range(s, i - shift) - k.range(s, trailing);
    ++trailing;
  }
};

// The averages a pattern needs, addressed as A(setting-index) in the rule.
using Rule = std::function<int(const Candles& k, std::size_t i, const std::vector<double>& a, const double* p)>;

struct PatternDef {
  const char* name;
  int lookback;
  std::vector<std::pair<Setting, int>> avgs;  // (setting, shift)
  Rule rule;
  bool penetration = false;
  double default_penetration = 0;
};

void run_pattern(const PatternDef& d, const Inputs& in, const double* p, double* out) {
  Candles k{in.open.data(), in.high.data(), in.low.data(), in.close.data()};
  const std::size_t n = in.size(), start = std::size_t(d.lookback);
  std::vector<Avg> avgs;
  for (const auto& [s, shift] : d.avgs) avgs.push_back({s, std::size_t(shift)});
  for (auto& a : avgs) a.init(k, start);
  std::vector<double> vals(avgs.size());
  for (std::size_t i = start; i < n; ++i) {
    for (std::size_t j = 0; j < avgs.size(); ++j) vals[j] = avgs[j].at(k, i);
    out[i] = d.rule(k, i, vals, p);
    for (auto& a : avgs) a.next(k, i);
  }
}

int max_avg(std::initializer_list<Setting> s) {
  int m = 0;
  for (const auto& x : s) m = std::max(m, x.avg);
  return m;
}

std::vector<PatternDef> patterns() {
  using K = const Candles&;
  using V = const std::vector<double>&;
  std::vector<PatternDef> ps;
  // ---- one candle -----------------------------------------------------------------------------
  ps.push_back({"CDLDOJI", max_avg({BodyDoji}), {{BodyDoji, 0}},
                [](K k, std::size_t i, V a, const double*) { return k.body(i) <= a[0] ? 100 : 0; }});
  ps.push_back({"CDLDRAGONFLYDOJI", max_avg({BodyDoji, ShadowVeryShort}), {{BodyDoji, 0}, {ShadowVeryShort, 0}},
                [](K k, std::size_t i, V a, const double*) {
                  return k.body(i) <= a[0] && k.upper(i) < a[1] && k.lower(i) > a[1] ? 100 : 0;
                }});
  ps.push_back({"CDLGRAVESTONEDOJI", max_avg({BodyDoji, ShadowVeryShort}), {{BodyDoji, 0}, {ShadowVeryShort, 0}},
                [](K k, std::size_t i, V a, const double*) {
                  return k.body(i) <= a[0] && k.lower(i) < a[1] && k.upper(i) > a[1] ? 100 : 0;
                }});
  ps.push_back({"CDLLONGLEGGEDDOJI", max_avg({BodyDoji, ShadowLong}), {{BodyDoji, 0}, {ShadowLong, 0}},
                [](K k, std::size_t i, V a, const double*) {
                  return k.body(i) <= a[0] && (k.lower(i) > a[1] || k.upper(i) > a[1]) ? 100 : 0;
                }});
  ps.push_back({"CDLRICKSHAWMAN", max_avg({BodyDoji, ShadowLong, Near}), {{BodyDoji, 0}, {ShadowLong, 0}, {Near, 0}},
                [](K k, std::size_t i, V a, const double*) {
                  return k.body(i) <= a[0] && k.lower(i) > a[1] && k.upper(i) > a[1] &&
                                 k.bottom(i) <= k.l[i] + k.hl(i) / 2 + a[2] && k.top(i) >= k.l[i] + k.hl(i) / 2 - a[2]
                             ? 100 : 0;
                }});
  ps.push_back({"CDLTAKURI", max_avg({BodyDoji, ShadowVeryShort, ShadowVeryLong}),
                {{BodyDoji, 0}, {ShadowVeryShort, 0}, {ShadowVeryLong, 0}},
                [](K k, std::size_t i, V a, const double*) {
                  return k.body(i) <= a[0] && k.upper(i) < a[1] && k.lower(i) > a[2] ? 100 : 0;
                }});
  ps.push_back({"CDLBELTHOLD", max_avg({BodyLong, ShadowVeryShort}), {{BodyLong, 0}, {ShadowVeryShort, 0}},
                [](K k, std::size_t i, V a, const double*) {
                  return k.body(i) > a[0] && ((k.color(i) == 1 && k.lower(i) < a[1]) || (k.color(i) == -1 && k.upper(i) < a[1]))
                             ? k.color(i) * 100 : 0;
                }});
  ps.push_back({"CDLCLOSINGMARUBOZU", max_avg({BodyLong, ShadowVeryShort}), {{BodyLong, 0}, {ShadowVeryShort, 0}},
                [](K k, std::size_t i, V a, const double*) {
                  return k.body(i) > a[0] && ((k.color(i) == 1 && k.upper(i) < a[1]) || (k.color(i) == -1 && k.lower(i) < a[1]))
                             ? k.color(i) * 100 : 0;
                }});
  ps.push_back({"CDLMARUBOZU", max_avg({BodyLong, ShadowVeryShort}), {{BodyLong, 0}, {ShadowVeryShort, 0}},
                [](K k, std::size_t i, V a, const double*) {
                  return k.body(i) > a[0] && k.upper(i) < a[1] && k.lower(i) < a[1] ? k.color(i) * 100 : 0;
                }});
  ps.push_back({"CDLLONGLINE", max_avg({BodyLong, ShadowShort}), {{BodyLong, 0}, {ShadowShort, 0}},
                [](K k, std::size_t i, V a, const double*) {
                  return k.body(i) > a[0] && k.upper(i) < a[1] && k.lower(i) < a[1] ? k.color(i) * 100 : 0;
                }});
  ps.push_back({"CDLSHORTLINE", max_avg({BodyShort, ShadowShort}), {{BodyShort, 0}, {ShadowShort, 0}},
                [](K k, std::size_t i, V a, const double*) {
                  return k.body(i) < a[0] && k.upper(i) < a[1] && k.lower(i) < a[1] ? k.color(i) * 100 : 0;
                }});
  ps.push_back({"CDLSPINNINGTOP", max_avg({BodyShort}), {{BodyShort, 0}},
                [](K k, std::size_t i, V a, const double*) {
                  return k.body(i) < a[0] && k.upper(i) > k.body(i) && k.lower(i) > k.body(i) ? k.color(i) * 100 : 0;
                }});
  ps.push_back({"CDLHIGHWAVE", max_avg({BodyShort, ShadowVeryLong}), {{BodyShort, 0}, {ShadowVeryLong, 0}},
                [](K k, std::size_t i, V a, const double*) {
                  return k.body(i) < a[0] && k.upper(i) > a[1] && k.lower(i) > a[1] ? k.color(i) * 100 : 0;
                }});
  // ---- hammers and stars (one candle against its neighbour) --------------------------------------
  ps.push_back({"CDLHAMMER", max_avg({BodyShort, ShadowLong, ShadowVeryShort, Near}) + 1,
                {{BodyShort, 0}, {ShadowLong, 0}, {ShadowVeryShort, 0}, {Near, 1}},
                [](K k, std::size_t i, V a, const double*) {
                  return k.body(i) < a[0] && k.lower(i) > a[1] && k.upper(i) < a[2] && k.bottom(i) <= k.l[i - 1] + a[3] ? 100 : 0;
                }});
  ps.push_back({"CDLHANGINGMAN", max_avg({BodyShort, ShadowLong, ShadowVeryShort, Near}) + 1,
                {{BodyShort, 0}, {ShadowLong, 0}, {ShadowVeryShort, 0}, {Near, 1}},
                [](K k, std::size_t i, V a, const double*) {
                  return k.body(i) < a[0] && k.lower(i) > a[1] && k.upper(i) < a[2] && k.bottom(i) >= k.h[i - 1] - a[3] ? -100 : 0;
                }});
  ps.push_back({"CDLINVERTEDHAMMER", max_avg({BodyShort, ShadowLong, ShadowVeryShort}) + 1,
                {{BodyShort, 0}, {ShadowLong, 0}, {ShadowVeryShort, 0}},
                [](K k, std::size_t i, V a, const double*) {
                  return k.body(i) < a[0] && k.upper(i) > a[1] && k.lower(i) < a[2] && k.body_gap_down(i, i - 1) ? 100 : 0;
                }});
  ps.push_back({"CDLSHOOTINGSTAR", max_avg({BodyShort, ShadowLong, ShadowVeryShort}) + 1,
                {{BodyShort, 0}, {ShadowLong, 0}, {ShadowVeryShort, 0}},
                [](K k, std::size_t i, V a, const double*) {
                  return k.body(i) < a[0] && k.upper(i) > a[1] && k.lower(i) < a[2] && k.body_gap_up(i, i - 1) ? -100 : 0;
                }});
  // ---- two candles ------------------------------------------------------------------------------
  ps.push_back({"CDLENGULFING", 2, {},
                [](K k, std::size_t i, V, const double*) {
                  const double *o = k.o, *c = k.c;
                  bool bull = k.color(i) == 1 && k.color(i - 1) == -1 &&
                              ((c[i] >= o[i - 1] && o[i] < c[i - 1]) || (c[i] > o[i - 1] && o[i] <= c[i - 1]));
                  bool bear = k.color(i) == -1 && k.color(i - 1) == 1 &&
                              ((o[i] >= c[i - 1] && c[i] < o[i - 1]) || (o[i] > c[i - 1] && c[i] <= o[i - 1]));
                  if (!bull && !bear) return 0;
                  return (o[i] != c[i - 1] && c[i] != o[i - 1]) ? k.color(i) * 100 : k.color(i) * 80;
                }});
  auto harami = [](bool cross) {
    return Rule([](K k, std::size_t i, V a, const double*) {
      if (!(k.body(i - 1) > a[0] && k.body(i) <= a[1])) return 0;
      if (k.top(i) < k.top(i - 1) && k.bottom(i) > k.bottom(i - 1)) return -k.color(i - 1) * 100;
      if (k.top(i) <= k.top(i - 1) && k.bottom(i) >= k.bottom(i - 1)) return -k.color(i - 1) * 80;
      return 0;
    });
  };
  ps.push_back({"CDLHARAMI", max_avg({BodyShort, BodyLong}) + 1, {{BodyLong, 1}, {BodyShort, 0}}, harami(false)});
  ps.push_back({"CDLHARAMICROSS", max_avg({BodyDoji, BodyLong}) + 1, {{BodyLong, 1}, {BodyDoji, 0}}, harami(true)});
  ps.push_back({"CDLDOJISTAR", max_avg({BodyDoji, BodyLong}) + 1, {{BodyLong, 1}, {BodyDoji, 0}},
                [](K k, std::size_t i, V a, const double*) {
                  return k.body(i - 1) > a[0] && k.body(i) <= a[1] &&
                                 ((k.color(i - 1) == 1 && k.body_gap_up(i, i - 1)) || (k.color(i - 1) == -1 && k.body_gap_down(i, i - 1)))
                             ? -k.color(i - 1) * 100 : 0;
                }});
  ps.push_back({"CDLCOUNTERATTACK", max_avg({Equal, BodyLong}) + 1, {{Equal, 1}, {BodyLong, 1}, {BodyLong, 0}},
                [](K k, std::size_t i, V a, const double*) {
                  return k.color(i - 1) == -k.color(i) && k.body(i - 1) > a[1] && k.body(i) > a[2] &&
                                 k.c[i] <= k.c[i - 1] + a[0] && k.c[i] >= k.c[i - 1] - a[0]
                             ? k.color(i) * 100 : 0;
                }});
  ps.push_back({"CDLDARKCLOUDCOVER", max_avg({BodyLong}) + 1, {{BodyLong, 1}},
                [](K k, std::size_t i, V a, const double* p) {
                  return k.color(i - 1) == 1 && k.body(i - 1) > a[0] && k.color(i) == -1 && k.o[i] > k.h[i - 1] &&
                                 k.c[i] > k.o[i - 1] && k.c[i] < k.c[i - 1] - k.body(i - 1) * p[0]
                             ? -100 : 0;
                },
                true, 0.5});
  ps.push_back({"CDLPIERCING", max_avg({BodyLong}) + 1, {{BodyLong, 1}, {BodyLong, 0}},
                [](K k, std::size_t i, V a, const double*) {
                  return k.color(i - 1) == -1 && k.body(i - 1) > a[0] && k.color(i) == 1 && k.body(i) > a[1] &&
                                 k.o[i] < k.l[i - 1] && k.c[i] < k.o[i - 1] && k.c[i] > k.c[i - 1] + k.body(i - 1) * 0.5
                             ? 100 : 0;
                }});
  ps.push_back({"CDLHOMINGPIGEON", max_avg({BodyShort, BodyLong}) + 1, {{BodyLong, 1}, {BodyShort, 0}},
                [](K k, std::size_t i, V a, const double*) {
                  return k.color(i - 1) == -1 && k.color(i) == -1 && k.body(i - 1) > a[0] && k.body(i) <= a[1] &&
                                 k.o[i] < k.o[i - 1] && k.c[i] > k.c[i - 1]
                             ? 100 : 0;
                }});
  ps.push_back({"CDLINNECK", max_avg({Equal, BodyLong}) + 1, {{Equal, 1}, {BodyLong, 1}},
                [](K k, std::size_t i, V a, const double*) {
                  return k.color(i - 1) == -1 && k.body(i - 1) > a[1] && k.color(i) == 1 && k.o[i] < k.l[i - 1] &&
                                 k.c[i] <= k.c[i - 1] + a[0] && k.c[i] >= k.c[i - 1]
                             ? -100 : 0;
                }});
  ps.push_back({"CDLONNECK", max_avg({Equal, BodyLong}) + 1, {{Equal, 1}, {BodyLong, 1}},
                [](K k, std::size_t i, V a, const double*) {
                  return k.color(i - 1) == -1 && k.body(i - 1) > a[1] && k.color(i) == 1 && k.o[i] < k.l[i - 1] &&
                                 k.c[i] <= k.l[i - 1] + a[0] && k.c[i] >= k.l[i - 1] - a[0]
                             ? -100 : 0;
                }});
  ps.push_back({"CDLTHRUSTING", max_avg({Equal, BodyLong}) + 1, {{Equal, 1}, {BodyLong, 1}},
                [](K k, std::size_t i, V a, const double*) {
                  return k.color(i - 1) == -1 && k.body(i - 1) > a[1] && k.color(i) == 1 && k.o[i] < k.l[i - 1] &&
                                 k.c[i] > k.c[i - 1] + a[0] && k.c[i] <= k.c[i - 1] + k.body(i - 1) * 0.5
                             ? -100 : 0;
                }});
  auto kicking = [](bool by_length) {
    return Rule([by_length](K k, std::size_t i, V a, const double*) {
      // a: ShadowVeryShort@1, ShadowVeryShort@0, BodyLong@1, BodyLong@0
      bool ok = k.color(i - 1) == -k.color(i) && k.body(i - 1) > a[2] && k.upper(i - 1) < a[0] && k.lower(i - 1) < a[0] &&
                k.body(i) > a[3] && k.upper(i) < a[1] && k.lower(i) < a[1] &&
                ((k.color(i - 1) == -1 && k.gap_up(i, i - 1)) || (k.color(i - 1) == 1 && k.gap_down(i, i - 1)));
      if (!ok) return 0;
      if (!by_length) return k.color(i) * 100;
      return (k.body(i) > k.body(i - 1) ? k.color(i) : k.color(i - 1)) * 100;
    });
  };
  const std::vector<std::pair<Setting, int>> kick_avgs{{ShadowVeryShort, 1}, {ShadowVeryShort, 0}, {BodyLong, 1}, {BodyLong, 0}};
  ps.push_back({"CDLKICKING", max_avg({ShadowVeryShort, BodyLong}) + 1, kick_avgs, kicking(false)});
  ps.push_back({"CDLKICKINGBYLENGTH", max_avg({ShadowVeryShort, BodyLong}) + 1, kick_avgs, kicking(true)});
  ps.push_back({"CDLMATCHINGLOW", max_avg({Equal}) + 1, {{Equal, 1}},
                [](K k, std::size_t i, V a, const double*) {
                  return k.color(i - 1) == -1 && k.color(i) == -1 && k.c[i] <= k.c[i - 1] + a[0] && k.c[i] >= k.c[i - 1] - a[0]
                             ? 100 : 0;
                }});
  ps.push_back({"CDLSEPARATINGLINES", max_avg({ShadowVeryShort, BodyLong, Equal}) + 1,
                {{ShadowVeryShort, 0}, {BodyLong, 0}, {Equal, 1}},
                [](K k, std::size_t i, V a, const double*) {
                  return k.color(i - 1) == -k.color(i) && k.o[i] <= k.o[i - 1] + a[2] && k.o[i] >= k.o[i - 1] - a[2] &&
                                 k.body(i) > a[1] &&
                                 ((k.color(i) == 1 && k.lower(i) < a[0]) || (k.color(i) == -1 && k.upper(i) < a[0]))
                             ? k.color(i) * 100 : 0;
                }});
  // ---- three candles ----------------------------------------------------------------------------
  ps.push_back({"CDL2CROWS", max_avg({BodyLong}) + 2, {{BodyLong, 2}},
                [](K k, std::size_t i, V a, const double*) {
                  return k.color(i - 2) == 1 && k.body(i - 2) > a[0] && k.color(i - 1) == -1 && k.body_gap_up(i - 1, i - 2) &&
                                 k.color(i) == -1 && k.o[i] < k.o[i - 1] && k.o[i] > k.c[i - 1] && k.c[i] > k.o[i - 2] &&
                                 k.c[i] < k.c[i - 2]
                             ? -100 : 0;
                }});
  ps.push_back({"CDL3INSIDE", max_avg({BodyShort, BodyLong}) + 2, {{BodyLong, 2}, {BodyShort, 1}},
                [](K k, std::size_t i, V a, const double*) {
                  return k.body(i - 2) > a[0] && k.body(i - 1) <= a[1] && k.top(i - 1) < k.top(i - 2) &&
                                 k.bottom(i - 1) > k.bottom(i - 2) &&
                                 ((k.color(i - 2) == 1 && k.color(i) == -1 && k.c[i] < k.o[i - 2]) ||
                                  (k.color(i - 2) == -1 && k.color(i) == 1 && k.c[i] > k.o[i - 2]))
                             ? -k.color(i - 2) * 100 : 0;
                }});
  ps.push_back({"CDL3OUTSIDE", 3, {},
                [](K k, std::size_t i, V, const double*) {
                  if (k.color(i - 1) == 1 && k.color(i - 2) == -1 && k.c[i - 1] > k.o[i - 2] && k.o[i - 1] < k.c[i - 2] &&
                      k.c[i] > k.c[i - 1])
                    return 100;
                  if (k.color(i - 1) == -1 && k.color(i - 2) == 1 && k.o[i - 1] > k.c[i - 2] && k.c[i - 1] < k.o[i - 2] &&
                      k.c[i] < k.c[i - 1])
                    return -100;
                  return 0;
                }});
  ps.push_back({"CDL3STARSINSOUTH", max_avg({ShadowVeryShort, ShadowLong, BodyLong, BodyShort}) + 2,
                {{BodyLong, 2}, {ShadowLong, 2}, {ShadowVeryShort, 1}, {ShadowVeryShort, 0}, {BodyShort, 0}},
                [](K k, std::size_t i, V a, const double*) {
                  return k.color(i - 2) == -1 && k.color(i - 1) == -1 && k.color(i) == -1 && k.body(i - 2) > a[0] &&
                                 k.lower(i - 2) > a[1] && k.body(i - 1) < k.body(i - 2) && k.o[i - 1] > k.c[i - 2] &&
                                 k.o[i - 1] <= k.h[i - 2] && k.l[i - 1] < k.c[i - 2] && k.l[i - 1] >= k.l[i - 2] &&
                                 k.lower(i - 1) > a[2] && k.body(i) < a[4] && k.lower(i) < a[3] && k.upper(i) < a[3] &&
                                 k.l[i] > k.l[i - 1] && k.h[i] < k.h[i - 1]
                             ? 100 : 0;
                }});
  ps.push_back({"CDL3WHITESOLDIERS", max_avg({ShadowVeryShort, BodyShort, Far, Near}) + 2,
                {{ShadowVeryShort, 2}, {ShadowVeryShort, 1}, {ShadowVeryShort, 0}, {Near, 2}, {Near, 1}, {Far, 2}, {Far, 1},
                 {BodyShort, 0}},
                [](K k, std::size_t i, V a, const double*) {
                  return k.color(i - 2) == 1 && k.upper(i - 2) < a[0] && k.color(i - 1) == 1 && k.upper(i - 1) < a[1] &&
                                 k.color(i) == 1 && k.upper(i) < a[2] && k.c[i] > k.c[i - 1] && k.c[i - 1] > k.c[i - 2] &&
                                 k.o[i - 1] > k.o[i - 2] && k.o[i - 1] <= k.c[i - 2] + a[3] && k.o[i] > k.o[i - 1] &&
                                 k.o[i] <= k.c[i - 1] + a[4] && k.body(i - 1) > k.body(i - 2) - a[5] &&
                                 k.body(i) > k.body(i - 1) - a[6] && k.body(i) > a[7]
                             ? 100 : 0;
                }});
  ps.push_back({"CDLABANDONEDBABY", max_avg({BodyDoji, BodyLong, BodyShort}) + 2,
                {{BodyLong, 2}, {BodyDoji, 1}, {BodyShort, 0}},
                [](K k, std::size_t i, V a, const double* p) {
                  return k.body(i - 2) > a[0] && k.body(i - 1) <= a[1] && k.body(i) > a[2] &&
                                 ((k.color(i - 2) == 1 && k.color(i) == -1 && k.c[i] < k.c[i - 2] - k.body(i - 2) * p[0] &&
                                   k.gap_up(i - 1, i - 2) && k.gap_down(i, i - 1)) ||
                                  (k.color(i - 2) == -1 && k.color(i) == 1 && k.c[i] > k.c[i - 2] + k.body(i - 2) * p[0] &&
                                   k.gap_down(i - 1, i - 2) && k.gap_up(i, i - 1)))
                             ? k.color(i) * 100 : 0;
                },
                true, 0.3});
  ps.push_back({"CDLADVANCEBLOCK", max_avg({ShadowLong, ShadowShort, Far, Near, BodyLong}) + 2,
                {{ShadowShort, 2}, {ShadowShort, 1}, {ShadowShort, 0}, {ShadowLong, 1}, {ShadowLong, 0}, {Near, 2}, {Near, 1},
                 {Far, 2}, {Far, 1}, {BodyLong, 2}},
                [](K k, std::size_t i, V a, const double*) {
                  bool base = k.color(i - 2) == 1 && k.color(i - 1) == 1 && k.color(i) == 1 && k.c[i] > k.c[i - 1] &&
                              k.c[i - 1] > k.c[i - 2] && k.o[i - 1] > k.o[i - 2] && k.o[i - 1] <= k.c[i - 2] + a[5] &&
                              k.o[i] > k.o[i - 1] && k.o[i] <= k.c[i - 1] + a[6] && k.body(i - 2) > a[9] &&
                              k.upper(i - 2) < a[0];
                  if (!base) return 0;
                  bool weak = (k.body(i - 1) < k.body(i - 2) - a[7] && k.body(i) < k.body(i - 1) + a[6]) ||
                              (k.body(i) < k.body(i - 1) - a[8]) ||
                              (k.body(i) < k.body(i - 1) && k.body(i - 1) < k.body(i - 2) &&
                               (k.upper(i) > a[2] || k.upper(i - 1) > a[1])) ||
                              (k.body(i) < k.body(i - 1) && k.upper(i) > a[4]);
                  return weak ? -100 : 0;
                }});
  auto star = [](bool evening) {
    return Rule([evening](K k, std::size_t i, V a, const double* p) {
      // a: BodyLong@2, (BodyDoji or BodyShort)@1, BodyShort@0
      const int first = evening ? 1 : -1;
      bool gap = evening ? k.body_gap_up(i - 1, i - 2) : k.body_gap_down(i - 1, i - 2);
      bool third = evening ? (k.color(i) == -1 && k.c[i] < k.c[i - 2] - k.body(i - 2) * p[0])
                           : (k.color(i) == 1 && k.c[i] > k.c[i - 2] + k.body(i - 2) * p[0]);
      return k.color(i - 2) == first && k.body(i - 2) > a[0] && k.body(i - 1) <= a[1] && gap && k.body(i) > a[2] && third
                 ? (evening ? -100 : 100) : 0;
    });
  };
  ps.push_back({"CDLEVENINGDOJISTAR", max_avg({BodyDoji, BodyLong, BodyShort}) + 2,
                {{BodyLong, 2}, {BodyDoji, 1}, {BodyShort, 0}}, star(true), true, 0.3});
  ps.push_back({"CDLEVENINGSTAR", max_avg({BodyShort, BodyLong}) + 2, {{BodyLong, 2}, {BodyShort, 1}, {BodyShort, 0}},
                star(true), true, 0.3});
  ps.push_back({"CDLMORNINGDOJISTAR", max_avg({BodyDoji, BodyLong, BodyShort}) + 2,
                {{BodyLong, 2}, {BodyDoji, 1}, {BodyShort, 0}}, star(false), true, 0.3});
  ps.push_back({"CDLMORNINGSTAR", max_avg({BodyShort, BodyLong}) + 2, {{BodyLong, 2}, {BodyShort, 1}, {BodyShort, 0}},
                star(false), true, 0.3});
  ps.push_back({"CDLGAPSIDESIDEWHITE", max_avg({Near, Equal}) + 2, {{Near, 1}, {Equal, 1}},
                [](K k, std::size_t i, V a, const double*) {
                  bool up = k.body_gap_up(i - 1, i - 2) && k.body_gap_up(i, i - 2);
                  bool down = k.body_gap_down(i - 1, i - 2) && k.body_gap_down(i, i - 2);
                  return (up || down) && k.color(i - 1) == 1 && k.color(i) == 1 && k.body(i) >= k.body(i - 1) - a[0] &&
                                 k.body(i) <= k.body(i - 1) + a[0] && k.o[i] >= k.o[i - 1] - a[1] && k.o[i] <= k.o[i - 1] + a[1]
                             ? (k.body_gap_up(i - 1, i - 2) ? 100 : -100) : 0;
                }});
  ps.push_back({"CDLIDENTICAL3CROWS", max_avg({ShadowVeryShort, Equal}) + 2,
                {{ShadowVeryShort, 2}, {ShadowVeryShort, 1}, {ShadowVeryShort, 0}, {Equal, 2}, {Equal, 1}},
                [](K k, std::size_t i, V a, const double*) {
                  return k.color(i - 2) == -1 && k.lower(i - 2) < a[0] && k.color(i - 1) == -1 && k.lower(i - 1) < a[1] &&
                                 k.color(i) == -1 && k.lower(i) < a[2] && k.c[i - 2] > k.c[i - 1] && k.c[i - 1] > k.c[i] &&
                                 k.o[i - 1] <= k.c[i - 2] + a[3] && k.o[i - 1] >= k.c[i - 2] - a[3] &&
                                 k.o[i] <= k.c[i - 1] + a[4] && k.o[i] >= k.c[i - 1] - a[4]
                             ? -100 : 0;
                }});
  ps.push_back({"CDLSTALLEDPATTERN", max_avg({BodyLong, BodyShort, ShadowVeryShort, Near}) + 2,
                {{BodyLong, 2}, {BodyLong, 1}, {BodyShort, 0}, {ShadowVeryShort, 1}, {Near, 2}, {Near, 1}},
                [](K k, std::size_t i, V a, const double*) {
                  return k.color(i - 2) == 1 && k.color(i - 1) == 1 && k.color(i) == 1 && k.c[i] > k.c[i - 1] &&
                                 k.c[i - 1] > k.c[i - 2] && k.body(i - 2) > a[0] && k.body(i - 1) > a[1] &&
                                 k.upper(i - 1) < a[3] && k.o[i - 1] > k.o[i - 2] && k.o[i - 1] <= k.c[i - 2] + a[4] &&
                                 k.body(i) < a[2] && k.o[i] >= k.c[i - 1] - k.body(i) - a[5]
                             ? -100 : 0;
                }});
  ps.push_back({"CDLSTICKSANDWICH", max_avg({Equal}) + 2, {{Equal, 2}},
                [](K k, std::size_t i, V a, const double*) {
                  return k.color(i - 2) == -1 && k.color(i - 1) == 1 && k.color(i) == -1 && k.l[i - 1] > k.c[i - 2] &&
                                 k.c[i] <= k.c[i - 2] + a[0] && k.c[i] >= k.c[i - 2] - a[0]
                             ? 100 : 0;
                }});
  ps.push_back({"CDLTASUKIGAP", max_avg({Near}) + 2, {{Near, 1}},
                [](K k, std::size_t i, V a, const double*) {
                  bool up = k.body_gap_up(i - 1, i - 2) && k.color(i - 1) == 1 && k.color(i) == -1 && k.o[i] < k.c[i - 1] &&
                            k.o[i] > k.o[i - 1] && k.c[i] < k.o[i - 1] && k.c[i] > k.top(i - 2) &&
                            std::fabs(k.body(i - 1) - k.body(i)) < a[0];
                  bool down = k.body_gap_down(i - 1, i - 2) && k.color(i - 1) == -1 && k.color(i) == 1 && k.o[i] < k.o[i - 1] &&
                              k.o[i] > k.c[i - 1] && k.c[i] > k.o[i - 1] && k.c[i] < k.bottom(i - 2) &&
                              std::fabs(k.body(i - 1) - k.body(i)) < a[0];
                  return up || down ? k.color(i - 1) * 100 : 0;
                }});
  ps.push_back({"CDLTRISTAR", max_avg({BodyDoji}) + 2, {{BodyDoji, 2}},
                [](K k, std::size_t i, V a, const double*) {
                  if (!(k.body(i - 2) <= a[0] && k.body(i - 1) <= a[0] && k.body(i) <= a[0])) return 0;
                  int r = 0;
                  if (k.body_gap_up(i - 1, i - 2) && k.top(i) < k.top(i - 1)) r = -100;
                  if (k.body_gap_down(i - 1, i - 2) && k.bottom(i) > k.bottom(i - 1)) r = 100;
                  return r;
                }});
  ps.push_back({"CDLUNIQUE3RIVER", max_avg({BodyShort, BodyLong}) + 2, {{BodyLong, 2}, {BodyShort, 0}},
                [](K k, std::size_t i, V a, const double*) {
                  return k.body(i - 2) > a[0] && k.color(i - 2) == -1 && k.color(i - 1) == -1 && k.c[i - 1] > k.c[i - 2] &&
                                 k.o[i - 1] <= k.o[i - 2] && k.l[i - 1] < k.l[i - 2] && k.body(i) < a[1] &&
                                 k.color(i) == 1 && k.o[i] > k.l[i - 1]
                             ? 100 : 0;
                }});
  ps.push_back({"CDLUPSIDEGAP2CROWS", max_avg({BodyShort, BodyLong}) + 2, {{BodyLong, 2}, {BodyShort, 1}},
                [](K k, std::size_t i, V a, const double*) {
                  return k.color(i - 2) == 1 && k.body(i - 2) > a[0] && k.color(i - 1) == -1 && k.body(i - 1) <= a[1] &&
                                 k.body_gap_up(i - 1, i - 2) && k.color(i) == -1 && k.o[i] > k.o[i - 1] &&
                                 k.c[i] < k.c[i - 1] && k.c[i] > k.c[i - 2]
                             ? -100 : 0;
                }});
  ps.push_back({"CDLXSIDEGAP3METHODS", 2, {},
                [](K k, std::size_t i, V, const double*) {
                  return k.color(i - 2) == k.color(i - 1) && k.color(i - 1) == -k.color(i) && k.o[i] < k.top(i - 1) &&
                                 k.o[i] > k.bottom(i - 1) && k.c[i] < k.top(i - 2) && k.c[i] > k.bottom(i - 2) &&
                                 ((k.color(i - 2) == 1 && k.body_gap_up(i - 1, i - 2)) ||
                                  (k.color(i - 2) == -1 && k.body_gap_down(i - 1, i - 2)))
                             ? k.color(i - 2) * 100 : 0;
                }});
  // ---- four and five candles ----------------------------------------------------------------------
  ps.push_back({"CDL3BLACKCROWS", max_avg({ShadowVeryShort}) + 3,
                {{ShadowVeryShort, 2}, {ShadowVeryShort, 1}, {ShadowVeryShort, 0}},
                [](K k, std::size_t i, V a, const double*) {
                  return k.color(i - 3) == 1 && k.color(i - 2) == -1 && k.lower(i - 2) < a[0] && k.color(i - 1) == -1 &&
                                 k.lower(i - 1) < a[1] && k.color(i) == -1 && k.lower(i) < a[2] && k.o[i - 1] < k.o[i - 2] &&
                                 k.o[i - 1] > k.c[i - 2] && k.o[i] < k.o[i - 1] && k.o[i] > k.c[i - 1] &&
                                 k.h[i - 3] > k.c[i - 2] && k.c[i - 2] > k.c[i - 1] && k.c[i - 1] > k.c[i]
                             ? -100 : 0;
                }});
  ps.push_back({"CDL3LINESTRIKE", max_avg({Near}) + 3, {{Near, 3}, {Near, 2}},
                [](K k, std::size_t i, V a, const double*) {
                  const int c1 = k.color(i - 1);
                  bool base = k.color(i - 3) == c1 && k.color(i - 2) == c1 && k.color(i) == -c1 &&
                              k.o[i - 2] >= k.bottom(i - 3) - a[0] && k.o[i - 2] <= k.top(i - 3) + a[0] &&
                              k.o[i - 1] >= k.bottom(i - 2) - a[1] && k.o[i - 1] <= k.top(i - 2) + a[1];
                  if (!base) return 0;
                  bool ok = c1 == 1 ? (k.c[i - 1] > k.c[i - 2] && k.c[i - 2] > k.c[i - 3] && k.o[i] > k.c[i - 1] && k.c[i] < k.o[i - 3])
                                    : (k.c[i - 1] < k.c[i - 2] && k.c[i - 2] < k.c[i - 3] && k.o[i] < k.c[i - 1] && k.c[i] > k.o[i - 3]);
                  return ok ? c1 * 100 : 0;
                }});
  ps.push_back({"CDLCONCEALBABYSWALL", max_avg({ShadowVeryShort}) + 3,
                {{ShadowVeryShort, 3}, {ShadowVeryShort, 2}, {ShadowVeryShort, 1}},
                [](K k, std::size_t i, V a, const double*) {
                  return k.color(i - 3) == -1 && k.color(i - 2) == -1 && k.color(i - 1) == -1 && k.color(i) == -1 &&
                                 k.lower(i - 3) < a[0] && k.upper(i - 3) < a[0] && k.lower(i - 2) < a[1] && k.upper(i - 2) < a[1] &&
                                 k.body_gap_down(i - 1, i - 2) && k.upper(i - 1) > a[2] && k.h[i - 1] > k.c[i - 2] &&
                                 k.h[i] > k.h[i - 1] && k.l[i] < k.l[i - 1]
                             ? 100 : 0;
                }});
  ps.push_back({"CDLBREAKAWAY", max_avg({BodyLong}) + 4, {{BodyLong, 4}},
                [](K k, std::size_t i, V a, const double*) {
                  if (!(k.body(i - 4) > a[0] && k.color(i - 4) == k.color(i - 3) && k.color(i - 3) == k.color(i - 1) &&
                        k.color(i - 1) == -k.color(i)))
                    return 0;
                  bool down = k.color(i - 4) == -1 && k.body_gap_down(i - 3, i - 4) && k.h[i - 2] < k.h[i - 3] &&
                              k.l[i - 2] < k.l[i - 3] && k.h[i - 1] < k.h[i - 2] && k.l[i - 1] < k.l[i - 2] &&
                              k.c[i] > k.o[i - 3] && k.c[i] < k.c[i - 4];
                  bool up = k.color(i - 4) == 1 && k.body_gap_up(i - 3, i - 4) && k.h[i - 2] > k.h[i - 3] &&
                            k.l[i - 2] > k.l[i - 3] && k.h[i - 1] > k.h[i - 2] && k.l[i - 1] > k.l[i - 2] &&
                            k.c[i] < k.o[i - 3] && k.c[i] > k.c[i - 4];
                  return down || up ? k.color(i) * 100 : 0;
                }});
  ps.push_back({"CDLLADDERBOTTOM", max_avg({ShadowVeryShort}) + 4, {{ShadowVeryShort, 1}},
                [](K k, std::size_t i, V a, const double*) {
                  return k.color(i - 4) == -1 && k.color(i - 3) == -1 && k.color(i - 2) == -1 && k.o[i - 4] > k.o[i - 3] &&
                                 k.o[i - 3] > k.o[i - 2] && k.c[i - 4] > k.c[i - 3] && k.c[i - 3] > k.c[i - 2] &&
                                 k.color(i - 1) == -1 && k.upper(i - 1) > a[0] && k.color(i) == 1 && k.o[i] > k.o[i - 1] &&
                                 k.c[i] > k.h[i - 1]
                             ? 100 : 0;
                }});
  ps.push_back({"CDLMATHOLD", max_avg({BodyShort, BodyLong}) + 4,
                {{BodyLong, 4}, {BodyShort, 3}, {BodyShort, 2}, {BodyShort, 1}},
                [](K k, std::size_t i, V a, const double* p) {
                  const double pen = k.body(i - 4) * p[0];
                  return k.body(i - 4) > a[0] && k.body(i - 3) < a[1] && k.body(i - 2) < a[2] && k.body(i - 1) < a[3] &&
                                 k.color(i - 4) == 1 && k.color(i - 3) == -1 && k.color(i) == 1 &&
                                 k.body_gap_up(i - 3, i - 4) && k.bottom(i - 2) < k.c[i - 4] && k.bottom(i - 1) < k.c[i - 4] &&
                                 k.bottom(i - 2) > k.c[i - 4] - pen && k.bottom(i - 1) > k.c[i - 4] - pen &&
                                 k.top(i - 2) < k.o[i - 3] && k.top(i - 1) < k.top(i - 2) && k.o[i] > k.c[i - 1] &&
                                 k.c[i] > std::max({k.h[i - 3], k.h[i - 2], k.h[i - 1]})
                             ? 100 : 0;
                },
                true, 0.5});
  ps.push_back({"CDLRISEFALL3METHODS", max_avg({BodyShort, BodyLong}) + 4,
                {{BodyLong, 4}, {BodyShort, 3}, {BodyShort, 2}, {BodyShort, 1}, {BodyLong, 0}},
                [](K k, std::size_t i, V a, const double*) {
                  const int c4 = k.color(i - 4);
                  return k.body(i - 4) > a[0] && k.body(i - 3) < a[1] && k.body(i - 2) < a[2] && k.body(i - 1) < a[3] &&
                                 k.body(i) > a[4] && c4 == -k.color(i - 3) && k.color(i - 3) == k.color(i - 2) &&
                                 k.color(i - 2) == k.color(i - 1) && k.color(i - 1) == -k.color(i) &&
                                 k.bottom(i - 3) < k.h[i - 4] && k.top(i - 3) > k.l[i - 4] && k.bottom(i - 2) < k.h[i - 4] &&
                                 k.top(i - 2) > k.l[i - 4] && k.bottom(i - 1) < k.h[i - 4] && k.top(i - 1) > k.l[i - 4] &&
                                 k.c[i - 2] * c4 < k.c[i - 3] * c4 && k.c[i - 1] * c4 < k.c[i - 2] * c4 &&
                                 k.o[i] * c4 > k.c[i - 1] * c4 && k.c[i] * c4 > k.c[i - 4] * c4
                             ? 100 * c4 : 0;
                }});
  return ps;
}

// Hikkake (inside bar, then a false breakout) and its modified form; a later close beyond the
// inside bar's range within 3 bars confirms it (±200). State carries across rows, so these two
// have their own loops, warmed over the 3 rows before the first output as TA-Lib does.
template <bool Modified>
void hikkake_fn(const Inputs& in, const double*, double* const* out) {
  Candles k{in.open.data(), in.high.data(), in.low.data(), in.close.data()};
  const double* h = k.h;
  const double* l = k.l;
  const double* c = k.c;
  const std::size_t n = in.size(), start = Modified ? std::size_t(std::max(1, Near.avg) + 5) : 5;
  Avg near{Near, 2};
  if (Modified) near.init(k, start - 3);
  int result = 0;
  std::size_t pattern_idx = 0;
  for (std::size_t i = start - 3; i < n; ++i) {
    bool inside = h[i - 1] < h[i - 2] && l[i - 1] > l[i - 2];
    bool found;
    if (Modified) {
      const double a = near.at(k, i);
      found = h[i - 2] < h[i - 3] && l[i - 2] > l[i - 3] && inside &&
              ((h[i] < h[i - 1] && l[i] < l[i - 1] && c[i - 2] <= l[i - 2] + a) ||
               (h[i] > h[i - 1] && l[i] > l[i - 1] && c[i - 2] >= h[i - 2] - a));
    } else {
      found = inside && ((h[i] < h[i - 1] && l[i] < l[i - 1]) || (h[i] > h[i - 1] && l[i] > l[i - 1]));
    }
    double value = 0;
    if (found) {
      result = 100 * (h[i] < h[i - 1] ? 1 : -1);
      pattern_idx = i;
      value = result;
    } else if (i <= pattern_idx + 3 && ((result > 0 && c[i] > h[pattern_idx - 1]) || (result < 0 && c[i] < l[pattern_idx - 1]))) {
      value = result + 100 * (result > 0 ? 1 : -1);
      pattern_idx = 0;
    }
    if (i >= start) out[0][i] = value;
    if (Modified) near.next(k, i);
  }
}

const std::vector<PatternDef>& table_of_patterns() {
  static const std::vector<PatternDef> t = patterns();
  return t;
}

template <std::size_t I>
void pattern_fn(const Inputs& in, const double* p, double* const* out) {
  run_pattern(table_of_patterns()[I], in, p, out[0]);
}

template <std::size_t... I>
void register_all(std::vector<FunctionDef>& fs, std::index_sequence<I...>) {
  (
      [&] {
        const auto& d = table_of_patterns()[I];
        std::vector<ParamDef> params;
        if (d.penetration) params.push_back({"optInPenetration", "penetration", d.default_penetration, 0, 3e37, false});
        fs.push_back({d.name, "Pattern Recognition", {"open", "high", "low", "close"}, params, {"outInteger"}, true,
                      [](const double*) { return table_of_patterns()[I].lookback; }, pattern_fn<I>, nullptr, finite_memory});
      }(),
      ...);
}

}  // namespace

void register_candles(std::vector<FunctionDef>& fs) {
  constexpr std::size_t kPatterns = 59;  // the table above, without the two Hikkakes
  if (table_of_patterns().size() != kPatterns) throw std::logic_error("candle pattern table size changed");
  register_all(fs, std::make_index_sequence<kPatterns>{});
  fs.push_back({"CDLHIKKAKE", "Pattern Recognition", {"open", "high", "low", "close"}, {}, {"outInteger"}, true,
                [](const double*) { return 5; }, hikkake_fn<false>, nullptr, finite_memory});
  fs.push_back({"CDLHIKKAKEMOD", "Pattern Recognition", {"open", "high", "low", "close"}, {}, {"outInteger"}, true,
                [](const double*) { return std::max(1, Near.avg) + 5; }, hikkake_fn<true>, nullptr, finite_memory});
}

}  // namespace sextant::analytics::ta
