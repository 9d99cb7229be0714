// Goldfarb–Idnani dual active-set QP (Math. Programming 27, 1983), in the form R's quadprog uses:
// G = LLᵀ, J = L⁻ᵀ, and for the active normals N, JᵀN = [R; 0] with R upper triangular. Adding or
// dropping a constraint updates J and R with Givens rotations. J is column-major so each rotation
// streams two contiguous columns.
#include "sextant/portfolio/qp.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "sextant/core/error.hpp"

namespace sextant::portfolio {

const char* qp_status_name(QpStatus s) {
  switch (s) {
    case QpStatus::optimal: return "optimal";
    case QpStatus::infeasible: return "infeasible";
    case QpStatus::max_iterations: return "max_iterations";
  }
  return "?";
}

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// The problem as the core sees it; rows point into caller-owned storage.
struct Core {
  std::size_t n = 0, me = 0, mi = 0;
  const double* G = nullptr;  // n×n row-major
  const double* a = nullptr;
  const double* E = nullptr;  // me×n row-major
  const double* e = nullptr;
  const double* C = nullptr;  // mi×n
  const double* c = nullptr;
  const double* lower = nullptr;  // n, or null
  const double* upper = nullptr;

  std::size_t m() const { return me + mi + 2 * n; }
  bool exists(std::size_t id) const {
    if (id < me + mi) return true;
    std::size_t b = id - me - mi;
    return b < n ? (lower && std::isfinite(lower[b])) : (upper && std::isfinite(upper[b - n]));
  }
  // The constraint in ">=" form: nᵀx >= b (equalities as written; the solver flips them as needed).
  double rhs(std::size_t id) const {
    if (id < me) return e[id];
    if (id < me + mi) return c[id - me];
    std::size_t b = id - me - mi;
    return b < n ? lower[b] : -upper[b - n];
  }
  double dot(std::size_t id, const double* x) const {
    if (id < me + mi) {
      const double* row = id < me ? E + id * n : C + (id - me) * n;
      double s = 0;
      for (std::size_t i = 0; i < n; ++i) s += row[i] * x[i];
      return s;
    }
    std::size_t b = id - me - mi;
    return b < n ? x[b] : -x[b - n];
  }
  double norm(std::size_t id) const {
    if (id >= me + mi) return 1.0;
    const double* row = id < me ? E + id * n : C + (id - me) * n;
    double s = 0;
    for (std::size_t i = 0; i < n; ++i) s += row[i] * row[i];
    return std::sqrt(s);
  }
  // d = Jᵀ n_id for column-major J.
  void jt_normal(std::size_t id, const std::vector<double>& J, double* d) const {
    if (id < me + mi) {
      const double* row = id < me ? E + id * n : C + (id - me) * n;
      for (std::size_t j = 0; j < n; ++j) {
        const double* col = J.data() + j * n;
        double s = 0;
        for (std::size_t i = 0; i < n; ++i) s += col[i] * row[i];
        d[j] = s;
      }
      return;
    }
    std::size_t b = id - me - mi;
    double sign = b < n ? 1.0 : -1.0;
    std::size_t i = b < n ? b : b - n;
    for (std::size_t j = 0; j < n; ++j) d[j] = sign * J[j * n + i];
  }
};

// Lower Cholesky factor of G + δI, row-major; false when a pivot is not safely positive.
bool cholesky(const double* G, std::size_t n, double delta, std::vector<double>& L) {
  L.assign(n * n, 0.0);
  double maxdiag = 0;
  for (std::size_t i = 0; i < n; ++i) maxdiag = std::max(maxdiag, std::abs(G[i * n + i]));
  const double floor = 1e-14 * std::max(maxdiag, 1e-300) * double(n);
  for (std::size_t j = 0; j < n; ++j) {
    const double* lj = L.data() + j * n;
    double s = G[j * n + j] + delta;
    for (std::size_t k = 0; k < j; ++k) s -= lj[k] * lj[k];
    if (!(s > floor)) return false;
    double d = std::sqrt(s);
    L[j * n + j] = d;
    for (std::size_t i = j + 1; i < n; ++i) {
      const double* li = L.data() + i * n;
      double t = G[i * n + j];
      for (std::size_t k = 0; k < j; ++k) t -= li[k] * lj[k];
      L[i * n + j] = t / d;
    }
  }
  return true;
}

inline void rotate(double* x, double* y, std::size_t len, double c, double s) {
  for (std::size_t i = 0; i < len; ++i) {
    double xi = x[i], yi = y[i];
    x[i] = c * xi + s * yi;
    y[i] = c * yi - s * xi;
  }
}

// Plane rotation (c, s) with c·a + s·b = h >= 0 and c·b - s·a = 0.
inline double givens(double a, double b, double& c, double& s) {
  double h = std::hypot(a, b);
  if (h == 0) {
    c = 1, s = 0;
    return 0;
  }
  c = a / h, s = b / h;
  return h;
}

QpResult solve_core(const Core& P, double tol, int max_iter, std::span<const int> warm, const std::function<void()>& checkpoint) {
  const std::size_t n = P.n, m = P.m();
  QpResult res;

  // Factor G, regularising when it is not positive definite to working precision.
  std::vector<double> L;
  double maxdiag = 0;
  for (std::size_t i = 0; i < n; ++i) maxdiag = std::max(maxdiag, std::abs(P.G[i * n + i]));
  double delta = 0;
  while (!cholesky(P.G, n, delta, L)) {
    delta = delta == 0 ? 1e-12 * std::max(maxdiag, 1e-12) : delta * 100;
    if (delta > 1e-2 * std::max(maxdiag, 1.0))
      fail(ErrorCode::not_positive_definite, "G", "the quadratic term is not positive semi-definite");
  }
  res.regularization = delta;

  // J = L⁻ᵀ (upper triangular), column-major: column j of J is row j of L⁻¹.
  std::vector<double> J(n * n, 0.0);
  {
    std::vector<double> col(n);
    for (std::size_t k = 0; k < n; ++k) {  // column k of L⁻¹
      std::fill(col.begin(), col.end(), 0.0);
      col[k] = 1.0 / L[k * n + k];
      for (std::size_t i = k + 1; i < n; ++i) {
        const double* li = L.data() + i * n;
        double s = 0;
        for (std::size_t l = k; l < i; ++l) s += li[l] * col[l];
        col[i] = -s / li[i];
      }
      for (std::size_t j = k; j < n; ++j) J[j * n + k] = col[j];
    }
  }

  if (checkpoint) checkpoint();
  // Unconstrained minimum x = -G⁻¹a = -J Jᵀ a.
  std::vector<double> x(n, 0.0), w(n), d(n), z(n), r(n), R(n * n, 0.0);
  for (std::size_t j = 0; j < n; ++j) {
    const double* col = J.data() + j * n;
    double s = 0;
    for (std::size_t i = 0; i < n; ++i) s += col[i] * P.a[i];
    w[j] = s;
  }
  for (std::size_t j = 0; j < n; ++j) {
    const double* col = J.data() + j * n;
    for (std::size_t i = 0; i < n; ++i) x[i] -= w[j] * col[i];
  }

  std::vector<int> act;         // active ids, in R's column order
  std::vector<double> u;        // their multipliers
  std::vector<signed char> sgn; // +1, or -1 for an equality added as -row
  std::vector<char> is_active(m, 0);
  std::vector<double> nrm(m, 1.0);
  for (std::size_t id = 0; id < P.me + P.mi; ++id) nrm[id] = P.norm(id);
  std::size_t q = 0;
  int iter = 0;

  auto drop = [&](std::size_t k) {  // remove active position k, restore R to triangular
    is_active[act[k]] = 0;
    act.erase(act.begin() + k);
    u.erase(u.begin() + k);
    sgn.erase(sgn.begin() + k);
    for (std::size_t j = k; j + 1 < q; ++j)
      for (std::size_t i = 0; i <= j + 1; ++i) R[j * n + i] = R[(j + 1) * n + i];
    for (std::size_t j = k; j + 1 < q; ++j) {
      double cth, sth;
      double h = givens(R[j * n + j], R[j * n + j + 1], cth, sth);
      R[j * n + j] = h;
      R[j * n + j + 1] = 0;
      for (std::size_t col = j + 1; col + 1 < q; ++col) {
        double a1 = R[col * n + j], a2 = R[col * n + j + 1];
        R[col * n + j] = cth * a1 + sth * a2;
        R[col * n + j + 1] = cth * a2 - sth * a1;
      }
      rotate(J.data() + j * n, J.data() + (j + 1) * n, n, cth, sth);
    }
    for (std::size_t i = 0; i < n; ++i) R[(q - 1) * n + i] = 0;
    --q;
    ++iter;
  };

  // Adds constraint id (orientation sg) to the active set, stepping in the primal and dual spaces.
  // Returns false when the problem is infeasible (res.conflict is filled).
  auto add = [&](std::size_t id, double sg) -> bool {
    double up = 0;  // the multiplier of the constraint being added
    for (;;) {
      if (max_iter > 0 && iter >= max_iter) return true;
      P.jt_normal(id, J, d.data());
      if (sg < 0)
        for (auto& v : d) v = -v;
      double s = sg * (P.dot(id, x.data()) - P.rhs(id));
      double dd2 = 0, dd = 0;
      for (std::size_t j = q; j < n; ++j) dd2 += d[j] * d[j];
      for (std::size_t j = 0; j < n; ++j) dd += d[j] * d[j];
      // r = R⁻¹ d₁: how the active multipliers must move.
      for (std::size_t jj = q; jj-- > 0;) {
        double t = d[jj];
        for (std::size_t k = jj + 1; k < q; ++k) t -= R[k * n + jj] * r[k];
        r[jj] = t / R[jj * n + jj];
      }
      double t1 = kInf;
      std::size_t l = q;
      for (std::size_t k = 0; k < q; ++k)
        if (std::size_t(act[k]) >= P.me && r[k] > 0 && u[k] / r[k] < t1) t1 = u[k] / r[k], l = k;
      const bool z_zero = dd2 <= 1e-26 * std::max(dd, 1e-300);
      double t2 = z_zero ? kInf : -s / dd2;
      if (z_zero && t1 == kInf) {
        if (id < P.me && std::abs(s) <= tol * (1 + std::abs(P.rhs(id)))) return true;  // redundant equality
        res.conflict.assign(1, int(id));
        for (std::size_t k = 0; k < q; ++k)
          if (std::abs(r[k]) > 1e-12) res.conflict.push_back(act[k]);
        std::sort(res.conflict.begin(), res.conflict.end());
        return false;
      }
      double t = std::min(t1, t2);
      if (!z_zero) {
        std::fill(z.begin(), z.end(), 0.0);
        for (std::size_t j = q; j < n; ++j) {
          const double* col = J.data() + j * n;
          double dj = d[j];
          for (std::size_t i = 0; i < n; ++i) z[i] += dj * col[i];
        }
        for (std::size_t i = 0; i < n; ++i) x[i] += t * z[i];
      }
      for (std::size_t k = 0; k < q; ++k) u[k] -= t * r[k];
      up += t;
      if (t == t2) {  // full step: the constraint joins the active set
        for (std::size_t j = n - 1; j > q; --j) {
          double cth, sth;
          d[j - 1] = givens(d[j - 1], d[j], cth, sth);
          d[j] = 0;
          rotate(J.data() + (j - 1) * n, J.data() + j * n, n, cth, sth);
        }
        for (std::size_t i = 0; i <= q; ++i) R[q * n + i] = d[i];
        act.push_back(int(id));
        u.push_back(up);
        sgn.push_back(sg < 0 ? -1 : 1);
        is_active[id] = 1;
        ++q;
        ++iter;
        return true;
      }
      drop(l);  // partial step: a blocking constraint leaves, try again
    }
  };

  bool feasible = true;
  for (std::size_t id = 0; id < P.me && feasible; ++id) {
    double s = P.dot(id, x.data()) - P.rhs(id);
    feasible = add(id, s > 0 ? -1.0 : 1.0);
  }
  std::vector<char> warm_flag(m, 0);
  for (int id : warm)
    if (id >= 0 && std::size_t(id) < m && std::size_t(id) >= P.me && P.exists(std::size_t(id))) warm_flag[id] = 1;
  double xmax = 0;
  std::size_t steps = 0;
  while (feasible && !(max_iter > 0 && iter >= max_iter)) {
    xmax = 0;
    for (double v : x) xmax = std::max(xmax, std::abs(v));
    std::size_t best = m, best_warm = m;
    double worst = 0, worst_warm = 0;
    for (std::size_t id = P.me; id < m; ++id) {
      if (is_active[id] || !P.exists(id)) continue;
      double b = P.rhs(id);
      double s = P.dot(id, x.data()) - b;
      if (s >= -tol * (1 + std::abs(b) + nrm[id] * xmax)) continue;
      double sn = s / nrm[id];
      if (sn < worst) worst = sn, best = id;
      if (warm_flag[id] && sn < worst_warm) worst_warm = sn, best_warm = id;
    }
    if (best == m) break;
    if (checkpoint && (++steps & 31) == 0) checkpoint();
    std::size_t pick = best_warm != m ? best_warm : best;
    warm_flag[pick] = 0;
    feasible = add(pick, 1.0);
  }

  res.iterations = iter;
  res.status = !feasible ? QpStatus::infeasible
               : (max_iter > 0 && iter >= max_iter) ? QpStatus::max_iterations
                                                    : QpStatus::optimal;
  res.x = std::move(x);
  res.active = act;
  res.multipliers.resize(q);
  for (std::size_t k = 0; k < q; ++k) res.multipliers[k] = sgn[k] * u[k];
  return res;
}

double objective(const Core& P, const std::vector<double>& x) {
  double f = 0;
  for (std::size_t i = 0; i < P.n; ++i) {
    double gi = 0;
    const double* row = P.G + i * P.n;
    for (std::size_t j = 0; j < P.n; ++j) gi += row[j] * x[j];
    f += x[i] * (0.5 * gi + P.a[i]);
  }
  return f;
}

void check_finite(std::span<const double> v, const char* field) {
  for (std::size_t i = 0; i < v.size(); ++i)
    if (!std::isfinite(v[i])) fail(ErrorCode::non_finite, fmt::format("{}[{}]", field, i), "'{}' must be finite", field);
}

// Support screening: solve with the variables outside `S` held at their lower bounds, then add every
// held variable whose reduced cost says it should move, until none does.
QpResult solve_screened(const Core& P, double tol, int max_iter, std::span<const int> warm, const std::function<void()>& checkpoint) {
  const std::size_t n = P.n, me = P.me, mi = P.mi;
  std::vector<char> in(n, 0);
  // Start: variables the warm start had off their lower bound, else the best single-asset objectives.
  bool from_warm = false;
  if (!warm.empty()) {
    std::vector<char> at_lower(n, 0);
    for (int id : warm)
      if (id >= int(me + mi) && id < int(me + mi + n)) at_lower[id - me - mi] = 1;
    for (std::size_t i = 0; i < n; ++i) in[i] = !at_lower[i];
    from_warm = true;
  }
  if (!from_warm) {
    std::vector<std::size_t> order(n);
    for (std::size_t i = 0; i < n; ++i) order[i] = i;
    auto score = [&](std::size_t i) { return 0.5 * P.G[i * n + i] + P.a[i]; };
    std::sort(order.begin(), order.end(), [&](auto x, auto y) { return score(x) < score(y); });
    std::size_t k = std::min(n, std::max<std::size_t>(24, n / 12));
    for (std::size_t t = 0; t < k; ++t) in[order[t]] = 1;
  }
  std::vector<int> full_warm(warm.begin(), warm.end());
  int total_iter = 0;
  for (int round = 0; round < 64; ++round) {
    std::vector<std::size_t> S, pos(n, SIZE_MAX);
    for (std::size_t i = 0; i < n; ++i)
      if (in[i]) pos[i] = S.size(), S.push_back(i);
    const std::size_t k = S.size();
    std::vector<int> sub_warm;  // the warm ids that exist in the reduced problem, renumbered
    for (int id : full_warm) {
      if (id < 0 || std::size_t(id) >= P.m()) continue;
      std::size_t u = std::size_t(id);
      if (u < me + mi) { sub_warm.push_back(id); continue; }
      std::size_t b = u - me - mi, var = b < n ? b : b - n;
      if (in[var]) sub_warm.push_back(int(me + mi + (b < n ? pos[var] : k + pos[var])));
    }
    // Reduced problem over S: fixed variables sit at their lower bounds.
    std::vector<double> xf(n, 0.0);
    for (std::size_t i = 0; i < n; ++i)
      if (!in[i]) xf[i] = P.lower[i];
    std::vector<double> G(k * k), a(k), E(me * k), e(me), C(mi * k), c(mi), lo(k), hi(k);
    for (std::size_t r = 0; r < k; ++r) {
      const double* grow = P.G + S[r] * n;
      for (std::size_t s = 0; s < k; ++s) G[r * k + s] = grow[S[s]];
      double t = P.a[S[r]];
      for (std::size_t j = 0; j < n; ++j)
        if (!in[j]) t += grow[j] * xf[j];
      a[r] = t;
      lo[r] = P.lower[S[r]];
      hi[r] = P.upper ? P.upper[S[r]] : kInf;
    }
    auto reduce_rows = [&](const double* M, const double* rhs, std::size_t rows, std::vector<double>& Mk, std::vector<double>& rk) {
      for (std::size_t r = 0; r < rows; ++r) {
        const double* row = M + r * n;
        double t = rhs[r];
        for (std::size_t j = 0; j < n; ++j)
          if (!in[j]) t -= row[j] * xf[j];
        rk[r] = t;
        for (std::size_t s = 0; s < k; ++s) Mk[r * k + s] = row[S[s]];
      }
    };
    reduce_rows(P.E, P.e, me, E, e);
    reduce_rows(P.C, P.c, mi, C, c);
    Core sub{k, me, mi, G.data(), a.data(), E.data(), e.data(), C.data(), c.data(), lo.data(), hi.data()};
    QpResult r = solve_core(sub, tol, max_iter, sub_warm, checkpoint);
    total_iter += r.iterations;
    if (r.status != QpStatus::optimal) return solve_core(P, tol, max_iter, warm, checkpoint);  // screening cannot decide
    std::vector<double> x = xf;
    for (std::size_t s = 0; s < k; ++s) x[S[s]] = r.x[s];
    // Reduced cost of each held variable: g_i - Σ_k u_k ∇_k,i over the active general constraints.
    std::vector<double> rc(n, 0.0);
    for (std::size_t i = 0; i < n; ++i) {
      if (in[i]) continue;
      const double* grow = P.G + i * n;
      double g = P.a[i];
      for (std::size_t s = 0; s < k; ++s) g += grow[S[s]] * x[S[s]];
      for (std::size_t j = 0; j < n; ++j)
        if (!in[j]) g += grow[j] * xf[j];
      rc[i] = g;
    }
    double scale = 0;
    for (std::size_t kk = 0; kk < r.active.size(); ++kk) {
      std::size_t id = std::size_t(r.active[kk]);
      if (id >= me + mi) continue;
      const double* row = id < me ? P.E + id * n : P.C + (id - me) * n;
      for (std::size_t i = 0; i < n; ++i)
        if (!in[i]) rc[i] -= r.multipliers[kk] * row[i];
      scale = std::max(scale, std::abs(r.multipliers[kk]));
    }
    for (std::size_t i = 0; i < n; ++i) scale = std::max(scale, std::abs(P.G[i * n + i]));
    bool grown = false;
    for (std::size_t i = 0; i < n; ++i)
      if (!in[i] && rc[i] < -1e-10 * (1 + scale) && !(P.upper && P.upper[i] <= P.lower[i])) in[i] = 1, grown = true;
    if (!grown) {
      // Map the reduced solution back: held variables are active at their lower bound with multiplier rc_i.
      QpResult out;
      out.status = QpStatus::optimal;
      out.x = std::move(x);
      out.iterations = total_iter;
      out.regularization = r.regularization;
      for (std::size_t kk = 0; kk < r.active.size(); ++kk) {
        std::size_t id = std::size_t(r.active[kk]);
        if (id >= me + mi) {
          std::size_t b = id - me - mi;
          id = me + mi + (b < k ? S[b] : n + S[b - k]);
        }
        out.active.push_back(int(id));
        out.multipliers.push_back(r.multipliers[kk]);
      }
      for (std::size_t i = 0; i < n; ++i)
        if (!in[i]) out.active.push_back(int(me + mi + i)), out.multipliers.push_back(std::max(rc[i], 0.0));
      return out;
    }
    full_warm.clear();  // warm start the next round with this round's active set
    for (int id : r.active) {
      std::size_t u = std::size_t(id);
      if (u < me + mi) full_warm.push_back(id);
      else {
        std::size_t b = u - me - mi;
        full_warm.push_back(int(me + mi + (b < k ? S[b] : n + S[b - k])));
      }
    }
  }
  return solve_core(P, tol, max_iter, warm, checkpoint);
}

}  // namespace

QpResult solve_qp(const QpProblem& p, const QpOptions& opt, std::span<const int> warm_active) {
  const std::size_t n = p.a.size();
  if (n == 0) fail(ErrorCode::invalid_argument, "a", "the problem has no variables");
  if (p.G.rows() != n || p.G.cols() != n)
    fail(ErrorCode::dimension_mismatch, "G", "G is {}×{}, expected {}×{}", p.G.rows(), p.G.cols(), n, n);
  check_finite(p.G.flat(), "G");
  check_finite(p.a, "a");
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (std::abs(p.G(i, j) - p.G(j, i)) > 1e-10 * (std::abs(p.G(i, j)) + std::abs(p.G(j, i)) + 1e-300))
        fail(ErrorCode::invalid_argument, fmt::format("G[{}][{}]", i, j), "G must be symmetric");
  const std::size_t me = p.e.size(), mi = p.c.size();
  if (me && (p.E.rows() != me || p.E.cols() != n))
    fail(ErrorCode::dimension_mismatch, "E", "E is {}×{}, expected {}×{}", p.E.rows(), p.E.cols(), me, n);
  if (mi && (p.C.rows() != mi || p.C.cols() != n))
    fail(ErrorCode::dimension_mismatch, "C", "C is {}×{}, expected {}×{}", p.C.rows(), p.C.cols(), mi, n);
  check_finite(p.E.flat(), "E");
  check_finite(p.e, "e");
  check_finite(p.C.flat(), "C");
  check_finite(p.c, "c");
  if (!p.lower.empty() && p.lower.size() != n)
    fail(ErrorCode::dimension_mismatch, "lower", "'lower' has {} entries, expected {}", p.lower.size(), n);
  if (!p.upper.empty() && p.upper.size() != n)
    fail(ErrorCode::dimension_mismatch, "upper", "'upper' has {} entries, expected {}", p.upper.size(), n);
  for (std::size_t i = 0; i < p.lower.size(); ++i)
    if (std::isnan(p.lower[i]) || p.lower[i] == kInf) fail(ErrorCode::invalid_argument, fmt::format("lower[{}]", i), "lower bound must be a number or -inf");
  for (std::size_t i = 0; i < p.upper.size(); ++i)
    if (std::isnan(p.upper[i]) || p.upper[i] == -kInf) fail(ErrorCode::invalid_argument, fmt::format("upper[{}]", i), "upper bound must be a number or +inf");
  if (!p.lower.empty() && !p.upper.empty())
    for (std::size_t i = 0; i < n; ++i)
      if (p.lower[i] > p.upper[i])
        fail(ErrorCode::infeasible, fmt::format("bounds[{}]", i), "lower bound {} exceeds upper bound {}", p.lower[i], p.upper[i]);

  Core core{n, me, mi, p.G.data(), p.a.data(), me ? p.E.data() : nullptr, p.e.data(), mi ? p.C.data() : nullptr,
            p.c.data(), p.lower.empty() ? nullptr : p.lower.data(), p.upper.empty() ? nullptr : p.upper.data()};
  const int max_iter = opt.max_iterations > 0 ? opt.max_iterations : int(20 * (n + me + mi) + 100);
  bool screen = opt.screening && n >= 48 && core.lower &&
                std::all_of(p.lower.begin(), p.lower.end(), [](double v) { return std::isfinite(v); });
  QpResult r = screen ? solve_screened(core, opt.tolerance, max_iter, warm_active, opt.checkpoint)
                      : solve_core(core, opt.tolerance, max_iter, warm_active, opt.checkpoint);
  if (r.status == QpStatus::optimal) r.objective = objective(core, r.x);
  return r;
}

}  // namespace sextant::portfolio
