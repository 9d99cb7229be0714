#pragma once
// A batch of TA-Lib calls over one or more instruments (the analytics engine's /indicators):
// each call names a function of the registry (ta.hpp), some of its parameters (by TA-Lib name, e.g.
// optInTimePeriod, or alias) and which series feed its inputs; every call runs on every instrument,
// instruments in parallel. Outputs are aligned to the input rows, NaN before begIndex.
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sextant/analytics/ta.hpp"

namespace sextant::analytics {

//! open, high, low, close, volume: the series an instrument may carry.
bool is_series_name(std::string_view name);
using SeriesSet = std::map<std::string, std::vector<double>>;

//! Every series non-empty, of one length, finite; errors name "<prefix>.<series>" (or the series alone).
void check_series(const SeriesSet& s, const std::string& prefix);

struct IndicatorCall {
  const ta::FunctionDef* def = nullptr;
  std::vector<double> params;              //!< one per def->params, defaults filled in
  std::vector<std::string> input_columns;  //!< one per def->inputs
  std::string label;                       //!< "indicators[i]", for errors
};

//! Resolves a call; errors name label + ".name", ".params.<p>" or ".inputs.<i>".
IndicatorCall bind_indicator(std::string_view name, const std::vector<std::pair<std::string, double>>& params,
                             const std::vector<std::pair<std::string, std::string>>& inputs, std::string label);

struct Instrument {
  std::string symbol;  //!< empty for a request's top-level series
  SeriesSet series;
};

//! results[i][j]: call j on instrument i. Refuses (SME_MEMORY_LIMIT_EXCEEDED, naming "indicators") output
//! that the memory pool cannot hold — `bytes_per_value` is what each output value will cost the caller.
//! The first error by instrument order is rethrown; `checkpoint` runs between calls.
std::vector<std::vector<ta::Result>> compute_indicators(const std::vector<Instrument>& instruments,
                                                        const std::vector<IndicatorCall>& calls, double bytes_per_value,
                                                        const std::function<void()>& checkpoint = {});

}  // namespace sextant::analytics
