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
#include "sextant/net/base64.hpp"
#include "sextant/net/json.hpp"

namespace {

using namespace sextant;

// {"returns":[[...],...]} with shortest round-trip numbers, as Python's json.dumps writes them.
net::Request body_of(const Matrix& x) {
  std::string s = "{\"returns\":[";
  for (std::size_t r = 0; r < x.rows(); ++r) {
    s += r ? ",[" : "[";
    for (std::size_t c = 0; c < x.cols(); ++c) {
      if (c) s += ',';
      fmt::format_to(std::back_inserter(s), "{}", x(r, c));
    }
    s += "]";
  }
  s += "]}";
  net::Request req;
  req.body.reserve(s.size() + simdjson::SIMDJSON_PADDING);
  req.body = s;
  return req;
}

void BM_ReadMatrix(benchmark::State& state) {
  const Matrix x = bench::synthetic_returns(std::size_t(state.range(0)), std::size_t(state.range(1)), 1);
  const net::Request req = body_of(x);
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
BENCHMARK(BM_ReadMatrix)->Args({2520, 200})->Args({252, 50})->Unit(benchmark::kMillisecond);

// The same matrix as {"rows","cols","data_base64"}: little-endian float64 bytes in base64.
void BM_ReadMatrixBase64(benchmark::State& state) {
  const Matrix x = bench::synthetic_returns(std::size_t(state.range(0)), std::size_t(state.range(1)), 1);
  net::Request req;
  std::string s = fmt::format(R"({{"returns":{{"rows":{},"cols":{},"data_base64":"{}"}}}})", x.rows(), x.cols(),
                              net::base64_encode(x.data(), x.size() * sizeof(double)));
  req.body.reserve(s.size() + simdjson::SIMDJSON_PADDING);
  req.body = s;
  {
    net::Body body(req);
    const Matrix got = net::read_matrix(body.root()["returns"].value(), "returns");
    for (std::size_t i = 0; i < x.size(); ++i)
      if (got.data()[i] != x.data()[i]) throw std::runtime_error("read_matrix: base64 did not round-trip");
  }
  for (auto _ : state) {
    net::Body body(req);
    benchmark::DoNotOptimize(net::read_matrix(body.root()["returns"].value(), "returns"));
  }
  state.counters["numbers/s"] = benchmark::Counter(double(x.size()), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["MB/s"] = benchmark::Counter(double(req.body.size()), benchmark::Counter::kIsIterationInvariantRate,
                                              benchmark::Counter::kIs1000);
}
BENCHMARK(BM_ReadMatrixBase64)->Args({2520, 200})->Unit(benchmark::kMillisecond);

void BM_WriteMatrix(benchmark::State& state) {
  const Matrix x = bench::synthetic_returns(std::size_t(state.range(0)), std::size_t(state.range(1)), 2);
  for (auto _ : state) {
    net::JsonWriter w(x.size() * 22);
    w.matrix(x);
    benchmark::DoNotOptimize(w);
  }
  state.counters["numbers/s"] = benchmark::Counter(double(x.size()), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_WriteMatrix)->Args({1000, 1000})->Unit(benchmark::kMillisecond);

// The same matrix with "matrix_format":"base64".
void BM_WriteMatrixBase64(benchmark::State& state) {
  const Matrix x = bench::synthetic_returns(std::size_t(state.range(0)), std::size_t(state.range(1)), 2);
  for (auto _ : state) {
    net::JsonWriter w(x.size() * 11, net::MatrixFormat::base64);
    w.matrix(x);
    benchmark::DoNotOptimize(w);
  }
  state.counters["numbers/s"] = benchmark::Counter(double(x.size()), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_WriteMatrixBase64)->Args({1000, 1000})->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
