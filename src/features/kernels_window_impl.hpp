// The window kernels' bodies, included by kernels_window.cpp once per CPU level, each time inside
// its own namespace and under its own target (no include guard, on purpose). Every function that
// operates on vectors must be defined here, under the target: GCC 12 lowers the vector operations of
// an inlined function built without it lane by lane.
//
// Lane<8> is eight instruments' doubles as a GCC vector (one AVX-512 register, two AVX2 ones), Lane<1>
// one double. The kernels carry their per-instrument sums from row to row in these, so the sums stay
// in registers (as arrays of run-time width they lived in memory, and each row waited on the previous
// row's stores). Operators act lane by lane: each instrument sees the IEEE operations of the scalar
// code, in the same order.

template <std::size_t L>
using Lane = std::conditional_t<L == 1, double, V8>;

template <class V>
[[gnu::always_inline]] inline V load(const double* p) {
  V v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <class V>
[[gnu::always_inline]] inline void store(double* p, const V& v) {
  std::memcpy(p, &v, sizeof v);
}
template <class V>
[[gnu::always_inline]] inline V splat(double d) {
  if constexpr (std::is_same_v<V, double>) return d;
  else return V{d, d, d, d, d, d, d, d};
}

// |v|: the sign bit cleared, as std::fabs does.
template <class V>
[[gnu::always_inline]] inline V abs_of(V v) {
  if constexpr (std::is_same_v<V, double>) {
    return std::fabs(v);
  } else {
    using I = long long __attribute__((vector_size(64)));
    constexpr long long m = 0x7fffffffffffffffLL;
    return (V)((I)v & I{m, m, m, m, m, m, m, m});
  }
}


// Corr and Cov from each window's centred sums (two passes over its pairs where both are present).
// pandas computes mean(xy) - mean(x)·mean(y) from running sums instead, which cancels when the
// correlation is small against the means: at |ρ| ~ 1e-3 between prices and log volumes it keeps 8
// digits. Two passes keep the error at the scale of the deviations.
template <std::size_t L>
[[gnu::always_inline]] inline void pair_impl(const Node& n, const double* x, const double* y, double* out, const Block& b, bool corr) {
  using V = Lane<L>;
  const V zero = splat<V>(0.0), one = splat<V>(1.0);
  const std::size_t w = window_of(n);
  const long minp = std::max(2L, min_periods(n));
  const bool qlib = !op_def(n.op).strict;
  for (std::size_t t = b.first; t < b.rows; ++t) {
    const std::size_t start = t + 1 >= w ? t + 1 - w : 0;
    V cnt = zero, mx = zero, my = zero;
    for (std::size_t r = start; r <= t; ++r) {
      const V xr = load<V>(x + r * b.stride + b.c0), yr = load<V>(y + r * b.stride + b.c0);
      const auto ok = (xr == xr) & (yr == yr);
      cnt += ok ? one : zero;
      mx += ok ? xr : zero;
      my += ok ? yr : zero;
    }
    mx /= cnt, my /= cnt;
    V sxx = zero, syy = zero, sxy = zero;
    for (std::size_t r = start; r <= t; ++r) {
      const V xr = load<V>(x + r * b.stride + b.c0), yr = load<V>(y + r * b.stride + b.c0);
      const auto ok = (xr == xr) & (yr == yr);
      const V dx = ok ? xr - mx : zero, dy = ok ? yr - my : zero;
      sxx += dx * dx;
      syy += dy * dy;
      sxy += dx * dy;
    }
    double k_[L], xx[L], yy[L], xy[L];
    store(k_, cnt), store(xx, sxx), store(yy, syy), store(xy, sxy);
    double* o = out + (t - b.first) * b.stride + b.c0;
    // Every case computed and the answer picked, so the loop vectorises (the features library is built
    // without errno from sqrt); each picked value is the same IEEE expression as when branched to.
    for (std::size_t j = 0; j < L; ++j) {
      const double k = k_[j], k1 = k - 1;
      const double cov = xy[j] / k1;
      // Qlib: NaN where either side's rolling std is within 2e-5 of 0 (numpy.isclose, atol 2e-5).
      const bool flat = qlib && (std::sqrt(xx[j] / k1) <= 2e-5 || std::sqrt(yy[j] / k1) <= 2e-5);
      // The paper's correlation of a constant window is 0 (as pandas implementations of the alphas
      // fill it): a NaN there would void every strict window downstream of it.
      const double den = std::sqrt(xx[j] * yy[j]);
      const double rho = den > 0 ? xy[j] / den : qlib ? kNaN : 0.0;
      o[j] = k < double(minp) ? kNaN : !corr ? cov : flat ? kNaN : rho;
    }
  }
}

// A window operator's output row t: the window's rows are read where they lie and the operator steps
// across the instruments a row at a time. Per instrument, a NaN leaves every sum as it was, and the
// sums run oldest row first. `nodes` share the input and window (rolling_shared); the first decides
// what is summed.
template <std::size_t L>
[[gnu::always_inline]] inline void window_row_impl(std::span<const Node* const> nodes, const double* x, std::span<double* const> outs,
                                                   const Block& b, std::size_t t) {
  using V = Lane<L>;
  const V zero = splat<V>(0.0), one = splat<V>(1.0);
  const Op op = nodes[0]->op;
  const std::size_t w = window_of(*nodes[0]);
  const std::size_t start = t + 1 >= w ? t + 1 - w : 0, len = t + 1 - start;
  const bool strict = op_def(op).strict;
  const double* base = x + start * b.stride + b.c0;  // the window's first row; row r at base + r·stride
  const double* last = x + t * b.stride + b.c0;
  double* const o = outs[0] + (t - b.first) * b.stride + b.c0;
  V cnt = zero, a = zero, c = zero, d = zero, e = zero, f = zero;
  // The sums per instrument, for the scalar tail of each case.
  double n_[L], a_[L], c_[L], d_[L], e_[L], f_[L];
  auto spill = [&]() __attribute__((always_inline)) { store(n_, cnt), store(a_, a), store(c_, c), store(d_, d), store(e_, e), store(f_, f); };
  auto count_and_sum = [&]() __attribute__((always_inline)) {  // cnt and a: the count and sum of the non-NaN values
    for (std::size_t r = 0; r < len; ++r) {
      const V v = load<V>(base + r * b.stride);
      const auto ok = v == v;
      cnt += ok ? one : zero;
      a = ok ? a + v : a;
    }
  };
  auto empty = [&](std::size_t j) __attribute__((always_inline)) { return n_[j] == 0 || (strict && n_[j] < double(w)); };
  switch (op) {
    case Op::count:
      for (std::size_t r = 0; r < len; ++r) {
        const V v = load<V>(base + r * b.stride);
        cnt += v == v ? one : zero;
      }
      store(o, cnt);
      return;
    case Op::max: case Op::ts_max: case Op::min: case Op::ts_min:
    case Op::idxmax: case Op::ts_argmax: case Op::idxmin: case Op::ts_argmin: {
      const bool want_max = op == Op::max || op == Op::ts_max || op == Op::idxmax || op == Op::ts_argmax;
      a = splat<V>(kNaN);  // the extreme so far (the earliest of ties), c: its position
      for (std::size_t r = 0; r < len; ++r) {
        const V v = load<V>(base + r * b.stride);
        const auto ok = v == v;
        const auto better = ok & ((a != a) | (want_max ? v > a : v < a));
        cnt += ok ? one : zero;
        a = better ? v : a;
        c = better ? splat<V>(double(r)) : c;
      }
      spill();
      for (std::size_t i = 0; i < nodes.size(); ++i) {  // Max and IdxMax of one window (or Min and IdxMin)
        const bool position = is_position(nodes[i]->op), strict_i = op_def(nodes[i]->op).strict;
        double* y = outs[i] + (t - b.first) * b.stride + b.c0;
        for (std::size_t j = 0; j < L; ++j) y[j] = n_[j] == 0 || (strict_i && n_[j] < double(w)) ? kNaN : position ? c_[j] + 1.0 : a_[j];
      }
      return;
    }
    case Op::rank:
    case Op::ts_rank: {
      const V lv = load<V>(last);
      for (std::size_t r = 0; r < len; ++r) {
        const V v = load<V>(base + r * b.stride);
        cnt += v == v ? one : zero;
        a += v < lv ? one : zero;   // less
        c += v == lv ? one : zero;  // equal
      }
      spill();
      for (std::size_t j = 0; j < L; ++j) {
        const double rk = a_[j] + (c_[j] + 1.0) / 2.0;
        o[j] = empty(j) || last[j] != last[j] ? kNaN : op == Op::rank ? rk / n_[j] : rk;
      }
      return;
    }
    case Op::decay_linear: {
      const double total = double(w) * double(w + 1) / 2.0;
      for (std::size_t r = 0; r < len; ++r) {  // a NaN in the window propagates
        const V v = load<V>(base + r * b.stride);
        cnt += v == v ? one : zero;
        a += splat<V>(double(r + 1) / total) * v;
      }
      spill();
      for (std::size_t j = 0; j < L; ++j) o[j] = empty(j) ? kNaN : a_[j];
      return;
    }
    case Op::wma: {
      const double total = double(len) * double(len + 1) / 2.0;
      for (std::size_t r = 0; r < len; ++r) {
        const V v = load<V>(base + r * b.stride);
        const auto ok = v == v;
        cnt += ok ? one : zero;
        a = ok ? a + splat<V>(double(r + 1) / total) * v : a;
      }
      spill();
      for (std::size_t j = 0; j < L; ++j) o[j] = empty(j) ? kNaN : a_[j] / n_[j];
      return;
    }
    case Op::ts_product: {
      a = one;
      for (std::size_t r = 0; r < len; ++r) {
        const V v = load<V>(base + r * b.stride);
        const auto ok = v == v;
        cnt += ok ? one : zero;
        a = ok ? a * v : a;
      }
      spill();
      for (std::size_t j = 0; j < L; ++j) o[j] = empty(j) ? kNaN : a_[j];
      return;
    }
    case Op::mad: {
      count_and_sum();
      d = a / cnt;
      for (std::size_t r = 0; r < len; ++r) {
        const V v = load<V>(base + r * b.stride);
        c = v == v ? c + abs_of(v - d) : c;
      }
      spill();
      for (std::size_t j = 0; j < L; ++j) o[j] = empty(j) ? kNaN : c_[j] / n_[j];
      return;
    }
    case Op::skew:
    case Op::kurt: {
      count_and_sum();
      f = a / cnt;  // the mean
      for (std::size_t r = 0; r < len; ++r) {
        const V v = load<V>(base + r * b.stride);
        const auto ok = v == v;
        const V dv = v - f, d2 = dv * dv;
        c = ok ? c + d2 : c;
        d = ok ? d + d2 * dv : d;
        e = ok ? e + d2 * d2 : e;
      }
      spill();
      for (std::size_t i = 0; i < nodes.size(); ++i) {  // Skew and Kurt of one window
        const bool skew = nodes[i]->op == Op::skew;
        double* y = outs[i] + (t - b.first) * b.stride + b.c0;
        for (std::size_t j = 0; j < L; ++j) {
          const double N = n_[j];
          if (empty(j) || N < (skew ? 3.0 : 4.0)) {
            y[j] = kNaN;
            continue;
          }
          const double m2 = c_[j] / N, m3 = d_[j] / N, m4 = e_[j] / N;
          if (m2 <= 1e-14 * std::max(1.0, f_[j] * f_[j])) y[j] = kNaN;
          else if (skew) y[j] = std::sqrt(N * (N - 1)) / (N - 2) * m3 / std::pow(m2, 1.5);
          else y[j] = (N - 1) / ((N - 2) * (N - 3)) * ((N + 1) * (m4 / (m2 * m2) - 3.0) + 6.0);
        }
      }
      return;
    }
    case Op::slope:
    case Op::rsquare:
    case Op::resi: {
      for (std::size_t r = 0; r < len; ++r) {  // count, sx, sy
        const V v = load<V>(base + r * b.stride);
        const auto ok = v == v;
        cnt += ok ? one : zero;
        a = ok ? a + splat<V>(double(r + 1)) : a;
        c = ok ? c + v : c;
      }
      a /= cnt, c /= cnt;  // mx, my
      for (std::size_t r = 0; r < len; ++r) {
        const V v = load<V>(base + r * b.stride);
        const auto ok = v == v;
        const V dx = splat<V>(double(r + 1)) - a, dy = v - c;
        d = ok ? d + dx * dx : d;  // sxx
        e = ok ? e + dx * dy : e;  // sxy
        f = ok ? f + dy * dy : f;  // syy
      }
      spill();
      for (std::size_t i = 0; i < nodes.size(); ++i) {  // Slope, Rsquare and Resi of one window
        const Op oi = nodes[i]->op;
        double* y = outs[i] + (t - b.first) * b.stride + b.c0;
        for (std::size_t j = 0; j < L; ++j) {
          if (empty(j) || n_[j] < 2) {
            y[j] = kNaN;
            continue;
          }
          const double slope = e_[j] / d_[j];
          if (oi == Op::slope) y[j] = slope;
          else if (oi == Op::rsquare) y[j] = f_[j] > 0 ? e_[j] * e_[j] / (d_[j] * f_[j]) : kNaN;
          else y[j] = last[j] != last[j] ? kNaN : last[j] - (c_[j] + slope * (double(len) - a_[j]));
        }
      }
      return;
    }
    default: return;
  }
}

// Max, Min, IdxMax and IdxMin over many rows (van Herk / Gil-Werman): the rows are cut into segments of
// w; a window is the tail of one segment and the head of the next, so its extreme combines the
// running extreme from the segment's end (computed backwards) with the one from the next segment's
// start: three comparisons a value whatever the window. Comparisons are exact and the earliest of
// equal values wins at every step (an associative choice), so the answer is window_row()'s, bit for
// bit, and the stream (window_row, one row) agrees with it.
template <std::size_t L>
[[gnu::always_inline]] inline void extremes_impl(std::span<const Node* const> nodes, const double* x, std::span<double* const> outs,
                                                 const Block& b) {
  using V = Lane<L>;
  const V zero = splat<V>(0.0), one = splat<V>(1.0);
  const Op op0 = nodes[0]->op;
  const bool want_max = op0 == Op::max || op0 == Op::ts_max || op0 == Op::idxmax || op0 == Op::ts_argmax;
  const std::size_t w = window_of(*nodes[0]);
  const std::size_t from = b.first + 1 >= w ? b.first + 1 - w : 0;  // the first window's oldest row
  // Per segment row: the extreme of the rows from it to the segment's end, its row, and their count.
  thread_local std::vector<double> tails;
  tails.resize(3 * w * L);
  double *tv = tails.data(), *ti = tv + w * L, *tc = ti + w * L;
  // Whether `later` replaces `earlier` (NaN: no value yet).
  auto later_wins = [want_max](V earlier, V later) __attribute__((always_inline)) {
    return (later == later) & ((earlier != earlier) | (want_max ? later > earlier : later < earlier));
  };
  V hv = zero, hi = zero, hc = zero;  // from the segment's start to the current row
  for (std::size_t s0 = from; s0 < b.rows; s0 += w) {
    const std::size_t s1 = std::min(s0 + w, b.rows);
    for (std::size_t t = s0; t < s1; ++t) {
      const V v = load<V>(x + t * b.stride + b.c0), rt = splat<V>(double(t));
      const V seen = v == v ? one : zero;
      if (t == s0) {
        hv = v, hi = rt, hc = seen;
      } else {
        const auto take = later_wins(hv, v);
        hv = take ? v : hv;
        hi = take ? rt : hi;
        hc += seen;
      }
      if (t < b.first) continue;
      const std::size_t start = t + 1 >= w ? t + 1 - w : 0;
      // The window is [start, t]: the head alone when it starts the segment, else the previous
      // segment's tail from `start` followed by the head.
      V value = hv, at = hi, cnt = hc;
      if (start != s0) {
        const std::size_t k = (start - (s0 - w)) * L;
        const V pv = load<V>(tv + k), pi = load<V>(ti + k);
        const auto take = later_wins(pv, hv);  // the head is the later part
        value = take ? hv : pv;
        at = take ? hi : pi;
        cnt = hc + load<V>(tc + k);
      }
      double v_[L], at_[L], n_[L];
      store(v_, value), store(at_, at - splat<V>(double(start))), store(n_, cnt);
      for (std::size_t i = 0; i < nodes.size(); ++i) {
        const bool position = is_position(nodes[i]->op), strict = op_def(nodes[i]->op).strict;
        double* o = outs[i] + (t - b.first) * b.stride + b.c0;
        for (std::size_t j = 0; j < L; ++j) o[j] = n_[j] == 0 || (strict && n_[j] < double(w)) ? kNaN : position ? at_[j] + 1.0 : v_[j];
      }
    }
    // This segment's tails, for the windows that end in the next one.
    V qv = zero, qi = zero, qc = zero;
    for (std::size_t t = s1; t-- > s0;) {
      const V v = load<V>(x + t * b.stride + b.c0), rt = splat<V>(double(t));
      const V seen = v == v ? one : zero;
      if (t + 1 == s1) {
        qv = v, qi = rt, qc = seen;
      } else {
        const auto keep = later_wins(v, qv);  // the row is earlier than the rest of the tail
        qv = keep ? qv : v;
        qi = keep ? qi : rt;
        qc += seen;
      }
      const std::size_t k = (t - s0) * L;
      store(tv + k, qv), store(ti + k, qi), store(tc + k, qc);
    }
  }
}

// A lane's sign bit (std::signbit) where the lane is not NaN, as a mask of a double comparison.
template <class V>
[[gnu::always_inline]] inline auto sign_of(V v) {
  if constexpr (std::is_same_v<V, double>) {
    return std::signbit(v);
  } else {
    const V zero = splat<V>(0.0);
    return (v < zero) | ((v == zero) & (splat<V>(1.0) / v < zero));
  }
}

// pandas' roll_sum/roll_mean state for L instruments: separate compensations for adding and removing,
// the last value and how many times it repeats, and the count of negatives (a mean of only negatives
// or only non-negatives keeps its sign). A NaN leaves a lane as it was. Batch carries the state in
// registers from row to row; the stream keeps it between bars in kRecurrenceFields rows of N doubles
// (load_lanes/save_lanes), so the two run the same operations in the same order, lane by lane.
template <class V>
struct MeanLanes {
  using Value = V;
  V sum, comp_add, comp_rem, prev, nobs, same, neg;  // prev is field 3 (fresh_lanes, recurrence_state)
  [[gnu::always_inline]] std::array<V*, 7> fields() { return {&sum, &comp_add, &comp_rem, &prev, &nobs, &same, &neg}; }
  [[gnu::always_inline]] void remove(V v) {
    const V one = splat<V>(1.0);
    const auto ok = v == v;
    const V y = -v - comp_rem, s1 = sum + y;
    nobs = ok ? nobs - one : nobs;
    comp_rem = ok ? s1 - sum - y : comp_rem;
    sum = ok ? s1 : sum;
    neg = ok & sign_of(v) ? neg - one : neg;
  }
  [[gnu::always_inline]] void add(V v) {
    const V one = splat<V>(1.0);
    const auto ok = v == v;
    const V y = v - comp_add, s1 = sum + y;
    nobs = ok ? nobs + one : nobs;
    comp_add = ok ? s1 - sum - y : comp_add;
    sum = ok ? s1 : sum;
    neg = ok & sign_of(v) ? neg + one : neg;
    const auto repeat = v == prev;  // a repeat keeps the first of the equal values (0.0 against -0.0)
    same = ok ? (repeat ? same + one : one) : same;
    prev = repeat ? prev : ok ? v : prev;
  }
  //! The window's mean (mean) or sum into o[0..L); NaN below minp values.
  [[gnu::always_inline]] void value(V minp, bool mean, double* o) const { store(o, value_of(mean, minp)); }
  [[gnu::always_inline]] V value_of(bool mean, V minp) const {
    const V zero = splat<V>(0.0);
    const auto none = (nobs < minp) | (nobs == zero);
    V r;
    if (mean) {
      const V m = sum / nobs;
      r = (neg == zero) & (m < zero) ? zero : m;
      r = (neg == nobs) & (m > zero) ? zero : r;
      r = same >= nobs ? prev : r;
    } else {
      r = same >= nobs ? prev * nobs : sum;
    }
    return none ? splat<V>(kNaN) : r;
  }
};

// pandas' roll_var state for L instruments: Welford with Kahan-compensated means, and the repeats of
// the last value (a window of one repeated value has variance 0). Kept as MeanLanes is.
template <class V>
struct VarLanes {
  using Value = V;
  V mean, ssq, comp_add, prev, comp_rem, nobs, same;  // prev is field 3, as in MeanLanes
  [[gnu::always_inline]] std::array<V*, 7> fields() { return {&mean, &ssq, &comp_add, &prev, &comp_rem, &nobs, &same}; }
  [[gnu::always_inline]] void remove(V v) {
    const V zero = splat<V>(0.0), one = splat<V>(1.0);
    const auto ok = v == v;
    const V left = ok ? nobs - one : nobs;
    const auto some = ok & (left != zero);
    const V prev_mean = mean - comp_rem, y = v - comp_rem, d = y - mean;
    const V mean1 = mean - d / left;
    const V ssq1 = ssq - (v - prev_mean) * (v - mean1);
    comp_rem = some ? d + mean - y : comp_rem;
    mean = some ? mean1 : ok ? zero : mean;
    ssq = some ? ssq1 : ok ? zero : ssq;
    nobs = left;
  }
  [[gnu::always_inline]] void add(V v) {
    const V one = splat<V>(1.0);
    const auto ok = v == v;
    const auto repeat = v == prev;
    same = ok ? (repeat ? same + one : one) : same;
    prev = repeat ? prev : ok ? v : prev;
    const V count = ok ? nobs + one : nobs;
    const V prev_mean = mean - comp_add, y = v - comp_add, d = y - mean;
    const V mean1 = mean + d / count;
    const V ssq1 = ssq + (v - prev_mean) * (v - mean1);
    comp_add = ok ? d + mean - y : comp_add;
    mean = ok ? mean1 : mean;
    ssq = ok ? ssq1 : ssq;
    nobs = count;
  }
  //! The window's variance (ddof 1) into o[0..L), or its square root (sd); NaN below minp values.
  [[gnu::always_inline]] void value(V minp, bool sd, double* o) const {
    const V zero = splat<V>(0.0), one = splat<V>(1.0);
    const V r = ssq / (nobs - one);
    V var = r < zero ? zero : r;
    var = (nobs == one) | (same >= nobs) ? zero : var;
    var = (nobs < minp) | (nobs <= one) ? splat<V>(kNaN) : var;
    store(o, var);
    if (sd)
      for (std::size_t j = 0; j < sizeof(V) / sizeof(double); ++j) o[j] = std::sqrt(o[j]);
  }
};

// A MeanLanes or VarLanes state: fresh (zeros; field 3, the last value seen, NaN: none yet), or from
// and back to the stream's kRecurrenceFields rows of N doubles (field k at row k).
template <class S>
[[gnu::always_inline]] inline S fresh_lanes() {
  S st;
  for (auto* f : st.fields()) *f = splat<typename S::Value>(0.0);
  *st.fields()[3] = splat<typename S::Value>(kNaN);
  return st;
}
template <class S>
[[gnu::always_inline]] inline S load_lanes(const double* s, std::size_t N) {
  S st;
  std::size_t k = 0;
  for (auto* f : st.fields()) *f = load<typename S::Value>(s + k++ * N);
  return st;
}
template <class S>
[[gnu::always_inline]] inline void save_lanes(S& st, double* s, std::size_t N) {
  std::size_t k = 0;
  for (auto* f : st.fields()) store(s + k++ * N, *f);
}

// Sum/Mean (S = MeanLanes; flag: mean) or Var/Std (S = VarLanes; flag: sd) over the block's rows,
// eight instruments at once.
template <class S>
[[gnu::always_inline]] inline void moment_rows(const Node& n, const double* x, double* out, const Block& b, bool flag) {
  using V = typename S::Value;
  const std::size_t w = window_of(n);
  const V minp = splat<V>(double(min_periods(n)));
  auto st = fresh_lanes<S>();
  for (std::size_t t = 0; t < b.rows; ++t) {
    if (t >= w) st.remove(load<V>(x + (t - w) * b.stride + b.c0));
    st.add(load<V>(x + t * b.stride + b.c0));
    if (t >= b.first) st.value(minp, flag, out + (t - b.first) * b.stride + b.c0);
  }
}
template <std::size_t L>
[[gnu::always_inline]] inline void mean_impl(const Node& n, const double* x, double* out, const Block& b, bool mean) {
  moment_rows<MeanLanes<Lane<L>>>(n, x, out, b, mean);
}
template <std::size_t L>
[[gnu::always_inline]] inline void var_impl(const Node& n, const double* x, double* out, const Block& b, bool sd) {
  moment_rows<VarLanes<Lane<L>>>(n, x, out, b, sd);
}

// One bar of the same for the stream: the state from `state` (kRecurrenceFields rows of `N`), the row
// leaving the window removed (when the window is full), this bar's added, the value out and the state
// back.
template <class S>
[[gnu::always_inline]] inline void moment_step(const Node& n, double* state, std::size_t N, const double* leaving, const double* x,
                                               double* out, const Block& b, bool flag) {
  static_assert(std::tuple_size_v<decltype(std::declval<S&>().fields())> == kRecurrenceFields,
                "the state's fields are the kRecurrenceFields rows that recurrence_state() allocates");
  using V = typename S::Value;
  auto st = load_lanes<S>(state + b.c0, N);
  if (leaving) st.remove(load<V>(leaving + b.c0));
  st.add(load<V>(x + b.c0));
  st.value(splat<V>(double(min_periods(n))), flag, out + b.c0);
  save_lanes(st, state + b.c0, N);
}
template <std::size_t L>
[[gnu::always_inline]] inline void mean_step_impl(const Node& n, double* state, std::size_t N, const double* leaving, const double* x,
                                                  double* out, const Block& b, bool mean) {
  moment_step<MeanLanes<Lane<L>>>(n, state, N, leaving, x, out, b, mean);
}
template <std::size_t L>
[[gnu::always_inline]] inline void var_step_impl(const Node& n, double* state, std::size_t N, const double* leaving, const double* x,
                                                 double* out, const Block& b, bool sd) {
  moment_step<VarLanes<Lane<L>>>(n, state, N, leaving, x, out, b, sd);
}

// g = x·xᵀ (rows × rows, both triangles) for x row-major rows × cols: each entry a dot product of two
// rows, eight columns a lane, the lanes then added in order and the leftover columns after them. Below
// the diagonal, 4 × 4 entries at a time, each in its own accumulator: the same sums, but 8 row loads
// for 16 entries and 16 add chains in flight (at 120 × 500, 3x faster than an entry at a time).
inline void gram(const double* x, std::size_t rows, std::size_t cols, double* g) {
  using V = Lane<8>;
  const std::size_t full = cols / 8 * 8;
  auto finish = [&](const V& acc, std::size_t a, std::size_t b) {
    const double *xa = x + a * cols, *xb = x + b * cols;
    double lanes[8];
    store(lanes, acc);
    double s = 0;
    for (double v : lanes) s += v;
    for (std::size_t j = full; j < cols; ++j) s += xa[j] * xb[j];
    g[a * rows + b] = g[b * rows + a] = s;
  };
  std::size_t a0 = 0;
  for (; a0 + 4 <= rows; a0 += 4) {
    const double* xa = x + a0 * cols;
    for (std::size_t b0 = 0; b0 + 4 <= a0; b0 += 4) {  // whole blocks below the diagonal
      const double* xb = x + b0 * cols;
      V acc[4][4];
      for (auto& r : acc)
        for (V& v : r) v = splat<V>(0.0);
      for (std::size_t j = 0; j < full; j += 8) {
        const V va[4] = {load<V>(xa + j), load<V>(xa + cols + j), load<V>(xa + 2 * cols + j), load<V>(xa + 3 * cols + j)};
        const V vb[4] = {load<V>(xb + j), load<V>(xb + cols + j), load<V>(xb + 2 * cols + j), load<V>(xb + 3 * cols + j)};
        for (std::size_t p = 0; p < 4; ++p)
          for (std::size_t q = 0; q < 4; ++q) acc[p][q] += va[p] * vb[q];
      }
      for (std::size_t p = 0; p < 4; ++p)
        for (std::size_t q = 0; q < 4; ++q) finish(acc[p][q], a0 + p, b0 + q);
    }
    for (std::size_t a = a0; a < a0 + 4; ++a)  // the diagonal block, an entry at a time
      for (std::size_t b = a0; b <= a; ++b) {
        V acc = splat<V>(0.0);
        for (std::size_t j = 0; j < full; j += 8) acc += load<V>(x + a * cols + j) * load<V>(x + b * cols + j);
        finish(acc, a, b);
      }
  }
  for (std::size_t a = a0; a < rows; ++a)  // the last rows, an entry at a time
    for (std::size_t b = 0; b <= a; ++b) {
      V acc = splat<V>(0.0);
      for (std::size_t j = 0; j < full; j += 8) acc += load<V>(x + a * cols + j) * load<V>(x + b * cols + j);
      finish(acc, a, b);
    }
}

// The entry points, built for this level.
inline void mean_or_sum(const Node& n, const double* x, double* out, const Block& b, bool mean) {
  SEXTANT_IN_LANES(mean_impl, b, n, x, out, lanes_, mean);
}
inline void variance(const Node& n, const double* x, double* out, const Block& b, bool sd) {
  SEXTANT_IN_LANES(var_impl, b, n, x, out, lanes_, sd);
}
inline void mean_or_sum_step(const Node& n, double* state, const double* leaving, const double* x, double* out, std::size_t N, bool mean) {
  const Block b{1, N, 0, N};
  SEXTANT_IN_LANES(mean_step_impl, b, n, state, N, leaving, x, out, lanes_, mean);
}
inline void variance_step(const Node& n, double* state, const double* leaving, const double* x, double* out, std::size_t N, bool sd) {
  const Block b{1, N, 0, N};
  SEXTANT_IN_LANES(var_step_impl, b, n, state, N, leaving, x, out, lanes_, sd);
}
inline void pair(const Node& n, const double* x, const double* y, double* out, const Block& b, bool corr) {
  SEXTANT_IN_LANES(pair_impl, b, n, x, y, out, lanes_, corr);
}
inline void window_row(std::span<const Node* const> nodes, const double* x, std::span<double* const> outs, const Block& b, std::size_t t) {
  SEXTANT_IN_LANES(window_row_impl, b, nodes, x, outs, lanes_, t);
}
inline void extremes(std::span<const Node* const> nodes, const double* x, std::span<double* const> outs, const Block& b) {
  SEXTANT_IN_LANES(extremes_impl, b, nodes, x, outs, lanes_);
}
