#pragma once
// The batch evaluator: a compiled Program over a panel of T rows × N instruments.
//
// Panels are row-major (row t holds every instrument's value), so a recurrence keeps one state per
// instrument and its inner loop runs across instruments: one SIMD lane per instrument. Nodes run in
// DAG order, each split across blocks of instruments with TBB (cross-sectional nodes across rows);
// a node's buffer is released after its last reader, and the peak is checked against the memory pool
// before any work starts.
#include <functional>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "sextant/features/compiler.hpp"

namespace sextant::features {

struct FieldPanel {
  std::size_t rows = 0;
  std::vector<std::string> instruments;  //!< N names, column order
  //! Each field T×N row-major ("close", "volume", a fundamental, a group code such as "sector").
  std::map<std::string, std::vector<double>, std::less<>> fields;
  std::size_t cols() const { return instruments.size(); }
};

struct EvalOptions {
  //! Only the last row: each output is computed over the rows its windows need (all rows when an
  //! output depends on the whole history), and holds N values.
  bool last_only = false;
  //! Called between nodes and between blocks of a long node; may throw to abandon the work.
  std::function<void()> checkpoint;
};

//! Values of `outputs` (nodes of `program`): per output, T×N row-major (N when last_only). Throws
//! Error(invalid_argument, "factors[k]") for a field the panel lacks or a cross-sectional operator on
//! a single instrument (k: the first output that needs it), Error(memory_limit) when the buffers would
//! pass SME_MEMORY_POOL_MB.
std::vector<std::vector<double>> evaluate(const Program& program, std::span<const NodeId> outputs, const FieldPanel& panel,
                                          const EvalOptions& options = {});

}  // namespace sextant::features
