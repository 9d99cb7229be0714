// The market simulator (simulator.hpp).
#include "sextant/data/simulator.hpp"

#include <algorithm>
#include <cmath>

#include "sextant/core/error.hpp"

namespace sextant::data {

double MarketSimulator::Garch::draw(std::mt19937_64& rng, std::normal_distribution<double>& z, double alpha, double beta, double& last) {
  h = omega + alpha * last * last + beta * h;
  last = std::sqrt(h) * z(rng);
  return last;
}

MarketSimulator::MarketSimulator(SimulatorConfig c) : c_(c), rng_(c.seed) {
  if (c.instruments < 1 || c.instruments > 100000) fail(ErrorCode::invalid_argument, "instruments", "must be in [1, 100000], not {}", c.instruments);
  if (c.sectors < 1 || c.sectors > c.instruments) fail(ErrorCode::invalid_argument, "sectors", "must be in [1, instruments], not {}", c.sectors);
  if (!(c.garch_alpha >= 0 && c.garch_beta >= 0 && c.garch_alpha + c.garch_beta < 1))
    fail(ErrorCode::invalid_argument, "garch", "needs alpha, beta >= 0 and alpha + beta < 1");
  const double persistence = 1 - c.garch_alpha - c.garch_beta;
  auto garch = [&](double vol) { return Garch{vol * vol * persistence, vol * vol}; };
  market_ = garch(c.market_vol);
  sector_g_.assign(c.sectors, garch(c.sector_vol));
  idio_g_.assign(c.instruments, garch(c.idio_vol));
  sector_last_.assign(c.sectors, 0.0);
  idio_last_.assign(c.instruments, 0.0);
  const int width = c.instruments > 1000 ? 5 : c.instruments > 100 ? 4 : 3;
  for (std::size_t i = 0; i < c.instruments; ++i) {
    symbols_.push_back(fmt::format("SIM{:0{}}", i, width));
    sector_.push_back(i % c.sectors);
    beta_.push_back(0.6 + 0.8 * u_(rng_));
    close_.push_back(std::round((20 + 180 * u_(rng_)) * 100) / 100);
    base_volume_.push_back(std::round(2e5 + 3e6 * u_(rng_)));
  }
}

std::vector<bus::MarketBar> MarketSimulator::step(std::int64_t ts_ns) {
  const double m = market_.draw(rng_, z_, c_.garch_alpha, c_.garch_beta, market_last_);
  std::vector<double> s(c_.sectors);
  for (std::size_t k = 0; k < c_.sectors; ++k) s[k] = sector_g_[k].draw(rng_, z_, c_.garch_alpha, c_.garch_beta, sector_last_[k]);
  std::vector<bus::MarketBar> bars(c_.instruments);
  for (std::size_t i = 0; i < c_.instruments; ++i) {
    double r = beta_[i] * m + s[sector_[i]] + idio_g_[i].draw(rng_, z_, c_.garch_alpha, c_.garch_beta, idio_last_[i]);
    if (u_(rng_) < c_.jump_probability) r += c_.jump_size * z_(rng_);
    const double sigma = std::sqrt(idio_g_[i].h + beta_[i] * beta_[i] * market_.h);
    const double open = close_[i] * std::exp(0.1 * sigma * z_(rng_));  // a small overnight gap
    const double close = open * std::exp(r);
    bus::MarketBar& b = bars[i];
    b.symbol = symbols_[i];
    b.ts_ns = ts_ns;
    b.open = open;
    b.close = close;
    b.high = std::max(open, close) * std::exp(0.5 * sigma * std::fabs(z_(rng_)));
    b.low = std::min(open, close) * std::exp(-0.5 * sigma * std::fabs(z_(rng_)));
    b.volume = std::round(base_volume_[i] * std::exp(0.3 * z_(rng_)) * (1 + 3 * std::fabs(r) / std::max(sigma, 1e-12)));
    close_[i] = close;
  }
  return bars;
}

}  // namespace sextant::data
