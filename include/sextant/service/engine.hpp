#pragma once
// An engine is one row: {name, base port, registration function}. `sextant serve` loops over the table
// (src/app/engines.cpp); each row's function adds the engine's routes through its EngineContext. The
// common endpoints (/health, /metrics, /api/v1/sme/...) are added for every row by the app.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "sextant/bus/bus.hpp"
#include "sextant/core/clock.hpp"
#include "sextant/core/config.hpp"
#include "sextant/data/bar_store.hpp"
#include "sextant/net/common_routes.hpp"
#include "sextant/net/route_table.hpp"

namespace sextant::service {

//! What the process shares between its engines.
struct SharedStores {
  std::shared_ptr<net::EngineRegistry> engines;  //!< every engine served, its port and routes
  //! Every bar seen on marketdata.bars.* (from the simulator, a replay or any bus client).
  std::shared_ptr<data::BarStore> bars = std::make_shared<data::BarStore>();
};

//! What an engine's registration function is given.
struct EngineContext {
  std::string_view name;           //!< the engine's row name
  net::RouteTable& routes;         //!< add the engine's routes here
  std::shared_ptr<bus::Bus> bus;   //!< never null
  const Config& config;
  SharedStores& stores;
  const Clock& clock;
};

using RegisterFn = void (*)(EngineContext&);

struct EngineRow {
  std::string_view name;
  std::uint16_t base_port;
  RegisterFn register_routes;  //!< null: the common endpoints only
};

}  // namespace sextant::service
