// The market data store (rings, corrections, stale and bad bars, windows on common timestamps) and
// the simulator (reproducible, consistent bars, sector structure, volatility clustering, jumps).
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "sextant/core/error.hpp"
#include "sextant/data/bar_csv.hpp"
#include "sextant/data/bar_store.hpp"
#include "sextant/data/simulator.hpp"

namespace sextant::test {
namespace {

bus::MarketBar bar(const std::string& s, std::int64_t ts, double close) { return {s, ts, close, close + 1, close - 1, close, 100}; }

TEST(BarStore, KeepsTheLastBarsPerSymbolAndAlignsWindows) {
  data::BarStore store(4);
  for (std::int64_t t = 1; t <= 6; ++t) EXPECT_EQ(store.add(bar("A", t, double(t))), data::Ingest::appended);
  EXPECT_EQ(store.size("A"), 4u) << "a ring of 4";
  EXPECT_EQ(store.add(bar("A", 6, 60)), data::Ingest::replaced) << "the same timestamp corrects the bar";
  EXPECT_EQ(store.add(bar("A", 2, 2)), data::Ingest::stale);
  for (std::int64_t t : {3, 5, 6}) store.add(bar("B", t, double(10 * t)));  // B lacks 4
  const auto w = store.window({"A", "B"}, 10);
  EXPECT_EQ(w.ts_ns, (std::vector<std::int64_t>{3, 5, 6})) << "the timestamps both have, oldest first";
  EXPECT_EQ(w.close(2, 0), 60);
  EXPECT_EQ(w.close(0, 1), 30);
  EXPECT_EQ(store.window({"A", "B"}, 2).ts_ns, (std::vector<std::int64_t>{5, 6}));
  try {
    store.window({"A", "ZZZ"}, 2);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::not_found);
    EXPECT_EQ(e.field(), "symbols[1]");
  }
  auto bad = bar("A", 9, 5);
  bad.low = 7;
  EXPECT_THROW(store.add(bad), Error);
  bad = bar("A", 9, 5);
  bad.close = NAN;
  EXPECT_THROW(store.add(bad), Error);
  EXPECT_EQ(store.size("A"), 4u) << "bad bars change nothing";
  const auto st = store.stats();
  EXPECT_EQ(st.stale, 1u);
  EXPECT_EQ(st.rejected, 2u);
}

double corr(const std::vector<double>& a, const std::vector<double>& b) {
  const double ma = std::accumulate(a.begin(), a.end(), 0.0) / double(a.size()), mb = std::accumulate(b.begin(), b.end(), 0.0) / double(b.size());
  double sab = 0, saa = 0, sbb = 0;
  for (std::size_t i = 0; i < a.size(); ++i) sab += (a[i] - ma) * (b[i] - mb), saa += (a[i] - ma) * (a[i] - ma), sbb += (b[i] - mb) * (b[i] - mb);
  return sab / std::sqrt(saa * sbb);
}

TEST(MarketSimulator, ReproducibleConsistentBarsWithSectorsClusteringAndJumps) {
  data::SimulatorConfig cfg;
  cfg.instruments = 20, cfg.sectors = 4, cfg.seed = 7;
  data::MarketSimulator a(cfg), b(cfg);
  const std::size_t T = 4000;
  std::vector<std::vector<double>> ret(cfg.instruments);
  std::vector<double> last(cfg.instruments, 0);
  for (std::size_t t = 0; t < T; ++t) {
    const auto x = a.step(std::int64_t(t) * 60'000'000'000);
    const auto y = b.step(std::int64_t(t) * 60'000'000'000);
    ASSERT_EQ(x.size(), cfg.instruments);
    for (std::size_t i = 0; i < x.size(); ++i) {
      ASSERT_EQ(x[i].close, y[i].close) << "the seed fixes every draw";
      ASSERT_LE(x[i].low, std::min(x[i].open, x[i].close));
      ASSERT_GE(x[i].high, std::max(x[i].open, x[i].close));
      ASSERT_GT(x[i].low, 0);
      ASSERT_GT(x[i].volume, 0);
      if (t > 0) ret[i].push_back(std::log(x[i].close / last[i]));
      last[i] = x[i].close;
    }
  }
  // Pairs in one sector move together more than pairs across sectors (averaged over all pairs).
  double within = 0, across = 0;
  std::size_t nw = 0, na = 0;
  for (std::size_t i = 0; i < cfg.instruments; ++i)
    for (std::size_t j = i + 1; j < cfg.instruments; ++j) {
      const double c = corr(ret[i], ret[j]);
      if (a.sector_of(i) == a.sector_of(j)) within += c, ++nw;
      else across += c, ++na;
    }
  EXPECT_GT(within / double(nw), across / double(na) + 0.05) << "within " << within / double(nw) << ", across " << across / double(na);
  // Volatility clusters: squared returns are autocorrelated; GARCH and jumps fatten the tails.
  double acf = 0, kurt = 0;
  for (const auto& r : ret) {
    std::vector<double> sq, sq_lag;
    for (std::size_t t = 1; t < r.size(); ++t) sq.push_back(r[t] * r[t]), sq_lag.push_back(r[t - 1] * r[t - 1]);
    acf += corr(sq, sq_lag) / double(ret.size());
    double m2 = 0, m4 = 0;
    for (double x : r) m2 += x * x, m4 += x * x * x * x;
    m2 /= double(r.size()), m4 /= double(r.size());
    kurt += m4 / (m2 * m2) / double(ret.size());
  }
  EXPECT_GT(acf, 0.03);
  EXPECT_GT(kurt, 3.2) << "kurtosis above the normal's 3";
  data::SimulatorConfig other = cfg;
  other.seed = 8;
  EXPECT_NE(data::MarketSimulator(other).step(0)[0].close, data::MarketSimulator(cfg).step(0)[0].close);
  cfg.sectors = 0;
  EXPECT_THROW(data::MarketSimulator{cfg}, Error);
}

}  // namespace
}  // namespace sextant::test

namespace sextant::data {
namespace {

std::string write_temp(const std::string& name, const std::string& text) {
  const auto p = std::filesystem::temp_directory_path() / (name + "-" + std::to_string(::getpid()) + ".csv");
  std::ofstream(p) << text;
  return p.string();
}

TEST(BarCsv, WideClosesAndLongOhlcvBothRead) {
  const auto wide = write_temp("wide", "Date,AAA,BBB\n2020-01-02,10,20\n2020-01-03,,21\n");
  const auto bars = read_bars_csv(wide, "ignored");
  ASSERT_EQ(bars.size(), 3u) << "the empty cell is skipped";
  EXPECT_EQ(bars[0].symbol, "AAA");
  EXPECT_EQ(bars[0].ts_ns, std::int64_t(1577923200) * 1000000000);  // 2020-01-02T00:00:00Z
  EXPECT_EQ(bars[0].open, 10);
  EXPECT_EQ(bars[0].high, 10);
  EXPECT_EQ(bars[2].symbol, "BBB");
  EXPECT_EQ(bars[2].close, 21);
  const auto lng = write_temp("long", "timestamp,Symbol,Open,High,Low,Close,AdjClose,Volume\n"
                                      "1577923260,X,1,2,0.5,1.5,1.5,100\n1577923200,X,1,1,1,1,1,5\n");
  const auto lb = read_bars_csv(lng, "ignored");
  ASSERT_EQ(lb.size(), 2u);
  EXPECT_EQ(lb[0].ts_ns, std::int64_t(1577923200) * 1000000000) << "sorted by time";
  EXPECT_EQ(lb[1].high, 2);
  EXPECT_EQ(lb[1].volume, 100);
  const auto nosym = write_temp("nosym", "date,open,high,low,close,volume\n2020-01-02 09:30:00,1,2,0.5,1.5,7\n");
  const auto nb = read_bars_csv(nosym, "SPX");
  ASSERT_EQ(nb.size(), 1u);
  EXPECT_EQ(nb[0].symbol, "SPX");
  EXPECT_EQ(nb[0].ts_ns, (std::int64_t(1577923200) + 9 * 3600 + 30 * 60) * 1000000000);
  for (const auto& f : {wide, lng, nosym}) std::filesystem::remove(f);
}

TEST(BarCsv, BadCellsNameTheLineAndColumn) {
  const auto bad = write_temp("bad", "date,open,high,low,close,volume\n2020-01-02,1,2,0.5,abc,7\n");
  try {
    read_bars_csv(bad, "X");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.field(), "line 2 close");
  }
  const auto ragged = write_temp("ragged", "Date,A\n2020-01-02,1,2\n");
  EXPECT_THROW(read_bars_csv(ragged, "X"), Error);
  const auto partial = write_temp("partial", "date,close\n2020-01-02,1\n");
  EXPECT_THROW(read_bars_csv(partial, "X"), Error) << "an OHLCV file needs all five columns";
  EXPECT_THROW(read_bars_csv("/no/such/file.csv", "X"), Error);
  EXPECT_THROW(parse_time_ns("2020-13-01", "t"), Error);
  EXPECT_EQ(parse_time_ns("1577923200000", "t"), std::int64_t(1577923200) * 1000000000) << "milliseconds";
  for (const auto& f : {bad, ragged, partial}) std::filesystem::remove(f);
}

}  // namespace
}  // namespace sextant::data
