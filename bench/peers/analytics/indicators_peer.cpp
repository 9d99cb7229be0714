// 20 common indicators over a panel of 500 instruments × 5,000 bars: Sextant vs TA-Lib C, same data,
// same process, alternating rounds; median time per round and their ratio.
//   bench/peers/analytics/build_talib.sh /tmp/talib
//   cmake --preset bench -DSEXTANT_TALIB_DIR=/tmp/talib/node_modules/talib/src/lib
//   cmake --build --preset bench --target indicators_peer && build/bench/bench/indicators_peer [rounds]
// Sextant runs its batch API in parallel across instruments (its default, as /indicators does);
// TA-Lib C is single-threaded, called in a loop. Sextant on one thread is reported as well.
// Before timing, every output of every indicator is checked against TA-Lib's on 3 instruments.
// `indicators_peer 1 --each` prints a per-indicator single-thread comparison instead.
#include <ta_libc.h>
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <random>
#include <stdexcept>
#include <string>

#include "sextant/analytics/ta.hpp"

namespace {

using namespace sextant::analytics;
constexpr std::size_t kInstruments = 500, kBars = 5000;

struct Series {
  std::vector<double> open, high, low, close, volume;
};

std::vector<Series> panel() {
  std::mt19937_64 rng(11);
  std::normal_distribution<double> nd;
  std::vector<Series> out(kInstruments);
  for (auto& s : out) {
    double px = 50 + 100 * std::abs(nd(rng));
    for (std::size_t t = 0; t < kBars; ++t) {
      double o = px, c = px * std::exp(0.012 * nd(rng));
      s.open.push_back(o), s.close.push_back(c);
      s.high.push_back(std::max(o, c) * (1 + 0.004 * std::abs(nd(rng))));
      s.low.push_back(std::min(o, c) * (1 - 0.004 * std::abs(nd(rng))));
      s.volume.push_back(1e6 * (1 + std::abs(nd(rng))));
      px = c;
    }
  }
  return out;
}

// TA-Lib C: one indicator over one instrument into `out` (up to 3 outputs, each kBars long).
using TalibCall = std::function<void(const Series&, double* o0, double* o1, double* o2, int& beg, int& nb)>;

struct Indicator {
  const char* name;
  TalibCall talib;
};

const int E = int(kBars) - 1;
std::vector<Indicator> indicators() {
  return {
      {"SMA", [](const Series& s, double* a, double*, double*, int& b, int& n) { TA_SMA(0, E, s.close.data(), 30, &b, &n, a); }},
      {"EMA", [](const Series& s, double* a, double*, double*, int& b, int& n) { TA_EMA(0, E, s.close.data(), 30, &b, &n, a); }},
      {"WMA", [](const Series& s, double* a, double*, double*, int& b, int& n) { TA_WMA(0, E, s.close.data(), 30, &b, &n, a); }},
      {"DEMA", [](const Series& s, double* a, double*, double*, int& b, int& n) { TA_DEMA(0, E, s.close.data(), 30, &b, &n, a); }},
      {"TEMA", [](const Series& s, double* a, double*, double*, int& b, int& n) { TA_TEMA(0, E, s.close.data(), 30, &b, &n, a); }},
      {"RSI", [](const Series& s, double* a, double*, double*, int& b, int& n) { TA_RSI(0, E, s.close.data(), 14, &b, &n, a); }},
      {"MACD", [](const Series& s, double* a, double* c, double* d, int& b, int& n) { TA_MACD(0, E, s.close.data(), 12, 26, 9, &b, &n, a, c, d); }},
      {"BBANDS", [](const Series& s, double* a, double* c, double* d, int& b, int& n) { TA_BBANDS(0, E, s.close.data(), 5, 2, 2, TA_MAType_SMA, &b, &n, a, c, d); }},
      {"TRANGE", [](const Series& s, double* a, double*, double*, int& b, int& n) { TA_TRANGE(0, E, s.high.data(), s.low.data(), s.close.data(), &b, &n, a); }},
      {"ATR", [](const Series& s, double* a, double*, double*, int& b, int& n) { TA_ATR(0, E, s.high.data(), s.low.data(), s.close.data(), 14, &b, &n, a); }},
      {"NATR", [](const Series& s, double* a, double*, double*, int& b, int& n) { TA_NATR(0, E, s.high.data(), s.low.data(), s.close.data(), 14, &b, &n, a); }},
      {"ADX", [](const Series& s, double* a, double*, double*, int& b, int& n) { TA_ADX(0, E, s.high.data(), s.low.data(), s.close.data(), 14, &b, &n, a); }},
      {"CCI", [](const Series& s, double* a, double*, double*, int& b, int& n) { TA_CCI(0, E, s.high.data(), s.low.data(), s.close.data(), 14, &b, &n, a); }},
      {"MOM", [](const Series& s, double* a, double*, double*, int& b, int& n) { TA_MOM(0, E, s.close.data(), 10, &b, &n, a); }},
      {"ROC", [](const Series& s, double* a, double*, double*, int& b, int& n) { TA_ROC(0, E, s.close.data(), 10, &b, &n, a); }},
      {"WILLR", [](const Series& s, double* a, double*, double*, int& b, int& n) { TA_WILLR(0, E, s.high.data(), s.low.data(), s.close.data(), 14, &b, &n, a); }},
      {"STOCH", [](const Series& s, double* a, double* c, double*, int& b, int& n) { TA_STOCH(0, E, s.high.data(), s.low.data(), s.close.data(), 5, 3, TA_MAType_SMA, 3, TA_MAType_SMA, &b, &n, a, c); }},
      {"OBV", [](const Series& s, double* a, double*, double*, int& b, int& n) { TA_OBV(0, E, s.close.data(), s.volume.data(), &b, &n, a); }},
      {"MFI", [](const Series& s, double* a, double*, double*, int& b, int& n) { TA_MFI(0, E, s.high.data(), s.low.data(), s.close.data(), s.volume.data(), 14, &b, &n, a); }},
      {"AROON", [](const Series& s, double* a, double* c, double*, int& b, int& n) { TA_AROON(0, E, s.high.data(), s.low.data(), 14, &b, &n, a, c); }},
  };
}

ta::Inputs inputs_of(const Series& s) {
  ta::Inputs in;
  in.open = s.open, in.high = s.high, in.low = s.low, in.close = s.close, in.volume = s.volume, in.real = s.close;
  return in;
}

std::vector<double> defaults(const ta::FunctionDef& f) {
  std::vector<double> p;
  for (const auto& d : f.params) p.push_back(d.default_value);
  return p;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 7;
  TA_Initialize();
  auto data = panel();
  auto inds = indicators();
  std::vector<const ta::FunctionDef*> defs;
  for (const auto& i : inds) defs.push_back(ta::find(i.name));

  // Agreement on 3 instruments, every output, every row.
  std::vector<double> o[3];
  for (auto& v : o) v.resize(kBars);
  for (std::size_t k = 0; k < inds.size(); ++k)
    for (std::size_t j : {0ul, 250ul, 499ul}) {
      int beg = 0, nb = 0;
      inds[k].talib(data[j], o[0].data(), o[1].data(), o[2].data(), beg, nb);
      auto r = ta::run(*defs[k], inputs_of(data[j]), defaults(*defs[k]));
      if (r.beg_index != beg) throw std::runtime_error(std::string(inds[k].name) + ": begIndex differs");
      for (std::size_t out = 0; out < r.outputs.size(); ++out)
        for (int t = 0; t < nb; ++t) {
          double want = o[out][t], got = r.outputs[out][beg + t];
          if (std::abs(got - want) > 1e-9 * std::max(1.0, std::abs(want)))
            throw std::runtime_error(std::string(inds[k].name) + ": output differs from TA-Lib at row " + std::to_string(beg + t));
        }
    }
  std::printf("agreement: 20 indicators x 3 instruments, every row, within 1e-9\n");

  auto time_ms = [](auto&& f) {
    auto s = std::chrono::steady_clock::now();
    f();
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - s).count();
  };
  auto run_talib = [&] {
    std::vector<double> a(kBars), b(kBars), c(kBars);
    for (const auto& s : data)
      for (const auto& ind : inds) {
        int beg, nb;
        ind.talib(s, a.data(), b.data(), c.data(), beg, nb);
      }
  };
  auto run_sextant = [&] {
    tbb::parallel_for(std::size_t(0), data.size(), [&](std::size_t j) {
      auto in = inputs_of(data[j]);
      for (const auto* d : defs) (void)ta::run(*d, in, defaults(*d));
    });
  };
  if (argc > 2 && std::string(argv[2]) == "--each") {  // per-indicator, one thread each side
    tbb::global_control one(tbb::global_control::max_allowed_parallelism, 1);
    std::vector<double> a(kBars), b(kBars), c(kBars);
    for (std::size_t k = 0; k < inds.size(); ++k) {
      double tl = time_ms([&] { for (const auto& s : data) { int beg, nb; inds[k].talib(s, a.data(), b.data(), c.data(), beg, nb); } });
      double sx = time_ms([&] { for (const auto& s : data) (void)ta::run(*defs[k], inputs_of(s), defaults(*defs[k])); });
      std::printf("%-8s TA-Lib %7.2f ms  Sextant %7.2f ms  ratio %.2f\n", inds[k].name, tl, sx, tl / sx);
    }
    return 0;
  }
  std::vector<double> talib_ms, sextant_ms, sextant1_ms;
  run_talib(), run_sextant();  // warm-up
  for (int r = 0; r < rounds; ++r) {
    talib_ms.push_back(time_ms(run_talib));
    sextant_ms.push_back(time_ms(run_sextant));
    {
      tbb::global_control one(tbb::global_control::max_allowed_parallelism, 1);
      sextant1_ms.push_back(time_ms(run_sextant));
    }
    std::printf("round %d: TA-Lib C %.1f ms, Sextant %.1f ms, Sextant (1 thread) %.1f ms\n", r + 1, talib_ms.back(),
                sextant_ms.back(), sextant1_ms.back());
  }
  double t = median(talib_ms), s = median(sextant_ms), s1 = median(sextant1_ms);
  std::printf("{\"workload\":\"20 indicators x %zu instruments x %zu bars\",\"talib_ms_p50\":%.2f,\"sextant_ms_p50\":%.2f,"
              "\"sextant_1thread_ms_p50\":%.2f,\"sextant_vs_talib\":%.2f,\"sextant_1thread_vs_talib\":%.2f,\"rounds\":%d}\n",
              kInstruments, kBars, t, s, s1, t / s, t / s1, rounds);
  TA_Shutdown();
  return 0;
}
