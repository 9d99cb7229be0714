// Monte Carlo VaR: scenarios from the accelerator's Philox sampler, then tail statistics.
#include "var_detail.hpp"

namespace sextant::risk::detail {

MonteCarlo simulate(std::span<const double> mu, MatrixView cov, Estimates& est, std::span<const double> w,
                    std::optional<double> nu, const VarOptions& opt) {
  if (opt.simulations < 100 || opt.simulations > 10'000'000)
    fail(ErrorCode::invalid_argument, "simulations", "'simulations' must be in [100, 10000000], got {}", opt.simulations);
  const std::size_t n = w.size();
  MonteCarlo mc;
  mc.steps = opt.mc_student_t ? std::size_t(opt.horizon) : 1;
  mc.stride = opt.simulations + (opt.simulations & 1);
  const double h = double(opt.horizon) / double(mc.steps);  // periods per step
  if (est.chol.empty()) est.chol = accel::cholesky(cov);
  mc.chol = est.chol;
  // Student-t scenarios have covariance Σ·ν/(ν-2): scale L so they keep Σ.
  const double t_scale = opt.mc_student_t ? std::sqrt((*nu - 2.0) / *nu) : 1.0;
  for (double& v : mc.chol.flat()) v *= std::sqrt(h) * t_scale;
  mc.mean.resize(n);
  for (std::size_t i = 0; i < n; ++i) mc.mean[i] = opt.include_mean ? h * mu[i] : 0.0;
  mc.spec.seed = opt.seed;
  mc.spec.chol = mc.chol;
  mc.spec.mean = mc.mean;
  mc.spec.antithetic = opt.antithetic;
  if (opt.mc_student_t) mc.spec.nu = *nu;
  // In blocks, so a checkpoint can stop 10^7 scenarios; rows are keyed by their global index, so
  // the draws are those of one call.
  constexpr std::size_t kBlock = std::size_t(1) << 18;
  for (std::size_t first = 0; first < opt.simulations; first += kBlock) {
    const std::size_t rows = std::min(kBlock, opt.simulations - first);
    std::vector<double> block;
    for (std::size_t k = 0; k < mc.steps; ++k) {
      if (opt.checkpoint) opt.checkpoint();
      accel::SampleSpec step = mc.spec;
      step.first_row = k * mc.stride + first;
      std::vector<double> part = accel::sample_portfolio(step, rows, w);
      if (k == 0) block = std::move(part);
      else
        for (std::size_t r = 0; r < rows; ++r) block[r] += part[r];
    }
    if (mc.rp.empty()) mc.rp = std::move(block);  // the only block up to 2^18 scenarios: no copy
    else mc.rp.insert(mc.rp.end(), block.begin(), block.end());
  }
  return mc;
}

VarFigures monte_carlo_level(const MonteCarlo& mc, std::span<const double> w, double c, const VarOptions& opt) {
  const std::size_t n = w.size();
  auto contribution = [&](std::size_t s, double* out) {  // adds Σ_k (s·z)_k of path s (uncorrelated draws)
    accel::SampleSpec row = mc.spec;
    row.chol = {};
    row.mean = {};
    for (std::size_t k = 0; k < mc.steps; ++k) {
      row.first_row = k * mc.stride + s;
      Matrix z = accel::sample(row, 1, n);
      for (std::size_t i = 0; i < n; ++i) out[i] += z(0, i);
    }
  };
  auto to_returns = [&](std::vector<double>& sum, double mass) {  // Σ s·z → Σ (steps·μ_step + L s·z)
    std::vector<double> r(n);
    const double paths_steps = mass * double(mc.steps);
    for (std::size_t i = 0; i < n; ++i) {
      double t = paths_steps * mc.mean[i];
      for (std::size_t k = 0; k <= i; ++k) t += mc.chol(i, k) * sum[k];
      r[i] = t;
    }
    sum = std::move(r);
  };
  return tail_figures(mc.rp, w, c, opt.quantile_method, opt.decompose, contribution, to_returns);
}

}  // namespace sextant::risk::detail
