// Bars from CSV (data/bar_csv.hpp).
#include "sextant/data/bar_csv.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <fstream>

#include "sextant/core/error.hpp"

namespace sextant::data {

namespace {

std::vector<std::string_view> split(std::string_view line) {
  std::vector<std::string_view> out;
  while (true) {
    const auto comma = line.find(',');
    std::string_view cell = line.substr(0, comma);
    while (!cell.empty() && (cell.front() == ' ' || cell.front() == '"')) cell.remove_prefix(1);
    while (!cell.empty() && (cell.back() == ' ' || cell.back() == '"' || cell.back() == '\r')) cell.remove_suffix(1);
    out.push_back(cell);
    if (comma == std::string_view::npos) break;
    line.remove_prefix(comma + 1);
  }
  return out;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool missing(std::string_view s) { return s.empty() || s == "NA" || s == "NaN" || s == "nan" || s == "null"; }

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
  std::vector<std::string> header;  // copies: `line` is reused for the rows
  for (auto h : split(line)) header.emplace_back(h);
  std::vector<std::string> names;
  for (const auto& h : header) names.push_back(lower(h));
  auto col = [&](std::initializer_list<const char*> options) -> int {
    for (const char* o : options)
      for (std::size_t i = 0; i < names.size(); ++i)
        if (names[i] == o) return int(i);
    return -1;
  };
  const int c_open = col({"open"}), c_high = col({"high"}), c_low = col({"low"}), c_close = col({"close"}), c_vol = col({"volume"});
  const int c_time = col({"date", "time", "timestamp", "datetime", "ts_ns"}), c_sym = col({"symbol", "ticker"});
  const bool long_form = c_close >= 0;
  if (long_form && (c_open < 0 || c_high < 0 || c_low < 0 || c_vol < 0 || c_time < 0))
    fail(ErrorCode::invalid_argument, "line 1", "an OHLCV file needs date, open, high, low, close and volume columns");
  std::vector<bus::MarketBar> bars;
  std::size_t lineno = 1;
  while (std::getline(in, line)) {
    ++lineno;
    if (line.empty() || line == "\r") continue;
    const auto cells = split(line);
    if (cells.size() != header.size())
      fail(ErrorCode::invalid_argument, "line " + std::to_string(lineno), "{} cells where the header has {}", cells.size(), header.size());
    const std::string where = "line " + std::to_string(lineno);
    if (long_form) {
      bus::MarketBar b;
      b.symbol = c_sym >= 0 ? std::string(cells[std::size_t(c_sym)]) : default_symbol;
      b.ts_ns = parse_time_ns(cells[std::size_t(c_time)], where + " " + names[std::size_t(c_time)]);
      if (missing(cells[std::size_t(c_close)])) continue;
      b.open = number(cells[std::size_t(c_open)], where + " open");
      b.high = number(cells[std::size_t(c_high)], where + " high");
      b.low = number(cells[std::size_t(c_low)], where + " low");
      b.close = number(cells[std::size_t(c_close)], where + " close");
      b.volume = number(cells[std::size_t(c_vol)], where + " volume");
      bars.push_back(std::move(b));
    } else {
      const std::int64_t ts = parse_time_ns(cells[0], where + " " + names[0]);
      for (std::size_t j = 1; j < cells.size(); ++j) {
        if (missing(cells[j])) continue;
        const double c = number(cells[j], where + " " + header[j]);
        bars.push_back({header[j], ts, c, c, c, c, 0});
      }
    }
  }
  std::stable_sort(bars.begin(), bars.end(), [](const auto& a, const auto& b) {
    return a.ts_ns != b.ts_ns ? a.ts_ns < b.ts_ns : a.symbol < b.symbol;
  });
  return bars;
}

}  // namespace sextant::data
