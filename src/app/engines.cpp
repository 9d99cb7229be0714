// The engine table: an engine is one row here (its registration function is its folder's routes.cpp).
#include "sextant/app/serve.hpp"

namespace sextant {
namespace analytics { void register_engine(service::EngineContext&); }
namespace risk { void register_engine(service::EngineContext&); }
namespace features { void register_engine(service::EngineContext&); }
namespace ml { void register_engine(service::EngineContext&); }
namespace portfolio { void register_engine(service::EngineContext&); }
namespace stream { void register_engine(service::EngineContext&); }
}  // namespace sextant

namespace sextant::app {

std::span<const service::EngineRow> engine_table() {
  static constexpr service::EngineRow rows[] = {
      {"analytics", 8100, analytics::register_engine},
      {"risk", 8200, risk::register_engine},
      {"ml", 8400, ml::register_engine},
      {"features", 8500, features::register_engine},
      {"stream", 8600, stream::register_engine},
      {"portfolio", 8900, portfolio::register_engine},
  };
  return rows;
}

}  // namespace sextant::app
