#pragma once
// HTTP adapter of the analytics engine (port 8100): JSON in, library calls, JSON out.
#include "sextant/net/route_table.hpp"

namespace sextant::analytics {

void add_routes(net::RouteTable& table);
//! POST /indicators (src/analytics/indicators_routes.cpp); add_routes includes it.
void add_indicator_routes(net::RouteTable& table);

}  // namespace sextant::analytics
