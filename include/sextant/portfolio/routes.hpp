#pragma once
// HTTP adapter of the portfolio engine (port 8900).
#include <memory>

#include "sextant/bus/bus.hpp"
#include "sextant/net/route_table.hpp"

namespace sextant::portfolio {

//! `bus` receives `portfolio_update` envelopes on portfolio.rebalance (urgency HIGH or CRITICAL); may be null.
void add_routes(net::RouteTable& table, std::shared_ptr<bus::Bus> bus);

}  // namespace sextant::portfolio
