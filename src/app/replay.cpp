// `sextant replay` (app/serve.hpp ReplayOptions).
#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <thread>

#include "sextant/app/serve.hpp"
#include "sextant/bus/codec.hpp"
#include "sextant/bus/redis.hpp"
#include "sextant/core/error.hpp"
#include "sextant/data/bar_csv.hpp"

namespace sextant::app {

namespace {

double parse_speed(const std::string& s) {
  if (s == "max") return 0;
  if (s.size() >= 2 && s.back() == 'x') {
    char* end = nullptr;
    const double v = std::strtod(s.c_str(), &end);
    if (end == s.c_str() + s.size() - 1 && v > 0 && std::isfinite(v)) return v;
  }
  fail(ErrorCode::config, "speed", "--speed takes 'max' or a multiple such as '100x', got '{}'", s);
}

}  // namespace

int replay(const Config& cfg, const ReplayOptions& opt) {
  const double speed = parse_speed(opt.speed);
  if (cfg.bus == "inproc")
    fail(ErrorCode::config, "bus", "replay publishes to other processes: give --bus redis://host:port (the bus `sextant serve --bus` uses)");
  std::string symbol = opt.symbol;
  if (symbol.empty()) symbol = std::filesystem::path(opt.file).stem().string();
  const auto bars = data::read_bars_csv(opt.file, symbol);
  if (bars.empty()) fail(ErrorCode::invalid_argument, "file", "'{}' holds no bars", opt.file);
  bus::RedisOptions ro = bus::parse_redis_url(cfg.bus, "bus");
  ro.group = "sextant-replay";
  bus::RedisBus bus(ro);
  for (int i = 0; i < 100 && !bus.ready(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  if (!bus.ready()) fail(ErrorCode::io, "bus", "cannot reach Redis at {}", cfg.bus);
  fmt::print("replay: {} bars of {} from {} ({})\n", bars.size(), bars.size() ? bars.front().symbol : "", opt.file,
             opt.interval_ms ? fmt::format("a timestamp every {} ms", opt.interval_ms) : speed > 0 ? opt.speed + " real time" : "as fast as possible");
  std::fflush(stdout);
  const auto start = std::chrono::steady_clock::now();
  const std::int64_t t0 = bars.front().ts_ns;
  std::size_t rows = 0;
  for (std::size_t i = 0; i < bars.size();) {
    const std::int64_t ts = bars[i].ts_ns;
    if (opt.interval_ms) {
      std::this_thread::sleep_until(start + std::chrono::milliseconds(opt.interval_ms * rows));
    } else if (speed > 0) {
      std::this_thread::sleep_until(start + std::chrono::nanoseconds(std::int64_t(double(ts - t0) / speed)));
    }
    const std::int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    for (; i < bars.size() && bars[i].ts_ns == ts; ++i) {
      bus::MarketBar b = bars[i];
      if (opt.restamp) b.ts_ns = now;
      bus.publish(bus::envelope(b, bus::Priority::normal, "replay"));
    }
    ++rows;
  }
  bus.drain();
  const auto c = bus.counters();
  fmt::print("replay: published {} bars in {} timestamps ({:.1f} s); {} dropped\n", c.published, rows,
             std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), c.dropped);
  return c.dropped ? 1 : 0;
}

}  // namespace sextant::app
