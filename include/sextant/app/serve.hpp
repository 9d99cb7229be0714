#pragma once
// `sextant serve`: the engines of the embedded default, each on its own port, one process, one bus.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sextant/core/config.hpp"
#include "sextant/service/engine.hpp"

namespace sextant::app {

//! The engine table (src/app/engines.cpp): one row per engine, in port order.
std::span<const service::EngineRow> engine_table();

//! "analytics, risk, ml, features, stream, portfolio": the table's names, for errors and help.
std::string engine_names(std::span<const service::EngineRow> table);

//! Parses "all" or a comma list of engine names; throws Error(config) naming an unknown one.
std::vector<service::EngineRow> select_engines(const std::string& list, std::span<const service::EngineRow> table);

//! The serving process: its I/O threads, its bus, and one server per selected engine, listening once
//! constructed. Tests run one in-process with an engine table of their own.
class Platform {
 public:
  Platform(const Config& cfg, std::span<const service::EngineRow> table);
  ~Platform();
  //! Runs the I/O threads until stop() or, after handle_signals(), SIGINT/SIGTERM. Blocks.
  void run();
  void stop();
  void handle_signals();
  //! The port an engine listens on; 0 when it is not served.
  std::uint16_t port(std::string_view engine) const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

//! Runs the default table until SIGINT/SIGTERM. Returns the process exit code.
int serve(const Config& cfg);

//! `sextant replay FILE.csv`: publishes a CSV's bars (data/bar_csv.hpp) on marketdata.bars.<SYM> through
//! the configured bus, which must be Redis (an in-process bus has no one else to hear them).
struct ReplayOptions {
  std::string file;
  std::string symbol;          //!< a long OHLCV file without a symbol column: its symbol (default: the file's stem)
  std::string speed = "max";   //!< "max", or "Nx": N times as fast as the timestamps' own spacing
  std::uint64_t interval_ms = 0;  //!< instead of speed: one timestamp's bars every this many ms
  bool restamp = false;        //!< stamp each timestamp's bars with the time they are published
};
int replay(const Config& cfg, const ReplayOptions& opt);

}  // namespace sextant::app
