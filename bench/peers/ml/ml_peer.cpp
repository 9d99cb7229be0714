// Sextant's side of bench/peers/ml/xgb.py: loads an XGBoost model file, predicts a float32 row file
// (rows × cols, written by the script) ITERATIONS times, writes the predictions (float64) for the
// script to check against python xgboost, and prints each call's milliseconds. THREADS 0 = all.
//   ml_peer MODEL ROWS_FILE ROWS COLS OUT_FILE ITERATIONS [THREADS]
#include <tbb/global_control.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "common/peer_io.hpp"
#include "sextant/ml/forest.hpp"

int main(int argc, char** argv) {
  if (argc < 7) {
    std::fprintf(stderr, "usage: ml_peer MODEL ROWS_FILE ROWS COLS OUT_FILE ITERATIONS [THREADS]\n");
    return 2;
  }
  const auto forest = sextant::ml::load_xgboost(sextant::bench::read_text(argv[1]), "model");
  const std::size_t rows = std::stoul(argv[3]), cols = std::stoul(argv[4]);
  std::vector<float> x(rows * cols);
  std::ifstream in(argv[2], std::ios::binary);
  in.read(reinterpret_cast<char*>(x.data()), std::streamsize(x.size() * sizeof(float)));
  if (!in) {
    std::fprintf(stderr, "%s holds fewer than %zu floats\n", argv[2], x.size());
    return 1;
  }
  std::optional<tbb::global_control> limit;
  if (argc > 7 && std::stoi(argv[7]) > 0) limit.emplace(tbb::global_control::max_allowed_parallelism, std::stoul(argv[7]));
  std::vector<double> out(rows * forest.width());
  for (int i = 0; i < std::stoi(argv[6]); ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    sextant::ml::predict(forest, x.data(), rows, cols, out.data());
    std::printf("%.6f\n", std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::ofstream(argv[5], std::ios::binary).write(reinterpret_cast<const char*>(out.data()), std::streamsize(out.size() * sizeof(double)));
  return 0;
}
