#include "sextant/service/store.hpp"

#include "sextant/core/error.hpp"

namespace sextant::service {

data::BarWindow store_window(const data::BarStore& store, const std::vector<std::string>& symbols, std::int64_t bars) {
  if (symbols.empty()) fail(ErrorCode::invalid_argument, "symbols", "name at least one symbol of the market data store");
  if (bars < 2 || bars > kMaxStoreBars) fail(ErrorCode::invalid_argument, "bars", "'bars' must be in 2..{}", kMaxStoreBars);
  data::BarWindow w = store.window(symbols, std::size_t(bars) + 1);
  if (w.ts_ns.size() < 3)
    fail(ErrorCode::invalid_argument, "bars", "the store holds {} common bars of these symbols; at least 3 are needed", w.ts_ns.size());
  return w;
}

Matrix store_closes(const data::BarStore& store, const std::vector<std::string>& symbols, std::int64_t bars) {
  return std::move(store_window(store, symbols, bars).close);
}

}  // namespace sextant::service
