// The batch evaluator: nodes in DAG order, each split across instrument blocks (or rows) with TBB,
// buffers released after their last reader.
#include "sextant/features/evaluate.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/task_arena.h>

#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <new>
#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <tuple>
#include <unordered_map>

#include "kernels.hpp"
#include "sextant/accel/ops.hpp"
#include "sextant/accel/router.hpp"
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
    case OpClass::cross_section: return n.op == Op::cs_pca_loading ? std::size_t(n.params[0]) - 1 : 0;
    default: return 0;
  }
}

// Instruments [0, N) in blocks of `size` (the last one shorter), in parallel: blocks start at multiples
// of `size`, so the kernels' 8-wide lanes are full (TBB's own split of a range halves it, into 15s).
template <class Body>
void for_blocks(std::size_t N, std::size_t size, const Body& body) {
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, (N + size - 1) / size, 1), [&](const tbb::blocked_range<std::size_t>& r) {
    body(tbb::blocked_range<std::size_t>(r.begin() * size, std::min(N, r.end() * size)));
  });
}

// What one evaluation needs: the nodes the outputs reach, how many read each, the rows each must get
// right, and the order to run them in.
struct Plan {
  const std::vector<Node>* nodes;
  std::vector<char> needed;
  std::vector<std::size_t> readers, need, span;
  std::vector<std::vector<NodeId>> steps;  // run in order; the nodes of a step in parallel
  // Nodes a step's node computes with it from one pass over the same windows (kernels::rolling_shared):
  // they are in no step of their own.
  std::unordered_map<NodeId, std::vector<NodeId>> companions;
  bool cross_sectional = false;
  // Node i with its companions.
  template <class F>
  void with_companions(NodeId i, F f) const {
    f(i);
    if (auto it = companions.find(i); it != companions.end())
      for (NodeId c : it->second) f(c);
  }
};

bool owns(const Node& n) { return n.op != Op::field && n.op != Op::constant; }

// Buffers of 2 MB and more are 2 MB aligned and advised to transparent huge pages: a first touch then
// faults once per 2 MB rather than per 4 KB (a fault is a hypervisor exit on these VMs; 4 KB faults
// were a fifth of a WorldQuant 101 batch). When freed they wait in a process-wide cache (a quarter of
// SME_MEMORY_POOL_MB at most, 2 GiB by default; exact sizes) for the next evaluation: a fresh block's first touch has the kernel zero every
// page (and, on a VM, the host back it), a quarter of a WorldQuant 101 batch; a cached one is written
// over as it is. Smaller buffers come from malloc.
constexpr std::size_t kHuge = std::size_t(2) << 20;

struct BlockCache {
  std::mutex mutex;
  std::unordered_multimap<std::size_t, void*> blocks;  // by size in bytes
  std::size_t bytes = 0;
};
BlockCache& block_cache() {
  static BlockCache* cache = new BlockCache;  // never destroyed: results may be freed during exit
  return *cache;
}

std::size_t block_bytes(std::size_t cells) {
  const std::size_t bytes = std::max<std::size_t>(cells, 1) * sizeof(double);
  return bytes >= kHuge ? (bytes + kHuge - 1) / kHuge * kHuge : bytes;
}

double* allocate_cells(std::size_t cells) {
  const std::size_t bytes = block_bytes(cells);
  void* p = nullptr;
  if (bytes >= kHuge) {
    {
      BlockCache& c = block_cache();
      std::lock_guard lock(c.mutex);
      if (auto it = c.blocks.find(bytes); it != c.blocks.end()) {
        p = it->second;
        c.blocks.erase(it);
        c.bytes -= bytes;
        return static_cast<double*>(p);
      }
    }
    p = std::aligned_alloc(kHuge, bytes);
    if (p) ::madvise(p, bytes, MADV_HUGEPAGE);  // advice: a kernel without THP ignores it
  } else {
    p = std::malloc(bytes);
  }
  if (!p) throw std::bad_alloc();
  return static_cast<double*>(p);
}

void free_cells(double* p, std::size_t cells) {
  if (!p) return;
  const std::size_t bytes = block_bytes(cells);
  if (bytes >= kHuge) {
    BlockCache& c = block_cache();
    std::lock_guard lock(c.mutex);
    const std::size_t cap = accel::Router::instance().settings().memory_pool_mb / 4 * (std::size_t(1) << 20);
    if (bytes <= cap) {  // the latest block stays; older ones make room
      while (c.bytes + bytes > cap) {
        auto it = c.blocks.begin();
        std::free(it->second);
        c.bytes -= it->first;
        c.blocks.erase(it);
      }
      c.blocks.emplace(bytes, p);
      c.bytes += bytes;
      return;
    }
  }
  std::free(p);
}

struct FreeCells {
  std::size_t cells = 0;
  void operator()(double* p) const { free_cells(p, cells); }
};

// Runs the plan over `width` instruments whose fields are at `field_data[id]` (row-major, stride
// `width`, need[id] rows each), and hands each output's rows (need[o] × width, stride width) to `emit`.
// Buffers by size, reused: one evaluation's nodes (and, by block, the blocks a thread runs) draw from it.
struct Pool {
  std::vector<std::unique_ptr<double[], FreeCells>> storage;
  std::unordered_map<std::size_t, std::vector<double*>> free;
  double* get(std::size_t cells) {
    auto& f = free[cells];
    if (!f.empty()) {
      double* p = f.back();
      f.pop_back();
      return p;
    }
    storage.emplace_back(allocate_cells(cells), FreeCells{cells});
    return storage.back().get();
  }
  void put(std::size_t cells, double* p) { free[cells].push_back(p); }
};

template <class Emit>
void run(const Plan& plan, std::span<const NodeId> outputs, std::vector<const double*> data, std::size_t width,
         const EvalOptions& options, Pool& pool, Emit emit) {
  const auto& nodes = *plan.nodes;
  const auto& need = plan.need;
  const auto& span = plan.span;
  const std::size_t N = width;
  std::vector<std::size_t> readers = plan.readers;
  auto get = [&](std::size_t cells) { return pool.get(cells); };
  std::vector<double*> owned(nodes.size(), nullptr);
  auto release = [&](NodeId id) {
    if (--readers[id] == 0 && owned[id]) pool.put(need[id] * N, owned[id]), owned[id] = nullptr;
  };
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    // A constant read by a non-elementwise node becomes a buffer (an elementwise one reads it as a scalar).
    if (plan.needed[i] && nodes[i].op == Op::constant && need[i]) {
      owned[i] = get(need[i] * N);
      std::fill_n(owned[i], need[i] * N, nodes[i].params[0]);
      data[i] = owned[i];
    }
  }
  // Input `in` as read by a node that reads its last `rows` rows.
  auto rows_of = [&](NodeId in, std::size_t rows, bool scalar_ok) -> kernels::Arg {
    if (nodes[in].op == Op::constant && scalar_ok) return {&nodes[in].params[0], true};
    return {data[in] + (need[in] - rows) * N, false};
  };
  // A node's work split across instrument blocks, or run here when it is one block.
  auto blocks = [&](std::size_t grain, const auto& body) {
    if (N <= grain) body(tbb::blocked_range<std::size_t>(0, N));
    else for_blocks(N, grain, body);
  };
  auto compute = [&](NodeId i) {
    const Node& n = nodes[i];
    double* out = owned[i];
    const OpClass cls = op_def(n.op).cls;
    const std::size_t rows = span[i], first = span[i] - need[i];
    if (cls == OpClass::elementwise) {
      kernels::Arg args[3];
      for (std::size_t k = 0; k < n.inputs.size(); ++k) args[k] = rows_of(n.inputs[k], rows, true);
      const std::span<const kernels::Arg> a(args, n.inputs.size());
      if (N <= kBlockCols || rows * N < 65536) return kernels::elementwise(n, a, out, {rows, N, 0, N});
      // Wide rows split by rows: each task streams whole rows (contiguous), not a strip of every row.
      tbb::parallel_for(tbb::blocked_range<std::size_t>(0, rows, std::max<std::size_t>(1, 32768 / N)), [&](const auto& r) {
        kernels::Arg part[3];
        for (std::size_t k = 0; k < n.inputs.size(); ++k) part[k] = {args[k].scalar ? args[k].p : args[k].p + r.begin() * N, args[k].scalar};
        kernels::elementwise(n, std::span<const kernels::Arg>(part, n.inputs.size()), out + r.begin() * N, {r.size(), N, 0, N});
      });
      return;
    }
    const double* args[8];
    for (std::size_t k = 0; k < n.inputs.size(); ++k) args[k] = rows_of(n.inputs[k], rows, false).p;
    const std::span<const double* const> a(args, n.inputs.size());
    if (n.op == Op::cs_pca_loading) {  // output row t - first reads input rows t-W+1..t
      const std::size_t W = kernels::window_of(n);
      tbb::parallel_for(tbb::blocked_range<std::size_t>(first, rows, 1), [&](const auto& r) {
        for (std::size_t t = r.begin(); t < r.end(); ++t) {
          double* y = out + (t - first) * N;
          if (t + 1 < W) std::fill(y, y + N, kNaN);
          else kernels::pca_loading_row(n, a[0] + (t + 1 - W) * N, N, y);
        }
      });
    } else if (cls == OpClass::cross_section) {
      tbb::parallel_for(tbb::blocked_range<std::size_t>(0, rows, 16), [&](const auto& r) {
        kernels::cross_section(n, a, out, rows, N, r.begin(), r.end());
      });
    } else {
      const Node* shared[kernels::kMaxShared] = {&n};
      double* outs[kernels::kMaxShared] = {out};
      std::size_t k = 0;
      plan.with_companions(i, [&](NodeId c) { shared[k] = &nodes[c], outs[k++] = owned[c]; });
      blocks(kBlockCols, [&](const auto& r) {
        const kernels::Block b{rows, N, r.begin(), r.end(), first};
        if (cls == OpClass::ta) kernels::ta_function(n, a, out, b);
        else if (k > 1) kernels::rolling_shared({shared, k}, a[0], {outs, k}, b);
        else kernels::rolling(n, a, out, b);
      });
    }
  };
  for (const auto& step : plan.steps) {
    if (options.checkpoint) options.checkpoint();
    for (NodeId i : step) plan.with_companions(i, [&](NodeId k) { data[k] = owned[k] = get(need[k] * N); });
    if (step.size() == 1) compute(step[0]);
    else tbb::parallel_for(std::size_t(0), step.size(), [&](std::size_t k) { compute(step[k]); });
    for (NodeId i : step)
      plan.with_companions(i, [&](NodeId k) {
        for (NodeId in : nodes[k].inputs) release(in);
      });
  }
  for (std::size_t k = 0; k < outputs.size(); ++k) emit(k, data[outputs[k]]);
  for (std::size_t i = 0; i < nodes.size(); ++i)
    if (owned[i]) pool.put(need[i] * N, owned[i]);
}

}  // namespace

FactorValues::FactorValues(std::size_t outputs, std::size_t cells)
    : outputs_(outputs), cells_(cells), data_(allocate_cells(outputs * cells), Free{outputs * cells}) {}

void FactorValues::Free::operator()(double* p) const { free_cells(p, cells); }

namespace {

// "factors[k]": the first output that reads node `id` (errors name the factor, not the node).
std::string reader_of(const std::vector<Node>& nodes, std::span<const NodeId> outputs, NodeId id) {
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
  return "factors";
}

}  // namespace

struct EvalPlan::Impl {
  const Program* program = nullptr;
  std::vector<NodeId> outputs;
  std::size_t T = 0, N = 0;
  EvalOptions options;
  Plan plan;
  bool by_block = false;
  std::vector<NodeId> fields;  // the field nodes the outputs read
};

EvalPlan::EvalPlan(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
EvalPlan::~EvalPlan() = default;
EvalPlan::EvalPlan(EvalPlan&&) noexcept = default;
EvalPlan& EvalPlan::operator=(EvalPlan&&) noexcept = default;
std::size_t EvalPlan::rows() const { return impl_->T; }
std::size_t EvalPlan::instruments() const { return impl_->N; }

EvalPlan plan_evaluation(const Program& program, std::span<const NodeId> outputs, std::size_t T, std::size_t N,
                         const EvalOptions& options) {
  auto impl = std::make_unique<EvalPlan::Impl>();
  impl->program = &program;
  impl->outputs.assign(outputs.begin(), outputs.end());
  impl->T = T, impl->N = N, impl->options = options;
  const auto& nodes = program.nodes();
  Plan& plan = impl->plan;
  plan.nodes = &nodes;

  // The nodes the outputs need, and how many needed nodes read each.
  plan.needed.assign(nodes.size(), 0);
  plan.readers.assign(nodes.size(), 0);
  for (NodeId o : outputs) plan.needed[o] = 1;
  for (std::size_t i = nodes.size(); i-- > 0;) {
    if (!plan.needed[i]) continue;
    for (NodeId in : nodes[i].inputs) plan.needed[in] = 1, ++plan.readers[in];
  }
  for (NodeId o : outputs) ++plan.readers[o];  // kept until copied out

  for (std::size_t i = 0; i < nodes.size(); ++i) {
    if (!plan.needed[i]) continue;
    const Node& n = nodes[i];
    if (n.op == Op::field) impl->fields.push_back(NodeId(i));
    if (op_def(n.op).cls == OpClass::cross_section) {
      plan.cross_sectional = true;
      if (N < 2)
        fail(ErrorCode::invalid_argument, reader_of(nodes, outputs, NodeId(i)),
             "the cross-sectional operator {} needs at least 2 instruments; the request has {}", op_def(n.op).name, N);
    }
  }

  // Rows of each node that must be right: an output's (every row, or the last), then for an input,
  // its reader's rows plus the reader's reach back (window - 1, lag, lookback; all rows for EMA and
  // recursive TA-Lib functions). Each node is computed over just those rows.
  auto& need = plan.need;
  auto& span = plan.span;
  need.assign(nodes.size(), 0);
  span.assign(nodes.size(), 0);
  for (NodeId o : outputs) need[o] = options.last_only ? std::min<std::size_t>(1, T) : T;
  for (std::size_t i = nodes.size(); i-- > 0;) {
    if (!plan.needed[i]) continue;
    const std::size_t reach = reach_back(nodes[i], T);
    span[i] = std::min(T, need[i] + std::min(reach, T));  // the input rows node i reads
    for (NodeId in : nodes[i].inputs) need[in] = std::max(need[in], span[i]);
  }

  // Companions: rolling nodes of one shared_window_family over the same input, window and rows.
  {
    std::map<std::tuple<int, NodeId, double, std::size_t, std::size_t>, NodeId> first_of;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      const Node& n = nodes[i];
      const int family = kernels::shared_window_family(n.op);
      if (!plan.needed[i] || !family) continue;
      auto [it, fresh] = first_of.try_emplace({family, n.inputs[0], n.params[0], need[i], span[i]}, NodeId(i));
      if (fresh) continue;
      auto& group = plan.companions[it->second];
      group.push_back(NodeId(i));
      if (group.size() + 1 == kernels::kMaxShared) first_of.erase(it);
    }
  }
  std::vector<char> led(nodes.size(), 0);  // a companion: computed with the first of its group
  for (const auto& [leader, group] : plan.companions)
    for (NodeId c : group) led[c] = 1;

  // Three ways to run. Small panels (under 64K cells): the DAG level by level, the nodes of a level in
  // parallel (a whole catalogue on one instrument is 400K small nodes). Large panels without
  // cross-sectional nodes: blocks of 16 instruments in parallel, each through the whole DAG, so the
  // intermediate buffers stay in cache. Large panels with them: node by node, each across blocks.
  const bool small = double(T) * double(N) < 65536.0;
  const bool by_block = !small && !plan.cross_sectional && N > kBlockCols;
  if (small) {
    std::vector<std::size_t> depth(nodes.size(), 0);
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      if (!plan.needed[i] || !owns(nodes[i])) continue;
      for (NodeId in : nodes[i].inputs) depth[i] = std::max(depth[i], depth[in] + 1);
      if (led[i]) continue;
      if (plan.steps.size() < depth[i]) plan.steps.resize(depth[i]);
      plan.steps[depth[i] - 1].push_back(NodeId(i));
    }
  } else {
    for (std::size_t i = 0; i < nodes.size(); ++i)
      if (plan.needed[i] && owns(nodes[i]) && !led[i]) plan.steps.push_back({NodeId(i)});
  }

  // Peak memory: buffers live from their step to their last reader's (per block: times the blocks
  // that run at once).
  {
    std::vector<std::size_t> left = plan.readers;
    double live = 0, peak = 0;
    for (const auto& step : plan.steps) {
      for (NodeId i : step) plan.with_companions(i, [&](NodeId k) { live += double(need[k]); });
      peak = std::max(peak, live);
      for (NodeId i : step)
        plan.with_companions(i, [&](NodeId k) {
          for (NodeId in : nodes[k].inputs)
            if (--left[in] == 0 && owns(nodes[in])) live -= double(need[in]);
        });
    }
    const double width = by_block ? double(kBlockCols) * double(tbb::this_task_arena::max_concurrency()) : double(N);
    const double kept = double(outputs.size()) * double(options.last_only ? 1 : T) * double(N);  // the result
    accel::require_memory_pool(8.0 * (std::min(width, double(N)) * peak + kept), "market_data", "the factor buffers");
  }

  impl->by_block = by_block;
  return EvalPlan(std::move(impl));
}

FactorValues evaluate(const EvalPlan& prepared, const FieldPanel& panel) {
  const EvalPlan::Impl& e = *prepared.impl_;
  const std::size_t N = panel.cols(), T = panel.rows;
  if (T != e.T || N != e.N)
    fail(ErrorCode::dimension_mismatch, "market_data", "the plan is for {} rows × {} instruments, the panel has {} × {}", e.T, e.N, T, N);
  for (const auto& [name, v] : panel.fields)
    if (v.size() != T * N)
      fail(ErrorCode::dimension_mismatch, "market_data", "field ${} holds {} values, not rows × instruments = {} × {}", name, v.size(), T, N);
  const auto& nodes = e.program->nodes();
  const Plan& plan = e.plan;
  const auto& need = plan.need;
  const std::span<const NodeId> outputs = e.outputs;
  const EvalOptions& options = e.options;
  const bool by_block = e.by_block;
  for (NodeId i : e.fields)
    if (!panel.fields.count(nodes[i].field))
      fail(ErrorCode::invalid_argument, reader_of(nodes, outputs, i), "unknown field ${}: the data supplies {}", nodes[i].field, supplied_fields(panel));

  const std::size_t count = options.last_only ? N : T * N;
  FactorValues result(outputs.size(), count);
  // Output k's last rows (need[o] of them, stride `width`) into its block of the result, columns from c0.
  auto store = [&](std::size_t k, const double* d, std::size_t width, std::size_t c0) {
    const NodeId o = outputs[k];
    auto dst = result[k];
    const std::size_t rows = options.last_only ? 1 : T;
    if (T == 0) return std::fill(dst.begin(), dst.end(), kNaN);
    const double* src = nodes[o].op == Op::constant ? nullptr : d + (need[o] - rows) * width;
    for (std::size_t t = 0; t < rows; ++t)
      for (std::size_t j = 0; j < width; ++j) dst[t * N + c0 + j] = src ? src[t * width + j] : nodes[o].params[0];
  };

  if (!by_block) {
    std::vector<const double*> data(nodes.size(), nullptr);
    for (std::size_t i = 0; i < nodes.size(); ++i)
      if (plan.needed[i] && nodes[i].op == Op::field) data[i] = panel.fields.find(nodes[i].field)->second.data() + (T - need[i]) * N;
    Pool pool;
    run(plan, outputs, std::move(data), N, options, pool, [&](std::size_t k, const double* d) { store(k, d, N, 0); });
    return result;
  }
  tbb::enumerable_thread_specific<Pool> pools;

  for_blocks(N, kBlockCols, [&](const tbb::blocked_range<std::size_t>& r) {
    const std::size_t c0 = r.begin(), m = r.end() - r.begin();
    // The block's columns of each field, the rows the plan needs, row-major with stride m.
    std::vector<std::vector<double>> fields;
    std::vector<const double*> data(nodes.size(), nullptr);
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      if (!plan.needed[i] || nodes[i].op != Op::field) continue;
      const double* src = panel.fields.find(nodes[i].field)->second.data() + (T - need[i]) * N + c0;
      auto& f = fields.emplace_back(need[i] * m);
      for (std::size_t t = 0; t < need[i]; ++t) std::copy(src + t * N, src + t * N + m, f.data() + t * m);
      data[i] = f.data();
    }
    run(plan, outputs, std::move(data), m, options, pools.local(), [&](std::size_t k, const double* d) { store(k, d, m, c0); });
  });
  return result;
}

FactorValues evaluate(const Program& program, std::span<const NodeId> outputs, const FieldPanel& panel,
                      const EvalOptions& options) {
  for (const auto& [name, v] : panel.fields)
    if (v.size() != panel.rows * panel.cols())
      fail(ErrorCode::dimension_mismatch, "market_data", "field ${} holds {} values, not rows × instruments = {} × {}", name, v.size(),
           panel.rows, panel.cols());
  return evaluate(plan_evaluation(program, outputs, panel.rows, panel.cols(), options), panel);
}

}  // namespace sextant::features
