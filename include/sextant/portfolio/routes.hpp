#pragma once
// HTTP adapter of the portfolio engine (port 8900).
#include "sextant/net/route_table.hpp"

namespace sextant::portfolio {

void add_routes(net::RouteTable& table);

}  // namespace sextant::portfolio
