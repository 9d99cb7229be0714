// Sextant's side of the correlation peer benchmark (bench/peers/analytics/correlation.py drives it).
//   correlation_peer <panel.f64> <T> <N> <iterations> <result.f64> [fp64|fp32]
// Reads a row-major T×N float64 panel, times `iterations` correlations (after one warm-up), prints
// the per-iteration milliseconds as a JSON array, and writes the last result for the driver to check.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "common/peer_io.hpp"
#include "sextant/accel/ops.hpp"

int main(int argc, char** argv) {
  if (argc != 6 && argc != 7) {
    std::fprintf(stderr, "usage: correlation_peer panel.f64 T N iterations result.f64 [fp64|fp32]\n");
    return 2;
  }
  const sextant::Matrix x =
      sextant::bench::read_panel(argv[1], std::strtoul(argv[2], nullptr, 10), std::strtoul(argv[3], nullptr, 10));
  const bool fp32 = argc == 7 && std::string(argv[6]) == "fp32";
  sextant::Matrix c;
  sextant::bench::print_call_times(std::atoi(argv[4]), [&] {
    c = fp32 ? sextant::accel::correlation_fp32(x) : sextant::accel::correlation(x);
  });
  sextant::bench::write_matrix(argv[5], c);
  return 0;
}
