// Sextant's side of bench/peers/features/features.py: evaluates a list of factors over a panel the
// script wrote (one T×N float64 file per field: open.bin, high.bin, ...), writes every value
// (factors × T × N) for the script to check against its pandas reference, and prints the per-call
// times. Threads: 0 = all (TBB's default), else that many.
//   features_peer DIR T N FACTORS_FILE OUT_FILE ITERATIONS [THREADS]
#include <tbb/global_control.h>

#include <cstdio>
#include <fstream>
#include <optional>
#include <string>

#include "common/peer_io.hpp"
#include "sextant/features/catalogue.hpp"
#include "sextant/features/evaluate.hpp"

int main(int argc, char** argv) {
  using namespace sextant::features;
  if (argc < 7) {
    std::fprintf(stderr, "usage: features_peer DIR T N FACTORS_FILE OUT_FILE ITERATIONS [THREADS]\n");
    return 2;
  }
  const std::string dir = argv[1];
  const std::size_t T = std::stoul(argv[2]), N = std::stoul(argv[3]);
  const int iterations = std::stoi(argv[6]);
  std::optional<tbb::global_control> limit;
  if (argc > 7 && std::stoi(argv[7]) > 0) limit.emplace(tbb::global_control::max_allowed_parallelism, std::stoul(argv[7]));

  FieldPanel panel;
  panel.rows = T;
  for (std::size_t j = 0; j < N; ++j) panel.instruments.push_back("I" + std::to_string(j));
  FieldDefaults supplied;
  supplied.supplied.clear();
  for (const char* f : {"open", "high", "low", "close", "volume", "vwap", "sector", "industry", "subindustry", "cap"}) {
    std::ifstream in(dir + "/" + f + ".bin", std::ios::binary);
    if (!in) continue;
    auto& v = panel.fields[f];
    v.resize(T * N);
    in.read(reinterpret_cast<char*>(v.data()), std::streamsize(v.size() * sizeof(double)));
    if (!in) {
      std::fprintf(stderr, "%s/%s.bin holds fewer than %zu values\n", dir.c_str(), f, T * N);
      return 1;
    }
    supplied.supplied.push_back(f);
  }
  std::vector<std::string> factors;
  std::ifstream list(argv[4]);
  for (std::string line; std::getline(list, line);)
    if (!line.empty()) factors.push_back(line);
  const auto compiled = compile_factors(factors, supplied);
  std::optional<FactorValues> values;
  sextant::bench::print_call_times(iterations, [&] { values.emplace(evaluate(compiled.program, compiled.outputs, panel)); });
  std::ofstream out(argv[5], std::ios::binary);
  for (std::size_t k = 0; k < values->size(); ++k)
    out.write(reinterpret_cast<const char*>((*values)[k].data()), std::streamsize((*values)[k].size() * sizeof(double)));
  return 0;
}
