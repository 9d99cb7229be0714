#pragma once
// The batch evaluator: a compiled Program over a panel of T rows × N instruments.
//
// Panels are row-major (row t holds every instrument's value), so a recurrence keeps one state per
// instrument and its inner loop runs across instruments: one SIMD lane per instrument. Nodes run in
// DAG order, each split across blocks of instruments with TBB (cross-sectional nodes across rows);
// a node's buffer is released after its last reader, and the peak is checked against the memory pool
// before any work starts.
#include <functional>
#include <algorithm>
#include <map>
#include <memory>
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

//! The values of several outputs in one block: output k is cells() values from k·cells().
class FactorValues {
 public:
  //! Uninitialised: every value is written by the evaluator (no pass of zeros over gigabytes first).
  //! Large blocks are backed by transparent huge pages where the kernel offers them (first-touch
  //! faults of 4 KiB pages cost more than the writes: 1.6 GB of Alpha158 is 400,000 faults), and go
  //! back to the evaluator's block cache when freed.
  FactorValues(std::size_t outputs, std::size_t cells);
  std::span<const double> operator[](std::size_t k) const { return {data_.get() + k * cells_, cells_}; }
  std::span<double> operator[](std::size_t k) { return {data_.get() + k * cells_, cells_}; }
  std::size_t size() const { return outputs_; }
  std::size_t cells() const { return cells_; }

 private:
  struct Free {
    std::size_t cells = 0;
    void operator()(double* p) const;
  };
  std::size_t outputs_, cells_;
  std::unique_ptr<double[], Free> data_;
};

//! What an evaluation of some outputs over panels of one shape needs, worked out once: the nodes, the
//! rows each must get right, their order, the memory check. Planning a whole catalogue (400K nodes)
//! costs about as much as evaluating it on one instrument, so a caller evaluating the same outputs on
//! new data of the same shape (a bar later) keeps the plan. It refers to the program, which must
//! outlive it.
class EvalPlan {
 public:
  struct Impl;
  explicit EvalPlan(std::unique_ptr<Impl> impl);
  ~EvalPlan();
  EvalPlan(EvalPlan&&) noexcept;
  EvalPlan& operator=(EvalPlan&&) noexcept;
  std::size_t rows() const;
  std::size_t instruments() const;

 private:
  friend FactorValues evaluate(const EvalPlan& plan, const FieldPanel& panel);
  std::unique_ptr<Impl> impl_;
};

//! Throws as evaluate() does for what the shape decides (a cross-sectional operator on one instrument,
//! the memory pool).
EvalPlan plan_evaluation(const Program& program, std::span<const NodeId> outputs, std::size_t rows, std::size_t instruments,
                         const EvalOptions& options = {});
//! Runs a plan on a panel of its shape (dimension_mismatch otherwise); unknown fields as evaluate().
FactorValues evaluate(const EvalPlan& plan, const FieldPanel& panel);

//! Values of `outputs` (nodes of `program`): per output, T×N row-major (N when last_only). Throws
//! Error(invalid_argument, "factors[k]") for a field the panel lacks or a cross-sectional operator on
//! a single instrument (k: the first output that needs it), Error(memory_limit) when the buffers would
//! pass SME_MEMORY_POOL_MB.
FactorValues evaluate(const Program& program, std::span<const NodeId> outputs, const FieldPanel& panel,
                                          const EvalOptions& options = {});

}  // namespace sextant::features
