#pragma once
// `sextant validate`: times accelerated backends against the `reference` baseline on the same
// inputs, checks that the answers agree, and writes a JSON report. Later engines add their own
// operations to the same report format.
#include <optional>
#include <string>
#include <vector>

namespace sextant::validate {

struct Options {
  std::string engine = "accel";
  int iterations = 10;           //!< timed runs of the accelerated backend (p50 reported)
  int baseline_iterations = 3;   //!< timed runs of the reference baseline (it is 30-300× slower)
  std::vector<int> sizes{50, 100, 250, 500, 1000};
  std::vector<int> periods{252, 2520};
  std::optional<std::string> backend;  //!< only this accelerated backend (cpu or cuda)
  std::optional<std::string> report_path;
};

struct Result {
  std::string engine, operation, size, backend;
  double accelerated_ms_p50 = 0, baseline_ms_p50 = 0, speedup = 0, max_abs_error = 0, tolerance = 0;
  double gflops = 0;  //!< accelerated rate, where the op has a standard flop count
  bool agrees = true;
};

//! Runs the validation; prints the table; writes the report. Returns the process exit code
//! (0 when every result agrees with the baseline).
int run(const Options& opt);

}  // namespace sextant::validate
