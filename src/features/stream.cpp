// The streaming evaluator (stream.hpp): per node, its current row, a history of its last rows when a
// windowed reader needs them, and the running state of recurrences and TA-Lib streams.
#include "sextant/features/stream.hpp"

#include <sys/mman.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>
#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <limits>
#include <map>
#include <new>
#include <span>
#include <string_view>
#include <thread>
#include <tuple>

#include "kernels.hpp"
#include "rolling_state.hpp"
#include "sextant/analytics/ta.hpp"
#include "sextant/analytics/ta_stream.hpp"
#include "sextant/core/error.hpp"

namespace sextant::features {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// A cheap clock for the schedule's costs (any monotonic tick will do), and a spin-wait hint.
#if defined(__x86_64__) || defined(__i386__)
inline std::uint64_t ticks() { return __rdtsc(); }
inline void relax() { _mm_pause(); }
#else
inline std::uint64_t ticks() { return std::uint64_t(std::chrono::steady_clock::now().time_since_epoch().count()); }
inline void relax() {}
#endif

// The last H rows of a node, contiguous: each row is held twice, at p and p + H, so rows
// (p, p + H] of the 2H-row buffer (2·H·N cells of the stream's arena) are the window, oldest first.
// A node computes its bar's row straight into the slot next() names (its `cur` for the bar), and
// commit() copies it to the other: one copy a bar where a separate row took two.
struct History {
  std::size_t H = 0, N = 0, p = 0;
  double* buf = nullptr;
  void init(std::size_t rows, std::size_t n, double* cells) {
    H = rows, N = n, p = 0, buf = cells;
    std::fill(buf, buf + 2 * H * N, kNaN);
  }
  //! Where the next bar's row goes: outside the current window (its mirror holds the oldest row,
  //! which that bar drops).
  double* next() const { return buf + ((p + 1) % H + H) * N; }
  void commit() {
    p = (p + 1) % H;
    std::copy(buf + (p + H) * N, buf + (p + H + 1) * N, buf + p * N);
  }
  //! The last k rows (k <= H), oldest first.
  const double* last(std::size_t k) const { return buf + (p + H + 1 - k) * N; }
};

// Every node's row and history in one block; from 2 MB on, 2 MB aligned and advised to transparent
// huge pages: a bar reads tens of MB of windows, and on 4 KB pages every window row of a wide universe
// is a TLB miss (a 4,000-instrument row is 8 pages). Huge pages took the 20 x 4,000 stream's ts_rank
// over 60 bars from ~11% of a bar's time to ~6%.
struct Arena {
  double* cells = nullptr;
  Arena() = default;
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;
  ~Arena() { std::free(cells); }
  void allocate(std::size_t n) {
    constexpr std::size_t kHuge = std::size_t(2) << 20;
    const std::size_t bytes = std::max<std::size_t>(n, 1) * sizeof(double);
    if (bytes < kHuge) {
      cells = static_cast<double*>(std::malloc(bytes));
    } else {
      const std::size_t whole = (bytes + kHuge - 1) / kHuge * kHuge;
      cells = static_cast<double*>(std::aligned_alloc(kHuge, whole));
      if (cells) ::madvise(cells, whole, MADV_HUGEPAGE);  // advice: a kernel without THP ignores it
    }
    if (!cells) throw std::bad_alloc();
  }
};

struct NodeState {
  std::span<double> cur;  // this bar's row (in the arena)
  History hist;           // when a reader looks back
  std::vector<double> moments;  // Sum/Mean/Var/Std: kernels::recurrence_state
  std::vector<kernels::EmaState> ema;
  std::vector<kernels::SortedWindow> sorted;
  std::unique_ptr<analytics::ta::Stream> ta;
};

}  // namespace

struct FactorStream::State {
  std::vector<Node> nodes;
  std::vector<NodeId> outputs;
  std::vector<char> needed;
  // The schedule: every node to step (needed, not a leaf, not a group's follower) in an order that
  // puts each after its inputs, longest measured path to an output first; `waits` holds the nodes each
  // must see done this bar (a group's leader for its followers). Workers take nodes in that order.
  std::vector<NodeId> order;
  std::vector<std::vector<NodeId>> waits;
  std::vector<std::vector<NodeId>> readers;  // stepped nodes that wait for each node
  std::unique_ptr<std::atomic<std::size_t>[]> done;   // by node: the run() that last stepped it
  std::unique_ptr<std::atomic<std::size_t>[]> taken;  // by place in `order`: the run() that last took it
  std::vector<double> cost;  // each node's recent time per bar (TSC ticks, smoothed)
  std::size_t runs = 0;      // calls of run(): the stamp a node's `done` gets
  Arena arena;
  std::vector<NodeState> st;
  std::vector<std::string> fields;
  std::size_t N = 0, seen = 0;
  // cs_pca_loading nodes of one input and window, rolling nodes of one shared_window_family, input and
  // window, and TA-Lib functions that share a stream, by their first: it computes the others' rows too
  // (one decomposition, sorted window, scan or stream a bar); the others are not stepped on their own.
  std::vector<std::vector<NodeId>> groups;  // by node; empty: none (an index, not a lookup, on every step)

  // A node's history gets this bar's row before its readers run (a window ends at this bar).
  void record(NodeId i) {
    if (st[i].hist.H) st[i].hist.commit();
  }
  // Each node with a history computes this bar's row in the history's next slot.
  void place_rows() {
    for (NodeState& ns : st)
      if (ns.hist.H) ns.cur = {ns.hist.next(), N};
  }

  // The row of node `id` as an elementwise argument.
  kernels::Arg arg(NodeId id) const {
    if (nodes[id].op == Op::constant) return {&nodes[id].params[0], true};
    return {st[id].cur.data(), false};
  }
  // The last `k` rows of node `id` (its history), for a window that ends at this bar.
  const double* rows(NodeId id, std::size_t k) { return st[id].hist.last(k); }

  // The nodes one step of `id` computes: its group (id first), or id alone.
  std::span<const NodeId> members(const NodeId& id) const {
    return groups[id].empty() ? std::span<const NodeId>(&id, 1) : std::span<const NodeId>(groups[id]);
  }

  void step(NodeId id) {
    const Node& n = nodes[id];
    NodeState& s = st[id];
    double* out = s.cur.data();
    const std::size_t t = seen;  // this bar's row index
    const auto group = members(id);
    switch (op_def(n.op).cls) {
      case OpClass::elementwise: {
        kernels::Arg args[3];  // no allocation per node and bar: at most three operands
        for (std::size_t k = 0; k < n.inputs.size(); ++k) args[k] = arg(n.inputs[k]);
        kernels::elementwise(n, std::span<const kernels::Arg>(args, n.inputs.size()), out, {1, N, 0, N});
        break;
      }
      case OpClass::cross_section: {
        if (n.op == Op::cs_pca_loading) {  // the group's components from one decomposition
          const std::size_t W = kernels::window_of(n);
          std::vector<std::size_t> ks;
          std::vector<double*> outs;
          for (NodeId g : group) ks.push_back(std::size_t(nodes[g].params[1])), outs.push_back(st[g].cur.data());
          if (t + 1 < W) {
            for (double* o : outs) std::fill(o, o + N, kNaN);
          } else {
            kernels::pca_loading_rows(W, ks, rows(n.inputs[0], W), N, outs);
          }
          break;
        }
        const double* args[2];
        for (std::size_t k = 0; k < n.inputs.size(); ++k) args[k] = st[n.inputs[k]].cur.data();
        kernels::cross_section(n, std::span<const double* const>(args, n.inputs.size()), out, 1, N, 0, 1);
        break;
      }
      case OpClass::ta: {  // a shared stream reads every member's inputs; its output g is member g's
        analytics::ta::PanelBar bar;
        for (NodeId g : group)
          for (std::size_t k = 0; k < nodes[g].inputs.size(); ++k) bar.set(nodes[g].ta->inputs[k], st[nodes[g].inputs[k]].cur);
        s.ta->update(bar);
        for (std::size_t g = 0; g < group.size(); ++g) std::copy(s.ta->output(g).begin(), s.ta->output(g).end(), st[group[g]].cur.begin());
        break;
      }
      case OpClass::rolling: {
        const double* x = st[n.inputs[0]].cur.data();
        if (n.op == Op::ema) {
          for (std::size_t c = 0; c < N; ++c) out[c] = s.ema[c].step(x[c], kernels::ema_alpha(n.params[0]));
        } else if (kernels::is_recurrence(n.op)) {
          const std::size_t w = kernels::window_of(n);
          const double* leaving = t >= w ? rows(n.inputs[0], w + 1) : nullptr;  // the row w bars back
          switch (n.op) {
            case Op::mean:
            case Op::ts_mean:
            case Op::sum:
            case Op::ts_sum:
              kernels::mean_or_sum_step(n, s.moments.data(), leaving, x, out, N, n.op == Op::mean || n.op == Op::ts_mean);
              break;
            default: kernels::variance_step(n, s.moments.data(), leaving, x, out, N, n.op != Op::var); break;
          }
        } else if (n.op == Op::quantile || n.op == Op::med) {  // the group's order statistics of one sorted window
          const std::size_t w = kernels::window_of(n);
          const bool full = t >= w;
          const double* leaving = full ? rows(n.inputs[0], w + 1) : nullptr;  // the row w bars back
          for (std::size_t c = 0; c < N; ++c) {
            auto& win = s.sorted[c];
            win.step(full, full ? leaving[c] : 0.0, x[c]);
            for (NodeId g : group) {
              const bool median = nodes[g].op == Op::med;
              st[g].cur[c] = kernels::order_statistic(median, median ? 0.0 : nodes[g].params[1], win.v.data(), win.v.size());
            }
          }
        } else {
          // The batch kernel over the rows this bar's window holds, emitting only its last row; a group
          // (Max with IdxMax, Slope with Rsquare and Resi, Skew with Kurt) from one scan of the window.
          const auto sig = op_def(n.op).signature;
          const std::size_t reach = sig.find('L') != sig.npos ? kernels::window_of(n) + 1 : kernels::window_of(n);
          const std::size_t k = std::min(reach, t + 1);
          const double* args[2];
          for (std::size_t i = 0; i < n.inputs.size(); ++i) args[i] = rows(n.inputs[i], k);
          if (group.size() == 1) {
            kernels::rolling(n, std::span<const double* const>(args, n.inputs.size()), out, {k, N, 0, N, k - 1});
            break;
          }
          const Node* shared[kernels::kMaxShared];
          double* outs[kernels::kMaxShared];
          for (std::size_t g = 0; g < group.size(); ++g) shared[g] = &nodes[group[g]], outs[g] = st[group[g]].cur.data();
          kernels::rolling_shared({shared, group.size()}, args[0], {outs, group.size()}, {k, N, 0, N, k - 1});
        }
        break;
      }
      default: break;
    }
    for (NodeId g : group.subspan(1)) record(g);  // the leader's own row is recorded by run()
  }

  // Orders the nodes by their longest path to an output, in measured time: the heaviest chains start
  // first, so one long node (a rolling PCA) overlaps the rest rather than ending a level on its own.
  void reorder() {
    std::vector<double> path(nodes.size(), 0.0);
    for (auto it = order.rbegin(); it != order.rend(); ++it) {  // readers come after their inputs in `order`
      double longest = 0;
      for (NodeId r : readers[*it]) longest = std::max(longest, path[r]);
      path[*it] = cost[*it] + longest;
    }
    std::stable_sort(order.begin(), order.end(), [&](NodeId a, NodeId b) { return path[a] > path[b]; });
  }

  // Steps every node of the schedule once. A worker takes the first node of the list, from the first
  // one not yet taken and up to kLookahead places on, whose inputs are done this bar; when none is, it
  // waits (spinning briefly, then yielding: the worker it waits for may be descheduled when more
  // threads than cores run). As the list puts inputs first, the first node not taken only waits for
  // nodes already running, and a lone worker never waits. A node's time is its cost. A node that
  // throws stops the others and the first error is rethrown.
  void run() {
    constexpr std::size_t kLookahead = 32;
    const std::size_t stamp = ++runs, count = order.size();
    std::atomic<std::size_t> first{0};  // every place before it is taken
    std::atomic<bool> failed{false};
    std::exception_ptr error;
    auto ready = [&](NodeId id) {
      for (NodeId d : waits[id])
        if (done[d].load(std::memory_order_acquire) != stamp) return false;
      return true;
    };
    auto work = [&] {
      try {
        for (unsigned idle = 0;;) {
          std::size_t f = first.load(std::memory_order_acquire);
          while (f < count && taken[f].load(std::memory_order_relaxed) == stamp)  // move `first` past taken places
            if (first.compare_exchange_weak(f, f + 1, std::memory_order_acq_rel)) ++f;
          if (f >= count || failed.load(std::memory_order_relaxed)) return;
          std::size_t k = f, end = std::min(count, f + kLookahead);
          for (; k < end; ++k) {
            std::size_t was = taken[k].load(std::memory_order_relaxed);
            if (was != stamp && ready(order[k]) && taken[k].compare_exchange_strong(was, stamp, std::memory_order_acq_rel)) break;
          }
          if (k == end) {
            if (++idle < 256) relax();
            else std::this_thread::yield();
            continue;
          }
          idle = 0;
          const NodeId id = order[k];
          const std::uint64_t t0 = ticks();
          step(id);
          record(id);
          cost[id] = 0.75 * cost[id] + 0.25 * std::max(1.0, double(ticks() - t0));
          done[id].store(stamp, std::memory_order_release);
        }
      } catch (...) {
        if (!failed.exchange(true)) error = std::current_exception();
      }
    };
    const int workers = tbb::this_task_arena::max_concurrency();
    if (workers < 2) {
      work();
    } else {
      // Isolated: a kernel's own parallel loop must not pick up another worker here, which could wait
      // on the node this thread is in the middle of.
      tbb::parallel_for(0, workers, [&](int) { tbb::this_task_arena::isolate(work); }, tbb::simple_partitioner());
    }
    if (error) std::rethrow_exception(error);
  }
};

FactorStream::FactorStream(const Program& program, std::vector<NodeId> outputs, std::size_t instruments)
    : s_(std::make_unique<State>()) {
  State& s = *s_;
  s.nodes = program.nodes();
  s.outputs = std::move(outputs);
  s.N = instruments;
  const auto& nodes = s.nodes;
  s.needed.assign(nodes.size(), 0);
  for (NodeId o : s.outputs) s.needed[o] = 1;
  std::vector<std::size_t> history(nodes.size(), 0);  // 0: no reader looks back
  for (std::size_t i = nodes.size(); i-- > 0;) {
    if (!s.needed[i]) continue;
    const Node& n = nodes[i];
    if (op_def(n.op).cls == OpClass::cross_section && instruments < 2)
      fail(ErrorCode::invalid_argument, "factors", "the cross-sectional operator {} needs at least 2 instruments; the universe has {}",
           op_def(n.op).name, instruments);
    // Rows of each input this node looks at: its window (w + 1 for a recurrence, which removes the row
    // leaving it; lag + 1 for Ref and Delta).
    std::size_t look = 0;
    if (n.op == Op::cs_pca_loading) look = kernels::window_of(n);
    if (op_def(n.op).cls == OpClass::rolling && n.op != Op::ema) {
      const auto sig = op_def(n.op).signature;
      const bool leaves = kernels::is_recurrence(n.op) || n.op == Op::quantile || n.op == Op::med;  // state drops the leaving row
      look = kernels::window_of(n) + (leaves || sig.find('L') != sig.npos ? 1 : 0);
    }
    for (NodeId in : n.inputs) s.needed[in] = 1, history[in] = std::max(history[in], look);
  }
  s.st.resize(nodes.size());
  std::size_t cells = 0;  // a row, or a history whose next slot is the row (History::next)
  for (std::size_t i = 0; i < nodes.size(); ++i)
    if (s.needed[i]) cells += (history[i] > 0 ? 2 * history[i] : 1) * instruments;
  s.arena.allocate(cells);
  double* next = s.arena.cells;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    if (!s.needed[i]) continue;
    const Node& n = nodes[i];
    NodeState& ns = s.st[i];
    if (history[i] > 0) {
      ns.hist.init(history[i], instruments, next), next += 2 * history[i] * instruments;
      ns.cur = {ns.hist.next(), instruments};
    } else {
      ns.cur = {next, instruments};
      next += instruments;
    }
    std::fill(ns.cur.begin(), ns.cur.end(), n.op == Op::constant ? n.params[0] : kNaN);  // a constant is a row that never changes
    if (n.op == Op::constant) continue;
    if (n.op == Op::field) {
      s.fields.push_back(n.field);
      continue;
    }
    if (kernels::is_recurrence(n.op) && n.op != Op::ema) ns.moments = kernels::recurrence_state(instruments);
    if (n.op == Op::ema) ns.ema.resize(instruments);
    if (n.op == Op::quantile || n.op == Op::med) ns.sorted.resize(instruments);
    if (n.op == Op::ta) ns.ta = analytics::ta::make_stream(*n.ta, n.params, instruments);
    s.order.push_back(NodeId(i));
  }
  std::sort(s.fields.begin(), s.fields.end());
  s.fields.erase(std::unique(s.fields.begin(), s.fields.end()), s.fields.end());
  // (family, input, W) -> nodes; family: a shared_window_family, or -1 for cs_pca_loading
  std::map<std::tuple<int, NodeId, double>, std::vector<NodeId>> by_window;
  for (NodeId i : s.order) {
    const Op op = nodes[i].op;
    const int family = op == Op::cs_pca_loading ? -1 : kernels::shared_window_family(op);
    if (family) by_window[{family, nodes[i].inputs[0], nodes[i].params[0]}].push_back(i);
  }
  std::vector<NodeId> leader(nodes.size());
  for (std::size_t i = 0; i < nodes.size(); ++i) leader[i] = NodeId(i);
  s.groups.resize(nodes.size());
  // TA-Lib functions of one shared_stream_family and parameters whose inputs of one name are one node
  // (WILLR's and MIDPRICE's high and low): one stream.
  struct TaGroup {
    std::vector<std::pair<std::string_view, NodeId>> inputs;  // by name, of every member
    std::vector<NodeId> members;
  };
  std::map<std::pair<std::string_view, std::vector<double>>, std::vector<TaGroup>> by_stream;  // (family, params)
  for (NodeId i : s.order) {
    const Node& n = nodes[i];
    const std::string_view family = n.op == Op::ta ? analytics::ta::shared_stream_family(*n.ta) : std::string_view();
    if (family.empty()) continue;
    auto agrees = [&](const TaGroup& g) {
      for (std::size_t k = 0; k < n.inputs.size(); ++k)
        for (const auto& [name, id] : g.inputs)
          if (name == n.ta->inputs[k] && id != n.inputs[k]) return false;
      return true;
    };
    auto& candidates = by_stream[{family, n.params}];
    auto g = std::find_if(candidates.begin(), candidates.end(), agrees);
    if (g == candidates.end()) g = candidates.insert(candidates.end(), TaGroup{});
    g->members.push_back(i);
    for (std::size_t k = 0; k < n.inputs.size(); ++k) g->inputs.emplace_back(n.ta->inputs[k], n.inputs[k]);
  }
  for (auto& [key, candidates] : by_stream)
    for (auto& group : candidates) {
      if (group.members.size() < 2) continue;
      std::vector<const analytics::ta::FunctionDef*> fs;
      for (NodeId g : group.members) fs.push_back(nodes[g].ta), leader[g] = group.members[0], s.st[g].ta.reset();
      s.st[group.members[0]].ta = analytics::ta::make_shared_stream(fs, key.second, instruments);
      s.groups[group.members[0]] = std::move(group.members);
    }
  for (auto& [key, group] : by_window) {
    // rolling_shared takes at most kMaxShared nodes; a sorted window (family 4, Quantile/Med) and the
    // decomposition (-1) serve any number
    const bool scan = std::get<0>(key) > 0 && std::get<0>(key) != 4;
    for (std::size_t from = 0; from < group.size(); from += scan ? kernels::kMaxShared : group.size()) {
      const std::size_t to = scan ? std::min(group.size(), from + kernels::kMaxShared) : group.size();
      if (to - from < 2) continue;
      for (std::size_t g = from; g < to; ++g) leader[group[g]] = group[from];
      s.groups[group[from]].assign(group.begin() + std::ptrdiff_t(from), group.begin() + std::ptrdiff_t(to));
    }
  }
  std::erase_if(s.order, [&](NodeId i) { return leader[i] != i; });
  s.waits.resize(nodes.size());
  s.readers.resize(nodes.size());
  for (NodeId i : s.order)
    for (NodeId in : nodes[i].inputs) {
      const NodeId d = leader[in];
      const Op op = nodes[d].op;
      if (op == Op::field || op == Op::constant || std::find(s.waits[i].begin(), s.waits[i].end(), d) != s.waits[i].end()) continue;
      s.waits[i].push_back(d);
      s.readers[d].push_back(i);
    }
  s.done = std::make_unique<std::atomic<std::size_t>[]>(nodes.size());
  s.taken = std::make_unique<std::atomic<std::size_t>[]>(s.order.size());
  s.cost.assign(nodes.size(), 1.0);
}

FactorStream::~FactorStream() = default;
FactorStream::FactorStream(FactorStream&&) noexcept = default;
FactorStream& FactorStream::operator=(FactorStream&&) noexcept = default;

void FactorStream::update(const BarFields& bar) {
  State& s = *s_;
  for (const auto& f : s.fields) {
    auto it = bar.find(f);
    if (it == bar.end()) fail(ErrorCode::invalid_argument, f, "the bar has no field ${}", f);
    if (it->second.size() != s.N) fail(ErrorCode::dimension_mismatch, f, "${} holds {} values, one per instrument ({}) expected", f, it->second.size(), s.N);
  }
  s.place_rows();
  for (std::size_t i = 0; i < s.nodes.size(); ++i) {
    if (!s.needed[i]) continue;
    const Node& n = s.nodes[i];
    if (n.op == Op::field) {
      const auto& v = bar.find(n.field)->second;
      std::copy(v.begin(), v.end(), s.st[i].cur.begin());
    } else if (n.op == Op::constant && s.st[i].hist.H) {  // a window over a constant reads it from this bar on
      std::fill(s.st[i].cur.begin(), s.st[i].cur.end(), n.params[0]);
    }
    if (n.op == Op::field || n.op == Op::constant) s.record(NodeId(i));
  }
  if (s.seen % 64 == 1) s.reorder();  // from the second bar on (the first has no full windows)
  s.run();
  ++s.seen;
}

std::span<const double> FactorStream::value(std::size_t k) const {
  const NodeId o = s_->outputs[k];
  return s_->st[o].cur;
}

std::size_t FactorStream::outputs() const { return s_->outputs.size(); }
std::size_t FactorStream::instruments() const { return s_->N; }
std::size_t FactorStream::bars() const { return s_->seen; }
const std::vector<std::string>& FactorStream::fields() const { return s_->fields; }

}  // namespace sextant::features
