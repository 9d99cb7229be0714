#pragma once
// HTTP adapter of the risk engine (port 8200).
#include <memory>

#include "sextant/bus/bus.hpp"
#include "sextant/net/route_table.hpp"

namespace sextant::risk {

//! `bus` receives `risk_alert` envelopes on risk.alerts (margin HIGH or CRITICAL); may be null.
void add_routes(net::RouteTable& table, std::shared_ptr<bus::Bus> bus);

}  // namespace sextant::risk
