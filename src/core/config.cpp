#include "sextant/core/config.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "sextant/core/error.hpp"

namespace sextant {
namespace {

template <class Int>
Int parse_int(const std::string& key, const std::string& v, Int lo, Int hi) {
  Int out{};
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc{} || p != v.data() + v.size() || out < lo || out > hi)
    fail(ErrorCode::config, key, "config '{}' must be an integer in [{}, {}], got '{}'", key, lo, hi, v);
  return out;
}

}  // namespace

const std::vector<std::string>& Config::keys() {
  static const std::vector<std::string> k{"host",          "port_offset",        "threads",
                                          "api_key",       "engines",            "body_limit_mb",
                                          "request_timeout_ms", "io_timeout_ms", "max_connections", "bus",
                                          "api_key_file",  "queue_limit",        "body_budget_mb",
                                          "models_dir",    "market_data",        "bar_interval_ms",
                                          "sim_instruments", "sim_seed",      "ws_ping_interval_ms",
                                          "ws_stall_timeout_ms", "ws_max_message_mb", "sim_history", "bus_group", "sim_stagger",
                                          "risk_accounts", "portfolio_book"};
  return k;
}

void Config::set(const std::string& key, const std::string& value, const std::string& from) {
  if (key == "host") {
    if (value.empty()) fail(ErrorCode::config, key, "config 'host' must not be empty");
    host = value;
  } else if (key == "port_offset") {
    port_offset = parse_int<int>(key, value, -8100, 56000);
  } else if (key == "threads") {
    threads = parse_int<int>(key, value, 0, 1024);
  } else if (key == "api_key") {
    api_key = value;
  } else if (key == "api_key_file") {
    // The key from a file (first line, trailing whitespace dropped), so it never shows in `ps`.
    std::ifstream f(value);
    std::string line;
    if (!f || !std::getline(f, line)) fail(ErrorCode::config, key, "cannot read an API key from '{}'", value);
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
    if (line.empty()) fail(ErrorCode::config, key, "the API key file '{}' is empty", value);
    api_key = line;
    source["api_key"] = from + " (file)";
  } else if (key == "queue_limit") {
    queue_limit = parse_int<std::uint32_t>(key, value, 0, 100000);
  } else if (key == "body_budget_mb") {
    body_budget_mb = parse_int<std::uint64_t>(key, value, 1, 1 << 20);
  } else if (key == "risk_accounts" || key == "portfolio_book") {
    // Read by the engine at start, where a missing file or a bad field fails naming this key.
    (key == "risk_accounts" ? risk_accounts : portfolio_book) = value;
  } else if (key == "models_dir") {
    if (value.empty()) fail(ErrorCode::config, key, "config 'models_dir' must not be empty");
    models_dir = value;
  } else if (key == "market_data") {
    if (value != "sim" && value != "none") fail(ErrorCode::config, key, "config 'market_data' must be 'sim' or 'none', got '{}'", value);
    market_data = value;
  } else if (key == "bar_interval_ms") {
    bar_interval_ms = parse_int<std::uint32_t>(key, value, 1, 3600000);
  } else if (key == "sim_instruments") {
    sim_instruments = parse_int<std::uint32_t>(key, value, 1, 100000);
  } else if (key == "sim_seed") {
    sim_seed = parse_int<std::uint64_t>(key, value, 0, std::uint64_t(1) << 62);
  } else if (key == "sim_stagger") {
    if (value != "true" && value != "false") fail(ErrorCode::config, key, "config 'sim_stagger' must be true or false, got '{}'", value);
    sim_stagger = value == "true";
  } else if (key == "bus_group") {
    if (value.empty() || value.find_first_of(" \t\r\n") != std::string::npos)
      fail(ErrorCode::config, key, "config 'bus_group' must be a non-empty name without spaces");
    bus_group = value;
  } else if (key == "sim_history") {
    sim_history = parse_int<std::uint32_t>(key, value, 0, 100000);
  } else if (key == "ws_ping_interval_ms") {
    ws_ping_interval_ms = parse_int<std::uint64_t>(key, value, 100, 3600000);
  } else if (key == "ws_stall_timeout_ms") {
    ws_stall_timeout_ms = parse_int<std::uint64_t>(key, value, 100, 3600000);
  } else if (key == "ws_max_message_mb") {
    ws_max_message_mb = parse_int<std::uint64_t>(key, value, 1, 1024);
  } else if (key == "engines") {
    engines = value;
  } else if (key == "body_limit_mb") {
    body_limit_mb = parse_int<std::uint64_t>(key, value, 1, 4096);
  } else if (key == "request_timeout_ms") {
    request_timeout_ms = parse_int<std::uint64_t>(key, value, 1, 3600000);
  } else if (key == "io_timeout_ms") {
    io_timeout_ms = parse_int<std::uint64_t>(key, value, 1, 3600000);
  } else if (key == "max_connections") {
    max_connections = parse_int<std::uint32_t>(key, value, 1, 100000);
  } else if (key == "bus") {
    if (value != "inproc" && value.rfind("redis://", 0) != 0)
      fail(ErrorCode::config, key, "config 'bus' must be 'inproc' or redis://host:port, got '{}'", value);
    bus = value;
  } else {
    fail(ErrorCode::config, key, "unknown config key '{}'", key);
  }
  source[key] = from;
}

int Config::resolved_threads() const {
  if (threads > 0) return threads;
  return std::max(1u, std::thread::hardware_concurrency());
}

std::string env_name(const std::string& key) {
  std::string n = "SEXTANT_";
  for (char c : key) n.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  return n;
}

EnvLookup process_env() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  };
}

namespace {

void apply_toml_table(Config& cfg, const toml::table& t, const std::string& path) {
  for (auto&& [k, node] : t) {
    std::string key(k.str());
    if (key == "server" && node.is_table()) {
      apply_toml_table(cfg, *node.as_table(), path);
      continue;
    }
    std::string text;
    if (auto s = node.value<std::string>(); s && node.is_string()) text = *s;
    else if (auto i = node.value<std::int64_t>(); i && node.is_integer()) text = std::to_string(*i);
    else if (auto b = node.value<bool>(); b && node.is_boolean()) text = *b ? "1" : "0";
    else fail(ErrorCode::config, key, "{}: key '{}' must be a string or an integer", path, key);
    cfg.set(key, text, "file");
  }
}

}  // namespace

Config load_config(const std::optional<std::string>& file, const EnvLookup& env) {
  Config cfg;
  for (const auto& k : Config::keys()) cfg.source[k] = "default";

  std::string path;
  if (file) {
    if (!std::filesystem::exists(*file)) fail(ErrorCode::config, "config", "config file '{}' does not exist", *file);
    path = *file;
  } else if (std::filesystem::exists("sextant.toml")) {
    path = "sextant.toml";
  }
  if (!path.empty()) {
    try {
      toml::table t = toml::parse_file(path);
      apply_toml_table(cfg, t, path);
    } catch (const toml::parse_error& e) {
      fail(ErrorCode::config, "config", "{}: {}", path, e.description());
    }
  }
  for (const auto& k : Config::keys())
    if (auto v = env(env_name(k))) cfg.set(k, *v, "env");
  return cfg;
}

}  // namespace sextant
