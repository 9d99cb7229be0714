#pragma once
// HTTP adapter of the risk engine (port 8200).
#include "sextant/net/route_table.hpp"

namespace sextant::risk {

void add_routes(net::RouteTable& table);

}  // namespace sextant::risk
