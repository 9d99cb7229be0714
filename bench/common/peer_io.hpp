#pragma once
// What the Sextant side of a peer benchmark (bench/peers/*) shares with its driver script: the
// row-major float64 panel the script writes, the per-call times it reads back as a JSON array on
// stdout, and the result it checks.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "sextant/core/matrix.hpp"

namespace sextant::bench {

//! A whole file (a model); exits with a message when it cannot be read.
inline std::string read_text(const char* path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", path);
    std::exit(1);
  }
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

//! The T×N panel at `path`; exits with a message when the file holds fewer values.
inline Matrix read_panel(const char* path, std::size_t t, std::size_t n) {
  Matrix x(t, n);
  std::ifstream in(path, std::ios::binary);
  in.read(reinterpret_cast<char*>(x.data()), std::streamsize(x.size() * sizeof(double)));
  if (!in) {
    std::fprintf(stderr, "cannot read %zu×%zu doubles from %s\n", t, n, path);
    std::exit(1);
  }
  return x;
}

//! Runs `call` once to warm up, then `iterations` times, printing each call's milliseconds as a
//! JSON array.
template <class F>
void print_call_times(int iterations, F&& call) {
  call();
  std::printf("[");
  for (int i = 0; i < iterations; ++i) {
    const auto start = std::chrono::steady_clock::now();
    call();
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    std::printf("%s%.4f", i ? "," : "", ms);
  }
  std::printf("]\n");
}

inline void write_matrix(const char* path, const Matrix& m) {
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(m.data()),
                                              std::streamsize(m.size() * sizeof(double)));
}

}  // namespace sextant::bench
