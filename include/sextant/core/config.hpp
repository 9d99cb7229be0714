#pragma once
// Configuration with precedence CLI > environment > sextant.toml > defaults.
// Every source is reduced to key/value strings and applied through one setter, so each key is
// validated the same way whichever source sets it.
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace sextant {

struct Config {
  std::string host = "127.0.0.1";
  int port_offset = 0;
  int threads = 0;                        //!< I/O threads per process; 0 = hardware concurrency
  std::string api_key;                    //!< empty = no auth
  std::string engines = "all";            //!< "all" or a comma list
  std::uint64_t body_limit_mb = 64;       //!< request body cap (413 past it)
  std::uint64_t request_timeout_ms = 30000;  //!< per-request deadline
  std::uint64_t io_timeout_ms = 30000;       //!< reading a request, writing a response
  std::uint32_t max_connections = 10000;  //!< per engine port
  std::string bus = "inproc";             //!< "inproc" or redis://[:password@]host:port[/db]
  std::string bus_group;                  //!< the Redis consumer group of this process; empty = "sextant-<engines>"
  std::uint32_t queue_limit = 64;         //!< per engine: requests waiting for a compute thread before 503
  std::uint64_t body_budget_mb = 1024;    //!< all request bodies in flight in the process together
  std::string models_dir;                 //!< the ML registry's directory; empty = $XDG_DATA_HOME/sextant/models
  std::string market_data = "sim";       //!< "sim": the market simulator publishes bars; "none": only bars from outside
  std::uint32_t bar_interval_ms = 1000;   //!< the simulator's bar rate
  std::uint32_t sim_instruments = 50;
  std::uint64_t sim_seed = 42;
  bool sim_stagger = false;               //!< spread each row's bars over the bar interval instead of one burst
  std::uint32_t sim_history = 300;        //!< bars of backfill the simulator writes to the store at start
  std::uint64_t ws_ping_interval_ms = 20000;  //!< WebSocket keep-alive ping after this much silence
  std::uint64_t ws_stall_timeout_ms = 10000;  //!< a WebSocket write the client does not take in this time drops it
  std::uint64_t ws_max_message_mb = 10;       //!< incoming WebSocket message cap (1009 past it)
  std::string risk_accounts;   //!< JSON file of the accounts the risk engine margins live; empty: the demo account (sim)
  std::string portfolio_book;  //!< JSON file of the book the portfolio engine watches for drift; empty: the demo book (sim)

  //! Where each key's value came from ("default", "file", "env", "cli"), for `sextant config`.
  std::map<std::string, std::string> source;

  //! Sets one key from its text form; throws Error(config) naming the key on a bad value.
  void set(const std::string& key, const std::string& value, const std::string& from);
  static const std::vector<std::string>& keys();
  int resolved_threads() const;
};

//! Environment variable for a key: "api_key" -> SEXTANT_API_KEY.
std::string env_name(const std::string& key);

using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;
EnvLookup process_env();

//! Defaults, then the TOML file (the given path, which must exist, or ./sextant.toml when present),
//! then the environment. CLI values are applied afterwards by the caller with Config::set(..., "cli").
Config load_config(const std::optional<std::string>& file, const EnvLookup& env);

}  // namespace sextant
