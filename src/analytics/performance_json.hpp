#pragma once
// The performance statistics as the services read and write them: /performance, /analytics, and the
// portfolio engine's /attribution.
#include "sextant/analytics/performance.hpp"
#include "sextant/net/json.hpp"
#include "sextant/service/fields.hpp"
#include "sextant/service/route.hpp"

namespace sextant::analytics {

//! periods_per_year, risk_free_rate, confidence.
void declare_performance_options(service::Fields& in, PerformanceOptions& opt);
void write_performance(net::JsonWriter& w, const PerformanceStats& s);
//! A warning naming the statistics that are undefined (null) and why: zero volatility, no losses, ...
void warn_undefined_statistics(const PerformanceStats& s, service::Reply& out);

}  // namespace sextant::analytics
