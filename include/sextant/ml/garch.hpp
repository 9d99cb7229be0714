#pragma once
// GARCH(1,1) by maximum likelihood, and EWMA (RiskMetrics) volatility.
//
// Conventions (those of R's fGarch::garchFit with include.mean = FALSE, cond.dist = "norm"): the
// series is demeaned first; h_t = ω + α·z²_{t-1} + β·h_{t-1}, and the unobserved z²_0 and h_0 are the
// sample mean of z² (fGarch's init.rec = "mci"); the log-likelihood is the full Gaussian one,
// -½ Σ (log 2π + log h_t + z²_t / h_t). ω > 0, α, β ≥ 0, α + β < 1 hold by construction: the
// optimiser works on log ω, the logit of the persistence α + β and the logit of α's share of it.
#include <cstddef>
#include <span>
#include <vector>

namespace sextant::ml {

struct Garch {
  double omega = 0, alpha1 = 0, beta1 = 0;
  double loglik = 0;
  double mean = 0;         //!< removed before fitting
  double last_z = 0;       //!< the last demeaned return
  double last_h = 0;       //!< its conditional variance
  std::size_t observations = 0;
  bool converged = false;
  //! σ²_{T+k} for k = 1..h: ω + α z²_T + β h_T, then ω + (α+β) σ²_{T+k-1}.
  std::vector<double> forecast_variance(std::size_t h) const;
};

//! Needs at least 30 finite returns; throws invalid_argument naming `field` otherwise.
Garch fit_garch(std::span<const double> returns, const char* field = "returns");
//! The log-likelihood of given parameters on a series (demeaned first), under the same conventions.
double garch_loglik(std::span<const double> returns, double omega, double alpha1, double beta1);

struct Ewma {
  double lambda = 0.94;
  double variance = 0;     //!< after the last return: the one-step forecast
  std::size_t observations = 0;
};
//! σ²_t = λσ²_{t-1} + (1-λ) r²_{t-1}, started from the mean of r² over the first min(30, n) returns.
Ewma fit_ewma(std::span<const double> returns, double lambda = 0.94, const char* field = "returns");

}  // namespace sextant::ml
