// The market data store (bar_store.hpp).
#include "sextant/data/bar_store.hpp"

#include <algorithm>
#include <cmath>

#include "sextant/core/error.hpp"

namespace sextant::data {

BarStore::BarStore(std::size_t capacity) : capacity_(capacity) {
  if (capacity < 1) fail(ErrorCode::invalid_argument, "capacity", "a store keeps at least one bar per symbol");
}

Ingest BarStore::add(const bus::MarketBar& b) {
  auto reject = [&](const char* field, const char* why) {
    {
      std::unique_lock lock(m_);
      ++stats_.rejected;
    }
    fail(ErrorCode::invalid_argument, field, "bar {} at {}: {}", b.symbol, b.ts_ns, why);
  };
  if (b.symbol.empty()) reject("symbol", "has no symbol");
  for (auto [v, name] : {std::pair{b.open, "open"}, {b.high, "high"}, {b.low, "low"}, {b.close, "close"}, {b.volume, "volume"}})
    if (!std::isfinite(v)) reject(name, "is not a finite number");
  if (b.low > b.high) reject("low", "is above high");
  if (b.open < b.low || b.open > b.high) reject("open", "is outside [low, high]");
  if (b.close < b.low || b.close > b.high) reject("close", "is outside [low, high]");
  if (b.volume < 0) reject("volume", "is negative");
  std::unique_lock lock(m_);
  auto it = rings_.find(b.symbol);
  if (it == rings_.end()) {
    it = rings_.emplace(b.symbol, Ring{}).first;
    it->second.bars.resize(capacity_);
  }
  Ring& r = it->second;
  if (r.count > 0) {
    const bus::MarketBar& last = r.at(r.count - 1);
    if (b.ts_ns < last.ts_ns) return ++stats_.stale, Ingest::stale;
    if (b.ts_ns == last.ts_ns) {
      r.bars[(r.head + r.count - 1) % capacity_] = b;
      return ++stats_.replaced, Ingest::replaced;
    }
  }
  if (r.count < capacity_) {
    r.bars[(r.head + r.count) % capacity_] = b;
    ++r.count;
  } else {
    r.bars[r.head] = b;  // over the oldest
    r.head = (r.head + 1) % capacity_;
  }
  return ++stats_.appended, Ingest::appended;
}

std::vector<std::string> BarStore::symbols() const {
  std::shared_lock lock(m_);
  std::vector<std::string> out;
  for (const auto& [s, r] : rings_) out.push_back(s);
  return out;
}

std::size_t BarStore::size(const std::string& symbol) const {
  std::shared_lock lock(m_);
  auto it = rings_.find(symbol);
  return it == rings_.end() ? 0 : it->second.count;
}

BarStore::Stats BarStore::stats() const {
  std::shared_lock lock(m_);
  return stats_;
}

std::vector<bus::MarketBar> BarStore::last(const std::string& symbol, std::size_t n) const {
  std::shared_lock lock(m_);
  auto it = rings_.find(symbol);
  if (it == rings_.end() || it->second.count == 0)
    fail(ErrorCode::not_found, "symbol", "no bars for '{}' in the market data store", symbol);
  const Ring& r = it->second;
  const std::size_t k = std::min(n, r.count);
  std::vector<bus::MarketBar> out;
  out.reserve(k);
  for (std::size_t i = r.count - k; i < r.count; ++i) out.push_back(r.at(i));
  return out;
}

BarWindow BarStore::window(const std::vector<std::string>& symbols, std::size_t window) const {
  if (window == 0) fail(ErrorCode::invalid_argument, "window", "must be at least 1 bar");
  if (symbols.empty()) fail(ErrorCode::invalid_argument, "symbols", "name at least one symbol");
  std::shared_lock lock(m_);
  std::vector<const Ring*> rings;
  for (std::size_t j = 0; j < symbols.size(); ++j) {
    auto it = rings_.find(symbols[j]);
    if (it == rings_.end() || it->second.count == 0)
      fail(ErrorCode::not_found, "symbols[" + std::to_string(j) + "]", "no bars for '{}' in the market data store", symbols[j]);
    rings.push_back(&it->second);
  }
  // Common timestamps: walk back from each ring's newest bar, keeping those every symbol has.
  std::vector<std::size_t> pos;
  for (const Ring* r : rings) pos.push_back(r->count);
  std::vector<std::vector<std::size_t>> picked(rings.size());
  std::vector<std::int64_t> ts;
  while (ts.size() < window) {
    bool any_left = true;
    std::int64_t t = INT64_MAX;
    for (std::size_t j = 0; j < rings.size(); ++j) {
      if (pos[j] == 0) {
        any_left = false;
        break;
      }
      t = std::min(t, rings[j]->at(pos[j] - 1).ts_ns);
    }
    if (!any_left) break;
    // Every ring steps back past bars newer than t; if all have t, it is common.
    bool common = true;
    for (std::size_t j = 0; j < rings.size(); ++j) {
      while (pos[j] > 0 && rings[j]->at(pos[j] - 1).ts_ns > t) --pos[j];
      if (pos[j] == 0 || rings[j]->at(pos[j] - 1).ts_ns != t) common = false;
    }
    if (!common) continue;
    ts.push_back(t);
    for (std::size_t j = 0; j < rings.size(); ++j) picked[j].push_back(--pos[j]);
  }
  std::reverse(ts.begin(), ts.end());
  const std::size_t T = ts.size(), N = symbols.size();
  BarWindow w{symbols, ts, Matrix(T, N), Matrix(T, N), Matrix(T, N), Matrix(T, N), Matrix(T, N)};
  for (std::size_t j = 0; j < N; ++j)
    for (std::size_t k = 0; k < T; ++k) {
      const bus::MarketBar& b = rings[j]->at(picked[j][T - 1 - k]);
      w.open(k, j) = b.open, w.high(k, j) = b.high, w.low(k, j) = b.low, w.close(k, j) = b.close, w.volume(k, j) = b.volume;
    }
  return w;
}

}  // namespace sextant::data
