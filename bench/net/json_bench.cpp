// Request bodies: parsing a T×N matrix of returns (as [[row], ...], the way clients send them, or as
// base64 float64 bytes) with simdjson On-Demand into a Matrix, and writing one back. Large /calculate-var and /correlation
// requests spend most of their time here.
//   cmake --preset bench && cmake --build --preset bench --target json_bench
//   build/bench/bench/json_bench
#include <benchmark/benchmark.h>

#include <fmt/format.h>

#include <stdexcept>
#include <string>

#include "common/synthetic.hpp"
#include "sextant/core/base64.hpp"
#include "sextant/net/json.hpp"

namespace {

using namespace sextant;

// {"returns":[[...],...]} with shortest round-trip numbers, as Python's json.dumps writes them, or
// (base64) {"returns":{"rows","cols","data_base64"}} with the little-endian float64 bytes.
net::Request body_of(const Matrix& x, bool base64) {
  std::string s;
  if (base64) {
    s = fmt::format(R"({{"returns":{{"rows":{},"cols":{},"data_base64":"{}"}}}})", x.rows(), x.cols(),
                    base64_encode(x.data(), x.size() * sizeof(double)));
  } else {
    s = "{\"returns\":[";
    for (std::size_t r = 0; r < x.rows(); ++r) {
      s += r ? ",[" : "[";
      for (std::size_t c = 0; c < x.cols(); ++c) {
        if (c) s += ',';
        fmt::format_to(std::back_inserter(s), "{}", x(r, c));
      }
      s += "]";
    }
    s += "]}";
  }
  net::Request req;
  req.body.reserve(s.size() + simdjson::SIMDJSON_PADDING);
  req.body = s;
  return req;
}

// Args: rows, cols, 0 = number text / 1 = data_base64.
void BM_ReadMatrix(benchmark::State& state) {
  const Matrix x = bench::synthetic_returns(std::size_t(state.range(0)), std::size_t(state.range(1)), 1);
  const net::Request req = body_of(x, state.range(2) != 0);
  {
    net::Body body(req);
    const Matrix got = net::read_matrix(body.root()["returns"].value(), "returns");
    for (std::size_t i = 0; i < x.size(); ++i)
      if (got.data()[i] != x.data()[i]) throw std::runtime_error("read_matrix: a number did not round-trip");
  }
  for (auto _ : state) {
    net::Body body(req);
    benchmark::DoNotOptimize(net::read_matrix(body.root()["returns"].value(), "returns"));
  }
  state.counters["numbers/s"] = benchmark::Counter(double(x.size()), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["MB/s"] = benchmark::Counter(double(req.body.size()), benchmark::Counter::kIsIterationInvariantRate,
                                              benchmark::Counter::kIs1000);
}
BENCHMARK(BM_ReadMatrix)->Args({2520, 200, 0})->Args({2520, 200, 1})->Args({252, 50, 0})->Unit(benchmark::kMillisecond);

// Args: rows, cols, 0 = arrays of rows / 1 = "matrix_format":"base64".
void BM_WriteMatrix(benchmark::State& state) {
  const Matrix x = bench::synthetic_returns(std::size_t(state.range(0)), std::size_t(state.range(1)), 2);
  const auto format = state.range(2) ? net::MatrixFormat::base64 : net::MatrixFormat::rows;
  for (auto _ : state) {
    net::JsonWriter w(x.size() * 22, format);
    w.matrix(x);
    benchmark::DoNotOptimize(w);
  }
  state.counters["numbers/s"] = benchmark::Counter(double(x.size()), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_WriteMatrix)->Args({1000, 1000, 0})->Args({1000, 1000, 1})->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
