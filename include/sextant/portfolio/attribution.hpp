#pragma once
// Performance attribution.
//
// Brinson–Fachler, per sector s (W, B: portfolio and benchmark sector weights; R_s, B_s: their sector
// returns Σw·r/W; R_b: the benchmark's total return):
//   allocation  = (W - B)(B_s - R_b)
//   selection   = B (R_s - B_s)
//   interaction = (W - B)(R_s - B_s)
// They add up to R_p - R_b exactly when Σw = Σb (hold cash as its own sector otherwise). A sector the
// portfolio does not hold takes R_s = B_s; one the benchmark does not hold takes B_s = R_b.
//
// Multi-period (Carino 1999): with k_t = [ln(1+R_t) - ln(1+B_t)] / (R_t - B_t) (1/(1+R_t) when equal)
// and K the same for the compounded returns, each effect is linked as Σ_t effect_t·k_t / K; the linked
// effects add up to the compounded active return R - B.
//
// Factor attribution: contribution_k = exposure_k · factor_return_k; specific = r_p - Σ contributions.
#include <string>
#include <vector>

#include "sextant/core/matrix.hpp"

namespace sextant::portfolio {

struct BrinsonInput {
  std::vector<std::string> sectors;  //!< per asset
  std::vector<double> portfolio_weights, benchmark_weights, portfolio_returns, benchmark_returns;
};

struct SectorEffect {
  std::string sector;
  double portfolio_weight = 0, benchmark_weight = 0, portfolio_return = 0, benchmark_return = 0;
  double allocation = 0, selection = 0, interaction = 0, total = 0;
};

struct BrinsonResult {
  std::vector<SectorEffect> sectors;  //!< in order of first appearance
  double portfolio_return = 0, benchmark_return = 0, active_return = 0;
  double allocation = 0, selection = 0, interaction = 0;
};

BrinsonResult brinson_fachler(const BrinsonInput& in);

struct LinkedAttribution {
  std::vector<BrinsonResult> periods;
  std::vector<SectorEffect> sectors;  //!< Carino-linked effects per sector (weights/returns left 0)
  double portfolio_return = 0, benchmark_return = 0, active_return = 0;  //!< compounded
  double allocation = 0, selection = 0, interaction = 0;
};

LinkedAttribution brinson_carino(const std::vector<BrinsonInput>& periods);

struct FactorAttribution {
  std::vector<double> exposures, contributions;
  double factor_return = 0, specific_return = 0, total_return = 0;
};

//! exposures: K portfolio exposures, or (asset_exposures N×K with weights) → exposures = Xᵀw.
FactorAttribution factor_attribution(const std::vector<double>& exposures, const std::vector<double>& factor_returns,
                                     double portfolio_return);
std::vector<double> portfolio_exposures(MatrixView asset_exposures, const std::vector<double>& weights);

}  // namespace sextant::portfolio
