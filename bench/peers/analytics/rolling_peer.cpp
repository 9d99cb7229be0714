// Sextant's side of the rolling-statistics peer benchmark (bench/peers/analytics/rolling.py drives it).
//   rolling_peer <panel.f64> <T> <N> <statistic> <window> <iterations> <result.f64>
// Reads a row-major T×N float64 panel, times `iterations` calls of analytics::rolling (after one
// warm-up), prints the per-call milliseconds as a JSON array and writes the last result.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "sextant/analytics/rolling.hpp"

int main(int argc, char** argv) {
  if (argc != 8) {
    std::fprintf(stderr, "usage: rolling_peer panel.f64 T N statistic window iterations result.f64\n");
    return 2;
  }
  const std::size_t t = std::strtoul(argv[2], nullptr, 10), n = std::strtoul(argv[3], nullptr, 10);
  sextant::Matrix x(t, n);
  std::ifstream in(argv[1], std::ios::binary);
  in.read(reinterpret_cast<char*>(x.data()), std::streamsize(x.size() * sizeof(double)));
  if (!in) {
    std::fprintf(stderr, "cannot read %zu×%zu doubles from %s\n", t, n, argv[1]);
    return 1;
  }
  sextant::analytics::RollingOptions opt;
  opt.stat = sextant::analytics::parse_rolling_stat(argv[4]);
  opt.window = std::strtoul(argv[5], nullptr, 10);
  opt.q = 0.25;  // the driver's quantile
  const int iterations = std::atoi(argv[6]);
  sextant::Matrix r = sextant::analytics::rolling(x, opt);  // warm-up
  std::printf("[");
  for (int i = 0; i < iterations; ++i) {
    auto start = std::chrono::steady_clock::now();
    r = sextant::analytics::rolling(x, opt);
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    std::printf("%s%.4f", i ? "," : "", ms);
  }
  std::printf("]\n");
  std::ofstream(argv[7], std::ios::binary).write(reinterpret_cast<const char*>(r.data()),
                                                 std::streamsize(r.size() * sizeof(double)));
  return 0;
}
