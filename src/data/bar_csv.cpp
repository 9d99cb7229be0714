// Bars from CSV (data/bar_csv.hpp).
#include "sextant/data/bar_csv.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <fstream>

#include "sextant/core/error.hpp"
#include "sextant/data/csv.hpp"
#include "csv_cells.hpp"

namespace sextant::data {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

double number(std::string_view s, const std::string& where) {
  double v = 0;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size() || !std::isfinite(v))
    fail(ErrorCode::invalid_argument, where, "'{}' is not a finite number", s);
  return v;
}

// Days since 1970-01-01 of a civil date (proleptic Gregorian).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = unsigned(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + std::int64_t(doe) - 719468;
}

}  // namespace

std::int64_t parse_time_ns(std::string_view s, std::string_view field) {
  const std::string f(field);
  if (s.size() >= 10 && s[4] == '-' && s[7] == '-') {
    auto num = [&](std::size_t at, std::size_t len) {
      int v = 0;
      const auto r = std::from_chars(s.data() + at, s.data() + at + len, v);
      if (r.ec != std::errc() || r.ptr != s.data() + at + len) fail(ErrorCode::invalid_argument, f, "'{}' is not a date", s);
      return v;
    };
    const int y = num(0, 4), m = num(5, 2), d = num(8, 2);
    if (m < 1 || m > 12 || d < 1 || d > 31) fail(ErrorCode::invalid_argument, f, "'{}' is not a date", s);
    std::int64_t secs = days_from_civil(y, unsigned(m), unsigned(d)) * 86400;
    if (s.size() > 10) {
      if (s.size() < 19 || (s[10] != ' ' && s[10] != 'T') || s[13] != ':' || s[16] != ':')
        fail(ErrorCode::invalid_argument, f, "'{}' is not YYYY-MM-DD or YYYY-MM-DD HH:MM:SS", s);
      secs += num(11, 2) * 3600 + num(14, 2) * 60 + num(17, 2);
    }
    return secs * 1000000000;
  }
  std::int64_t v = 0;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size() || v < 0)
    fail(ErrorCode::invalid_argument, f, "'{}' is neither a date nor an epoch time", s);
  if (v < 100000000000LL) return v * 1000000000;   // seconds (until year 5138)
  if (v < 100000000000000LL) return v * 1000000;   // milliseconds
  if (v < 100000000000000000LL) return v * 1000;   // microseconds
  return v;                                        // nanoseconds
}

std::vector<bus::MarketBar> read_bars_csv(const std::string& path, const std::string& default_symbol) {
  std::ifstream in(path);
  if (!in) fail(ErrorCode::io, "file", "cannot read '{}'", path);
  std::string line;
  if (!std::getline(in, line)) fail(ErrorCode::invalid_argument, "line 1", "'{}' is empty", path);
  std::vector<std::string> names;
  for (auto h : csv::split(line)) names.push_back(lower(csv::trim(h)));
  auto col = [&](std::initializer_list<const char*> options) -> int {
    for (const char* o : options)
      for (std::size_t i = 0; i < names.size(); ++i)
        if (names[i] == o) return int(i);
    return -1;
  };
  std::vector<bus::MarketBar> bars;
  const int c_close = col({"close"});
  if (c_close < 0) {
    // Wide closes: the panel reader's layout (dates, then a column per symbol); missing cells skipped.
    in.close();
    const Panel p = read_csv_panel(path);
    for (std::size_t t = 0; t < p.index.size(); ++t) {
      const std::int64_t ts = parse_time_ns(p.index[t], "line " + std::to_string(t + 2) + " " + names[0]);
      for (std::size_t j = 0; j < p.symbols.size(); ++j) {
        const double c = p.values(t, j);
        if (!std::isnan(c)) bars.push_back({p.symbols[j], ts, c, c, c, c, 0});
      }
    }
  } else {
    const int c_open = col({"open"}), c_high = col({"high"}), c_low = col({"low"}), c_vol = col({"volume"});
    const int c_time = col({"date", "time", "timestamp", "datetime", "ts_ns"}), c_sym = col({"symbol", "ticker"});
    if (c_open < 0 || c_high < 0 || c_low < 0 || c_vol < 0 || c_time < 0)
      fail(ErrorCode::invalid_argument, "line 1", "an OHLCV file needs date, open, high, low, close and volume columns");
    std::size_t lineno = 1;
    while (std::getline(in, line)) {
      ++lineno;
      if (csv::trim(line).empty()) continue;
      const auto cells = csv::split(line);
      const std::string where = "line " + std::to_string(lineno);
      if (cells.size() != names.size())
        fail(ErrorCode::invalid_argument, where, "{} cells where the header has {}", cells.size(), names.size());
      auto cell = [&](int c) { return csv::trim(cells[std::size_t(c)]); };
      if (csv::missing(cell(c_close))) continue;
      bus::MarketBar b;
      b.symbol = c_sym >= 0 ? std::string(cell(c_sym)) : default_symbol;
      b.ts_ns = parse_time_ns(cell(c_time), where + " " + names[std::size_t(c_time)]);
      b.open = number(cell(c_open), where + " open");
      b.high = number(cell(c_high), where + " high");
      b.low = number(cell(c_low), where + " low");
      b.close = number(cell(c_close), where + " close");
      b.volume = number(cell(c_vol), where + " volume");
      bars.push_back(std::move(b));
    }
  }
  std::stable_sort(bars.begin(), bars.end(), [](const auto& a, const auto& b) {
    return a.ts_ns != b.ts_ns ? a.ts_ns < b.ts_ns : a.symbol < b.symbol;
  });
  return bars;
}

}  // namespace sextant::data
