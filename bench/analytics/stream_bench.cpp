// Streaming update latency: 20 common indicators × 500 instruments, one new bar.
//   cmake --preset bench && cmake --build --preset bench --target stream_bench
//   build/bench/bench/stream_bench
// Streams are warmed with 300 bars (so every indicator is live), then each timed iteration feeds one
// bar to all 20 streams through update_all (the streams spread over the machine's cores). Reported: p50 and p99 over the iterations (the target is p99 <= 50 µs).
// Before timing, the run checks the streams against batch mode on the warm-up bars.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <stdexcept>

#include <tbb/global_control.h>

#include "sextant/analytics/ta.hpp"
#include "sextant/analytics/ta_stream.hpp"

namespace {

using namespace sextant::analytics::ta;

const char* kIndicators[] = {"SMA", "EMA", "WMA", "DEMA", "TEMA", "RSI", "MACD", "BBANDS", "TRANGE", "ATR",
                             "NATR", "ADX", "CCI", "MOM", "ROC", "WILLR", "STOCH", "OBV", "MFI", "AROON"};

struct Bars {  // [bar][instrument] random-walk OHLCV
  std::vector<std::vector<double>> open, high, low, close, volume;
};

Bars random_bars(std::size_t bars, std::size_t n) {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> nd;
  Bars b;
  std::vector<double> px(n, 100.0);
  for (std::size_t t = 0; t < bars; ++t) {
    std::vector<double> o(n), h(n), l(n), c(n), v(n);
    for (std::size_t j = 0; j < n; ++j) {
      o[j] = px[j];
      c[j] = px[j] * std::exp(0.01 * nd(rng));
      h[j] = std::max(o[j], c[j]) * (1 + 0.003 * std::abs(nd(rng)));
      l[j] = std::min(o[j], c[j]) * (1 - 0.003 * std::abs(nd(rng)));
      v[j] = 1e6 * (1 + std::abs(nd(rng)));
      px[j] = c[j];
    }
    b.open.push_back(o), b.high.push_back(h), b.low.push_back(l), b.close.push_back(c), b.volume.push_back(v);
  }
  return b;
}

void BM_Stream20x500(benchmark::State& state) {
  std::optional<tbb::global_control> limit;
  if (state.range(0) > 0) limit.emplace(tbb::global_control::max_allowed_parallelism, std::size_t(state.range(0)));
  const std::size_t n = 500, warm = 300, timed = 3000;
  Bars bars = random_bars(warm + timed, n);
  std::vector<std::unique_ptr<Stream>> streams;
  std::vector<const FunctionDef*> defs;
  for (const char* name : kIndicators) {
    const FunctionDef* f = find(name);
    std::vector<double> params;
    for (const auto& p : f->params) params.push_back(p.default_value);
    streams.push_back(make_stream(*f, params, n));
    defs.push_back(f);
  }
  auto feed = [&](std::size_t t) {
    PanelBar bar{bars.open[t], bars.high[t], bars.low[t], bars.close[t], bars.volume[t]};
    update_all(streams, bar);
  };
  for (std::size_t t = 0; t < warm; ++t) feed(t);
  // Check: instrument 17's last warm-up value equals batch mode for every indicator.
  for (std::size_t i = 0; i < defs.size(); ++i) {
    std::vector<double> o, h, l, c, v;
    for (std::size_t t = 0; t < warm; ++t)
      o.push_back(bars.open[t][17]), h.push_back(bars.high[t][17]), l.push_back(bars.low[t][17]),
          c.push_back(bars.close[t][17]), v.push_back(bars.volume[t][17]);
    Inputs in;
    in.open = o, in.high = h, in.low = l, in.close = c, in.volume = v, in.real = c;
    std::vector<double> params;
    for (const auto& p : defs[i]->params) params.push_back(p.default_value);
    Result r = run(*defs[i], in, params);
    for (std::size_t k = 0; k < defs[i]->outputs.size(); ++k)
      if (std::abs(r.outputs[k].back() - streams[i]->output(k)[17]) > 1e-9 * std::max(1.0, std::abs(r.outputs[k].back())))
        throw std::runtime_error(std::string(defs[i]->name) + ": stream differs from batch");
  }
  std::vector<double> us;
  std::size_t t = warm;
  for (auto _ : state) {
    auto start = std::chrono::steady_clock::now();
    feed(t);
    us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count());
    t = t + 1 < warm + timed ? t + 1 : warm;  // wrap: state keeps evolving, cost is the same
  }
  if (state.range(0) == 1 && std::getenv("STREAM_BENCH_PER_INDICATOR")) {  // where the time goes, one core
    for (std::size_t i = 0; i < streams.size(); ++i) {
      std::vector<double> each;
      for (std::size_t k = 0; k < 500; ++k) {
        PanelBar bar{bars.open[warm + k], bars.high[warm + k], bars.low[warm + k], bars.close[warm + k], bars.volume[warm + k]};
        auto a = std::chrono::steady_clock::now();
        streams[i]->update(bar);
        each.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - a).count());
      }
      std::sort(each.begin(), each.end());
      std::printf("%-8s p50 %6.2f us  p99 %6.2f us\n", kIndicators[i], each[250], each[495]);
    }
  }
  std::sort(us.begin(), us.end());
  state.counters["p50_us"] = us[us.size() / 2];
  state.counters["p99_us"] = us[std::min(us.size() - 1, us.size() * 99 / 100)];
  state.counters["updates/bar"] = double(n * streams.size());
}
// Arg: threads (0 = all cores, the measured configuration; 1 shows the single-core cost).
BENCHMARK(BM_Stream20x500)->Arg(0)->Arg(1)->Iterations(3000)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
