// The batch evaluator: nodes in DAG order, each split across instrument blocks (or rows) with TBB,
// buffers released after their last reader.
#include "sextant/features/evaluate.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

#include "kernels.hpp"
#include "sextant/accel/ops.hpp"
#include "sextant/analytics/ta.hpp"
#include "sextant/core/error.hpp"

namespace sextant::features {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr std::size_t kBlockCols = 16;  // two AVX-512 vectors of instruments per task

std::string supplied_fields(const FieldPanel& p) {
  std::string s;
  for (const auto& [name, v] : p.fields) (s += s.empty() ? "$" : ", $") += name;
  return s.empty() ? "none" : s;
}

// How many rows before a row a node's value reaches back into its inputs (T: all of them).
std::size_t reach_back(const Node& n, std::size_t T) {
  switch (op_def(n.op).cls) {
    case OpClass::rolling: {
      if (n.op == Op::ema) return T;
      const auto sig = op_def(n.op).signature;
      const std::size_t w = std::size_t(n.params[0]);
      return sig.find('L') != sig.npos ? w : w - 1;
    }
    case OpClass::ta: {
      if (!n.ta->finite_memory || !n.ta->finite_memory(*n.ta, n.params)) return T;
      return std::size_t(std::max(0, n.ta->lookback(n.params.data())));
    }
    default: return 0;
  }
}

}  // namespace

std::vector<std::vector<double>> evaluate(const Program& program, std::span<const NodeId> outputs, const FieldPanel& panel,
                                          const EvalOptions& options) {
  const std::size_t N = panel.cols(), T_all = panel.rows;
  for (const auto& [name, v] : panel.fields)
    if (v.size() != T_all * N)
      fail(ErrorCode::dimension_mismatch, "market_data", "field ${} holds {} values, not rows × instruments = {} × {}", name, v.size(), T_all, N);
  const auto& nodes = program.nodes();

  // The nodes the outputs need, and how many needed nodes read each.
  std::vector<char> needed(nodes.size(), 0);
  std::vector<std::size_t> readers(nodes.size(), 0);
  for (NodeId o : outputs) needed[o] = 1;
  for (std::size_t i = nodes.size(); i-- > 0;) {
    if (!needed[i]) continue;
    for (NodeId in : nodes[i].inputs) needed[in] = 1, ++readers[in];
  }
  for (NodeId o : outputs) ++readers[o];  // kept until copied out

  // "factors[k]": the first output that reads node `id` (errors name the factor, not the node).
  auto reader_of = [&](NodeId id) {
    for (std::size_t k = 0; k < outputs.size(); ++k) {
      std::vector<char> seen(nodes.size(), 0);
      std::vector<NodeId> stack{outputs[k]};
      while (!stack.empty()) {
        const NodeId x = stack.back();
        stack.pop_back();
        if (x == id) return "factors[" + std::to_string(k) + "]";
        if (seen[x]) continue;
        seen[x] = 1;
        stack.insert(stack.end(), nodes[x].inputs.begin(), nodes[x].inputs.end());
      }
    }
    return std::string("factors");
  };
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    if (!needed[i]) continue;
    const Node& n = nodes[i];
    if (n.op == Op::field && !panel.fields.count(n.field))
      fail(ErrorCode::invalid_argument, reader_of(NodeId(i)), "unknown field ${}: the data supplies {}", n.field, supplied_fields(panel));
    if (op_def(n.op).cls == OpClass::cross_section && N < 2)
      fail(ErrorCode::invalid_argument, reader_of(NodeId(i)),
           "the cross-sectional operator {} needs at least 2 instruments; the request has {}", op_def(n.op).name, N);
  }

  // Rows of each node that must be right: an output's (every row, or the last), then for an input,
  // its reader's rows plus the reader's reach back (window - 1, lag, lookback; all rows for EMA and
  // recursive TA-Lib functions). Each node is computed over just those rows.
  const std::size_t T = T_all;
  std::vector<std::size_t> need(nodes.size(), 0), span(nodes.size(), 0);
  for (NodeId o : outputs) need[o] = options.last_only ? std::min<std::size_t>(1, T) : T;
  for (std::size_t i = nodes.size(); i-- > 0;) {
    if (!needed[i]) continue;
    const std::size_t reach = reach_back(nodes[i], T);
    span[i] = std::min(T, need[i] + std::min(reach, T));  // the input rows node i reads
    for (NodeId in : nodes[i].inputs) need[in] = std::max(need[in], span[i]);
  }

  // Peak memory: buffers live from their node to their last reader.
  {
    std::vector<std::size_t> left = readers;
    double live = 0, peak = 0;
    auto owns = [&](std::size_t i) { return nodes[i].op != Op::field && nodes[i].op != Op::constant; };
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      if (!needed[i]) continue;
      if (owns(i)) peak = std::max(peak, live += double(need[i]));
      for (NodeId in : nodes[i].inputs)
        if (--left[in] == 0 && owns(in)) live -= double(need[in]);
    }
    const double kept = double(outputs.size()) * double(options.last_only ? 1 : T);  // the result's copies
    accel::require_memory_pool(8.0 * double(N) * (peak + kept), "market_data", "the factor buffers");
  }

  std::vector<std::unique_ptr<double[]>> owned(nodes.size());
  std::vector<const double*> data(nodes.size(), nullptr);

  auto materialise = [&](NodeId id) -> const double* {  // a constant read by a non-elementwise node
    if (!owned[id]) {
      owned[id].reset(new double[need[id] * N]);
      std::fill_n(owned[id].get(), need[id] * N, nodes[id].params[0]);
    }
    return owned[id].get();
  };
  auto release = [&](NodeId id) {
    if (--readers[id] == 0) owned[id].reset(), data[id] = nullptr;
  };
  // Input `in` as read by a node that reads its last `rows` rows.
  auto rows_of = [&](NodeId in, std::size_t rows, bool scalar_ok) -> kernels::Arg {
    if (nodes[in].op == Op::constant) {
      if (scalar_ok) return {&nodes[in].params[0], true};
      return {materialise(in) + (need[in] - rows) * N, false};
    }
    return {data[in] + (need[in] - rows) * N, false};
  };

  for (std::size_t i = 0; i < nodes.size(); ++i) {
    if (!needed[i]) continue;
    const Node& n = nodes[i];
    if (n.op == Op::field) {
      data[i] = panel.fields.find(n.field)->second.data() + (T - need[i]) * N;
      continue;
    }
    if (n.op == Op::constant) continue;
    if (options.checkpoint) options.checkpoint();

    owned[i].reset(new double[need[i] * N]);
    double* out = owned[i].get();
    const OpClass cls = op_def(n.op).cls;
    const std::size_t rows = span[i], first = span[i] - need[i];
    if (cls == OpClass::elementwise) {
      std::vector<kernels::Arg> args;
      for (NodeId in : n.inputs) args.push_back(rows_of(in, rows, true));
      tbb::parallel_for(tbb::blocked_range<std::size_t>(0, N, std::max<std::size_t>(kBlockCols, N / 64 + 1)), [&](const auto& r) {
        kernels::elementwise(n, args, out, {rows, N, r.begin(), r.end()});
      });
    } else {
      std::vector<const double*> args;
      for (NodeId in : n.inputs) args.push_back(rows_of(in, rows, false).p);
      if (cls == OpClass::cross_section) {
        tbb::parallel_for(tbb::blocked_range<std::size_t>(0, rows, 16), [&](const auto& r) {
          kernels::cross_section(n, args, out, rows, N, r.begin(), r.end());
        });
      } else {
        tbb::parallel_for(tbb::blocked_range<std::size_t>(0, N, kBlockCols), [&](const auto& r) {
          const kernels::Block b{rows, N, r.begin(), r.end(), first};
          if (cls == OpClass::ta) kernels::ta_function(n, args, out, b);
          else kernels::rolling(n, args, out, b);
        });
      }
    }
    data[i] = out;
    for (NodeId in : n.inputs) release(in);
  }

  std::vector<std::vector<double>> result;
  result.reserve(outputs.size());
  for (NodeId o : outputs) {
    const std::size_t count = options.last_only ? N : T * N;
    if (T == 0) {
      result.emplace_back(count, kNaN);
    } else if (nodes[o].op == Op::constant) {
      result.emplace_back(count, nodes[o].params[0]);
    } else {
      const double* end = data[o] + need[o] * N;  // the output's rows end with the panel's last row
      result.emplace_back(end - count, end);
    }
  }
  return result;
}

}  // namespace sextant::features
