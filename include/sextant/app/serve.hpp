#pragma once
// `sextant serve`: the engines of the embedded default, each on its own port, one process.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sextant/core/config.hpp"

namespace sextant::app {

struct EngineSpec {
  std::string_view name;
  std::uint16_t base_port;
};

//! The six engines and their base ports (DESIGN §4).
const std::vector<EngineSpec>& engine_specs();

//! Parses "all" or a comma list of engine names; throws Error(config) naming an unknown one.
std::vector<EngineSpec> select_engines(const std::string& list);

//! Runs until SIGINT/SIGTERM. Returns the process exit code.
int serve(const Config& cfg);

}  // namespace sextant::app
