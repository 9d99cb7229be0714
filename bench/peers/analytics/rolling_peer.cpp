// Sextant's side of the rolling-statistics peer benchmark (bench/peers/analytics/rolling.py drives it).
//   rolling_peer <panel.f64> <T> <N> <statistic> <window> <iterations> <result.f64>
// Reads a row-major T×N float64 panel, times `iterations` calls of analytics::rolling (after one
// warm-up), prints the per-call milliseconds as a JSON array and writes the last result.
#include <cstdio>
#include <cstdlib>

#include "common/peer_io.hpp"
#include "sextant/analytics/rolling.hpp"

int main(int argc, char** argv) {
  if (argc != 8) {
    std::fprintf(stderr, "usage: rolling_peer panel.f64 T N statistic window iterations result.f64\n");
    return 2;
  }
  const sextant::Matrix x =
      sextant::bench::read_panel(argv[1], std::strtoul(argv[2], nullptr, 10), std::strtoul(argv[3], nullptr, 10));
  sextant::analytics::RollingOptions opt;
  opt.stat = sextant::analytics::parse_rolling_stat(argv[4]);
  opt.window = std::strtoul(argv[5], nullptr, 10);
  opt.q = 0.25;  // the driver's quantile
  sextant::Matrix r;
  sextant::bench::print_call_times(std::atoi(argv[6]), [&] { r = sextant::analytics::rolling(x, opt); });
  sextant::bench::write_matrix(argv[7], r);
  return 0;
}
