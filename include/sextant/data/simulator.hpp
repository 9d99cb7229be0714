#pragma once
// The market simulator, the embedded default source of bars: N instruments in sectors, returns from a
// factor model with GARCH(1,1) volatility and jumps, and consistent OHLCV bars.
//
// r_i = β_i·m + s_{sector(i)} + e_i + J_i per bar: a market factor m, a factor per sector s, an
// idiosyncratic part e_i, each N(0, h) with its own GARCH(1,1) variance h_t = ω + α r²_{t-1} + β h_{t-1}
// (ω set so the long-run volatility is the configured one), and a jump J_i with probability
// `jump_probability` per bar, N(0, jump_size). A bar opens at the last close times a small gap, closes
// at open·exp(r), and its high and low extend beyond both by half-normal wicks; volume rises with |r|.
// A seed fixes every draw (the same build gives the same bars).
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "sextant/bus/topics.hpp"

namespace sextant::data {

struct SimulatorConfig {
  std::size_t instruments = 50;
  std::size_t sectors = 5;
  std::uint64_t seed = 42;
  double market_vol = 0.010;      //!< long-run volatility per bar of each component
  double sector_vol = 0.006;
  double idio_vol = 0.012;
  double garch_alpha = 0.08, garch_beta = 0.90;
  double jump_probability = 0.005, jump_size = 0.04;
};

class MarketSimulator {
 public:
  explicit MarketSimulator(SimulatorConfig config = {});
  //! One bar for every instrument, stamped ts_ns.
  std::vector<bus::MarketBar> step(std::int64_t ts_ns);
  const std::vector<std::string>& symbols() const { return symbols_; }
  std::size_t sector_of(std::size_t instrument) const { return sector_[instrument]; }
  double beta_of(std::size_t instrument) const { return beta_[instrument]; }

 private:
  struct Garch {
    double omega, h;
    double draw(std::mt19937_64& rng, std::normal_distribution<double>& z, double alpha, double beta, double& last);
  };
  SimulatorConfig c_;
  std::mt19937_64 rng_;
  std::normal_distribution<double> z_{0.0, 1.0};
  std::uniform_real_distribution<double> u_{0.0, 1.0};
  std::vector<std::string> symbols_;
  std::vector<std::size_t> sector_;
  std::vector<double> beta_, close_, base_volume_;
  Garch market_;
  std::vector<Garch> sector_g_, idio_g_;
  double market_last_ = 0;
  std::vector<double> sector_last_, idio_last_;
};

}  // namespace sextant::data
