#pragma once
// The streaming evaluator: a compiled program's outputs for a universe of N instruments, kept up to date
// bar by bar. Each node keeps its current row and, when a windowed reader needs it, its last rows; the
// recurrences (sums, means, variances, EMA) keep their running state and the TA-Lib functions their
// stream. Every node runs the batch kernels' arithmetic in the same order, so after bar t each output
// equals the batch evaluator's row t bit for bit (tests/features/stream_test.cpp checks every row).
// Nodes update in parallel as soon as their inputs have: each thread takes the next ready node of a
// list ordered by the longest measured path to an output, so a heavy node (a rolling PCA) starts first
// and overlaps the rest.
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "sextant/features/compiler.hpp"

namespace sextant::features {

//! One bar of the universe: per field, one value per instrument (NaN where missing).
using BarFields = std::map<std::string, std::vector<double>, std::less<>>;

class FactorStream {
 public:
  //! Throws Error(invalid_argument) naming a cross-sectional output when instruments < 2.
  FactorStream(const Program& program, std::vector<NodeId> outputs, std::size_t instruments);
  ~FactorStream();
  FactorStream(FactorStream&&) noexcept;
  FactorStream& operator=(FactorStream&&) noexcept;

  //! Feeds the next bar. Throws Error(invalid_argument, "<field>") when a field the program reads is
  //! missing or does not hold one value per instrument; the stream is unchanged then.
  void update(const BarFields& bar);
  //! Output k's values, one per instrument, after the last update (NaN before the first); the span
  //! holds that bar's values (read it before the next update).
  std::span<const double> value(std::size_t k) const;
  std::size_t outputs() const;
  std::size_t instruments() const;
  std::size_t bars() const;
  //! The fields the program reads.
  const std::vector<std::string>& fields() const;

 private:
  struct State;
  std::unique_ptr<State> s_;
};

}  // namespace sextant::features
