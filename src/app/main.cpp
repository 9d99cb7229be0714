// The `sextant` executable: serve, validate, config.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <map>

#include "sextant/app/serve.hpp"
#include "sextant/core/config.hpp"
#include "sextant/core/error.hpp"
#include "sextant/validate/validate.hpp"

namespace {

using sextant::Config;

// Options shared by the commands that build a Config: each becomes a key for Config::set.
struct ConfigFlags {
  std::optional<std::string> file;
  std::map<std::string, std::string> values;

  void add(CLI::App& cmd) {
    static const std::string engines_help = "all, or a comma list of " + sextant::app::engine_names(sextant::app::engine_table());
    cmd.add_option("--config", file, "TOML config file (default: ./sextant.toml when present)");
    auto opt = [&](const char* flag, const char* key, const char* help) {
      cmd.add_option_function<std::string>(flag, [this, key](const std::string& v) { values[key] = v; }, help);
    };
    opt("--engines", "engines", engines_help.c_str());
    opt("--host", "host", "address to bind (default 127.0.0.1)");
    opt("--port-offset", "port_offset", "added to every engine's port (8100 analytics, 8200 risk, ...)");
    opt("--api-key", "api_key", "require 'Authorization: Bearer KEY' on every endpoint but /health");
    opt("--threads", "threads", "I/O threads (default: one per core)");
    opt("--body-limit-mb", "body_limit_mb", "request body limit in MiB (default 64)");
    opt("--request-timeout-ms", "request_timeout_ms", "per-request deadline (default 30000)");
    opt("--io-timeout-ms", "io_timeout_ms", "time to read a request or write a response (default 30000)");
    opt("--max-connections", "max_connections", "connection cap per engine port (default 10000)");
    opt("--bus", "bus", "message bus: inproc (default) or redis://[:password@]host:port[/db]");
    opt("--bus-group", "bus_group", "the Redis consumer group for priority messages (default sextant-<engines>)");
    opt("--api-key-file", "api_key_file", "read the API key from this file (keeps it out of `ps`)");
    opt("--queue-limit", "queue_limit", "per engine: requests waiting for a compute thread before 503 (default 64)");
    opt("--body-budget-mb", "body_budget_mb", "all request bodies in flight together, MiB (default 1024; 503 past it)");
    opt("--models-dir", "models_dir", "the ML engine's model directory (default $XDG_DATA_HOME/sextant/models)");
    opt("--market-data", "market_data", "sim (default: the market simulator publishes bars) or none");
    opt("--bar-interval-ms", "bar_interval_ms", "the simulator's bar rate (default 1000)");
    opt("--sim-instruments", "sim_instruments", "the simulator's universe (default 50)");
    opt("--sim-seed", "sim_seed", "the simulator's seed (default 42)");
    opt("--sim-stagger", "sim_stagger", "true: spread each row's bars over the bar interval (a real feed's arrival) instead of one burst");
    opt("--sim-history", "sim_history", "bars of history the simulator backfills into the store at start (default 300)");
    opt("--ws-ping-interval-ms", "ws_ping_interval_ms", "WebSocket keep-alive: ping after this much silence, close after as long again (default 20000)");
    opt("--ws-stall-timeout-ms", "ws_stall_timeout_ms", "drop a WebSocket client whose socket takes no data for this long (default 10000)");
    opt("--risk-accounts", "risk_accounts", "JSON file of the accounts the risk engine margins on live prices (default: a demo account under the simulator)");
    opt("--portfolio-book", "portfolio_book", "JSON file of the book the portfolio engine watches for drift (default: a demo book under the simulator)");
    opt("--ws-max-message-mb", "ws_max_message_mb", "largest incoming WebSocket message, MiB (default 10; closed with 1009 past it)");
  }

  Config build() const {
    Config cfg = sextant::load_config(file, sextant::process_env());
    for (const auto& [k, v] : values) cfg.set(k, v, "cli");
    return cfg;
  }
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Sextant: accelerated compute engines for quantitative trading"};
  app.set_version_flag("--version", std::string("sextant ") + SEXTANT_VERSION);
  app.require_subcommand(1);

  ConfigFlags serve_flags;
  auto* serve = app.add_subcommand("serve", "Start the engines (embedded default: all six, in-process bus)");
  serve_flags.add(*serve);

  sextant::validate::Options vopt;
  auto* validate = app.add_subcommand("validate", "Time accelerated backends against the reference and check answers");
  validate->add_option("--engine", vopt.engine, "what to validate (accel)")->capture_default_str();
  validate->add_option("--iterations", vopt.iterations, "timed runs of each accelerated op (p50 reported)")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  validate->add_option("--baseline-iterations", vopt.baseline_iterations, "timed runs of the reference baseline")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  validate->add_option("--sizes", vopt.sizes, "asset counts N")->delimiter(',')->check(CLI::Range(2, 20000));
  validate->add_option("--periods", vopt.periods, "observation counts T")->delimiter(',')->check(CLI::Range(3, 1000000));
  validate->add_option("--backend", vopt.backend, "only this accelerated backend: cpu or cuda");
  validate->add_option("--save-report", vopt.report_path, "write the JSON report here");

  ConfigFlags replay_flags;
  sextant::app::ReplayOptions ropt;
  auto* replay = app.add_subcommand("replay", "Publish a CSV's bars (wide closes or long OHLCV) on marketdata.bars.<SYM> through --bus redis://...");
  replay->add_option("file", ropt.file, "the CSV file")->required()->check(CLI::ExistingFile);
  replay->add_option("--speed", ropt.speed, "max (default), or a multiple of the timestamps' own spacing such as 100x");
  replay->add_option("--interval-ms", ropt.interval_ms, "instead of --speed: one timestamp's bars every this many ms");
  replay->add_option("--symbol", ropt.symbol, "the symbol of a long OHLCV file without a symbol column (default: the file's stem)");
  replay->add_flag("--restamp", ropt.restamp, "stamp bars with the time they are published, not the file's");
  replay_flags.add(*replay);

  ConfigFlags config_flags;
  auto* config = app.add_subcommand("config", "Print the effective configuration and where each value came from");
  config_flags.add(*config);

  CLI11_PARSE(app, argc, argv);

  try {
    if (*serve) return sextant::app::serve(serve_flags.build());
    if (*validate) return sextant::validate::run(vopt);
    if (*replay) return sextant::app::replay(replay_flags.build(), ropt);
    if (*config) {
      Config cfg = config_flags.build();
      auto show = [&](const std::string& k, const std::string& v) { fmt::print("{:<20} {:<24} ({})\n", k, v, cfg.source[k]); };
      show("host", cfg.host);
      show("port_offset", std::to_string(cfg.port_offset));
      show("threads", std::to_string(cfg.threads));
      show("api_key", cfg.api_key.empty() ? "(none)" : "(set)");
      show("engines", cfg.engines);
      show("body_limit_mb", std::to_string(cfg.body_limit_mb));
      show("request_timeout_ms", std::to_string(cfg.request_timeout_ms));
      show("io_timeout_ms", std::to_string(cfg.io_timeout_ms));
      show("max_connections", std::to_string(cfg.max_connections));
      show("bus", cfg.bus);
      show("bus_group", cfg.bus_group.empty() ? "(default)" : cfg.bus_group);
      show("queue_limit", std::to_string(cfg.queue_limit));
      show("body_budget_mb", std::to_string(cfg.body_budget_mb));
      show("models_dir", cfg.models_dir.empty() ? "(default)" : cfg.models_dir);
      show("market_data", cfg.market_data);
      show("bar_interval_ms", std::to_string(cfg.bar_interval_ms));
      show("sim_instruments", std::to_string(cfg.sim_instruments));
      show("sim_seed", std::to_string(cfg.sim_seed));
      show("sim_history", std::to_string(cfg.sim_history));
      show("sim_stagger", cfg.sim_stagger ? "true" : "false");
      show("ws_ping_interval_ms", std::to_string(cfg.ws_ping_interval_ms));
      show("ws_stall_timeout_ms", std::to_string(cfg.ws_stall_timeout_ms));
      show("ws_max_message_mb", std::to_string(cfg.ws_max_message_mb));
      return 0;
    }
  } catch (const sextant::Error& e) {
    fmt::print(stderr, "sextant: {}\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "sextant: unexpected error: {}\n", e.what());
    return 3;
  }
  return 0;
}
