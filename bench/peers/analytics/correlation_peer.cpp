// Sextant's side of the correlation peer benchmark (bench/peers/analytics/correlation.py drives it).
//   correlation_peer <panel.f64> <T> <N> <iterations> <result.f64> [fp64|fp32]
// Reads a row-major T×N float64 panel, times `iterations` correlations (after one warm-up), prints
// the per-iteration milliseconds as a JSON array, and writes the last result for the driver to check.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "sextant/accel/ops.hpp"

int main(int argc, char** argv) {
  if (argc != 6 && argc != 7) {
    std::fprintf(stderr, "usage: correlation_peer panel.f64 T N iterations result.f64 [fp64|fp32]\n");
    return 2;
  }
  const std::size_t t = std::strtoul(argv[2], nullptr, 10), n = std::strtoul(argv[3], nullptr, 10);
  const int iterations = std::atoi(argv[4]);
  sextant::Matrix x(t, n);
  std::ifstream in(argv[1], std::ios::binary);
  in.read(reinterpret_cast<char*>(x.data()), std::streamsize(x.size() * sizeof(double)));
  if (!in) {
    std::fprintf(stderr, "cannot read %zu×%zu doubles from %s\n", t, n, argv[1]);
    return 1;
  }
  const bool fp32 = argc == 7 && std::string(argv[6]) == "fp32";
  auto corr = [&] { return fp32 ? sextant::accel::correlation_fp32(x) : sextant::accel::correlation(x); };
  sextant::Matrix c = corr();  // warm-up
  std::printf("[");
  for (int i = 0; i < iterations; ++i) {
    auto start = std::chrono::steady_clock::now();
    c = corr();
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    std::printf("%s%.4f", i ? "," : "", ms);
  }
  std::printf("]\n");
  std::ofstream(argv[5], std::ios::binary).write(reinterpret_cast<const char*>(c.data()),
                                                 std::streamsize(c.size() * sizeof(double)));
  return 0;
}
