// Sextant's side of bench/peers/portfolio/portfolio_peer.py: reads μ and Σ written by the script
// (raw float64), solves the same problems `iterations` times, prints the median time and the answers.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <vector>

#include "sextant/accel/ops.hpp"
#include "sextant/portfolio/optimize.hpp"

using namespace sextant;

static std::vector<double> read_raw(const std::string& path, std::size_t count) {
  std::vector<double> v(count);
  std::ifstream f(path, std::ios::binary);
  f.read(reinterpret_cast<char*>(v.data()), std::streamsize(count * sizeof(double)));
  if (!f) throw std::runtime_error("cannot read " + path);
  return v;
}

static portfolio::OptimizeInput load(const std::string& dir, const std::string& name, std::size_t n) {
  portfolio::OptimizeInput in;
  in.mu = read_raw(dir + "/" + name + "_mu.bin", n);
  auto s = read_raw(dir + "/" + name + "_cov.bin", n * n);
  in.sigma = Matrix(n, n);
  std::copy(s.begin(), s.end(), in.sigma.data());
  return in;
}

template <class F>
static double median_seconds(int iterations, F&& f) {
  std::vector<double> t;
  for (int i = 0; i < iterations; ++i) {
    auto a = std::chrono::steady_clock::now();
    f();
    t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - a).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: portfolio_peer DIR N_MINVAR N_FRONTIER [iterations]\n");
    return 2;
  }
  const std::string dir = argv[1];
  const std::size_t n1 = std::stoul(argv[2]), n2 = std::stoul(argv[3]);
  const int iterations = argc > 4 ? std::atoi(argv[4]) : 5;
  auto mv = load(dir, "minvar", n1);
  portfolio::OptimizeResult r;
  double t_mv = median_seconds(iterations, [&] { r = portfolio::optimize(mv); });
  auto fr = load(dir, "frontier", n2);
  std::vector<portfolio::FrontierPoint> pts;
  double t_fr = median_seconds(iterations, [&] { pts = portfolio::efficient_frontier(fr, 50); });
  std::vector<double> fvar, fret;
  for (const auto& p : pts) fvar.push_back(p.volatility * p.volatility), fret.push_back(p.expected_return);
  fmt::print("{{\"min_variance\":{{\"seconds\":{},\"variance\":{},\"weights\":[{}]}},", t_mv, r.volatility * r.volatility,
             fmt::join(r.weights, ","));
  fmt::print("\"frontier\":{{\"seconds\":{},\"variance\":[{}],\"return\":[{}]}}}}\n", t_fr, fmt::join(fvar, ","), fmt::join(fret, ","));
}
