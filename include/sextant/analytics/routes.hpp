#pragma once
// HTTP adapter of the analytics engine (port 8100): JSON in, library calls, JSON out.
#include "sextant/analytics/performance.hpp"
#include "sextant/net/json.hpp"
#include "sextant/net/route_table.hpp"

namespace sextant::analytics {

void add_routes(net::RouteTable& table);
//! POST /indicators (src/analytics/indicators_routes.cpp); add_routes includes it.
void add_indicator_routes(net::RouteTable& table);

//! The performance statistics object of /performance (also used by the portfolio engine's /attribution).
void write_performance(net::JsonWriter& w, const PerformanceStats& s);
//! Reads periods_per_year / risk_free_rate / confidence; false when `k` is none of them.
bool read_performance_option(std::string_view k, net::od::value v, PerformanceOptions& opt);

}  // namespace sextant::analytics
