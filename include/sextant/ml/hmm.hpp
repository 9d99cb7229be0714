#pragma once
// A Gaussian hidden Markov model of one series: K states, each with its own mean and variance.
// Fitted by Baum–Welch (scaled forward–backward, so long series do not underflow), started from the
// series cut into K quantile groups; states are then ordered by mean, lowest first.
#include <cstddef>
#include <span>
#include <vector>

namespace sextant::ml {

struct GaussianHmm {
  std::size_t states = 0;
  std::vector<double> start;       //!< K
  std::vector<double> transition;  //!< K×K row-major, rows sum to 1
  std::vector<double> mean, variance;
  double loglik = 0;               //!< of the training series
  int iterations = 0;
  bool converged = false;
};

//! Needs at least 10·K finite values; throws invalid_argument naming `field` otherwise.
GaussianHmm fit_hmm(std::span<const double> x, std::size_t states, int max_iterations = 500, double tolerance = 1e-8,
                    const char* field = "returns");
//! log p(x) by the scaled forward algorithm.
double hmm_loglik(const GaussianHmm& m, std::span<const double> x);
//! Filtered state probabilities P(s_t | x_1..x_t): T×K row-major.
std::vector<double> hmm_filter(const GaussianHmm& m, std::span<const double> x);
//! The most likely state path (Viterbi, in logs).
std::vector<std::size_t> hmm_viterbi(const GaussianHmm& m, std::span<const double> x);

}  // namespace sextant::ml
