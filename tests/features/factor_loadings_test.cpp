// cs_pca_loading and the factor_loadings family: loadings equal the eigenvectors of the window's own
// covariance matrix (both the m <= W path and the Gram-matrix path), instruments with a gap drop out
// of the window, streaming equals batch bit for bit, and bad arguments are compile errors.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

#include "sextant/accel/ops.hpp"
#include "sextant/features/catalogue.hpp"
#include "sextant/features/evaluate.hpp"
#include "sextant/features/expr.hpp"
#include "sextant/features/stream.hpp"

namespace sextant::test {
namespace {

using features::FieldPanel;

// A program that reads $returns as supplied (not derived from $close).
features::Program returns_program() {
  features::FieldDefaults d;
  d.supplied = {"returns"};
  return features::Program(d);
}

// Returns from a two-factor model (a market factor and a sector spread) plus noise: the first two
// components are well separated, so the eigenvectors are well conditioned.
FieldPanel factor_returns(std::size_t T, std::size_t N, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> z;
  FieldPanel p;
  p.rows = T;
  for (std::size_t j = 0; j < N; ++j) p.instruments.push_back("S" + std::to_string(j));
  auto& r = p.fields["returns"];
  r.resize(T * N);
  for (std::size_t t = 0; t < T; ++t) {
    const double market = 0.01 * z(rng), spread = 0.006 * z(rng);
    for (std::size_t j = 0; j < N; ++j)
      r[t * N + j] = (0.8 + 0.4 * double(j % 5) / 4) * market + (j % 2 ? spread : -spread) + 0.004 * z(rng);
  }
  return p;
}

// The loadings of the window ending at row t, from the covariance matrix itself (every instrument).
std::vector<double> direct(const FieldPanel& p, std::size_t t, std::size_t W, std::size_t k) {
  const std::size_t N = p.cols();
  Matrix x(W, N);
  for (std::size_t i = 0; i < W; ++i)
    for (std::size_t j = 0; j < N; ++j) x(i, j) = p.fields.at("returns")[(t + 1 - W + i) * N + j];
  const Matrix c = accel::covariance(x.view());
  const accel::Eigh e = accel::eigh(c.view());
  std::vector<double> v(N);
  double sum = 0;
  for (std::size_t j = 0; j < N; ++j) sum += v[j] = e.vectors(j, k - 1) * std::sqrt(e.values[k - 1]);
  if (sum < 0)
    for (double& a : v) a = -a;
  return v;
}

void expect_matches_direct(std::size_t N, std::size_t W) {
  const std::size_t T = W + 40;
  const FieldPanel p = factor_returns(T, N, 7 + N);
  for (std::size_t k = 1; k <= 2; ++k) {
    features::Program prog = returns_program();
    const features::NodeId id = prog.add("cs_pca_loading($returns, " + std::to_string(W) + ", " + std::to_string(k) + ")");
    const auto out = features::evaluate(prog, std::span(&id, 1), p);
    for (std::size_t t = 0; t + 1 < W; ++t) EXPECT_TRUE(std::isnan(out[0][t * N])) << "row " << t << " has no full window";
    for (std::size_t t = W - 1; t < T; t += 13) {
      const auto want = direct(p, t, W, k);
      double scale = 0;
      for (double v : want) scale = std::max(scale, std::fabs(v));
      for (std::size_t j = 0; j < N; ++j)
        ASSERT_NEAR(out[0][t * N + j], want[j], 1e-9 * scale) << "N " << N << " W " << W << " k " << k << " row " << t << " instrument " << j;
    }
  }
}

TEST(FactorLoadings, EqualTheWindowCovariancesEigenvectors) {
  expect_matches_direct(8, 60);    // m <= W: the m×m covariance
  expect_matches_direct(90, 20);   // m > W: the W×W Gram matrix
}

TEST(FactorLoadings, AnInstrumentWithAGapDropsOutOfItsWindows) {
  FieldPanel p = factor_returns(80, 6, 3);
  p.fields["returns"][50 * 6 + 2] = std::nan("");
  features::Program prog = returns_program();
  const features::NodeId id = prog.add("cs_pca_loading($returns, 20, 1)");
  const auto out = features::evaluate(prog, std::span(&id, 1), p);
  EXPECT_TRUE(std::isnan(out[0][55 * 6 + 2])) << "instrument 2 has a NaN inside the window";
  EXPECT_TRUE(std::isfinite(out[0][55 * 6 + 1]));
  EXPECT_TRUE(std::isfinite(out[0][75 * 6 + 2])) << "the gap has left the window";
  // The others' loadings are the PCA of the five complete instruments.
  FieldPanel five = p;
  five.instruments.erase(five.instruments.begin() + 2);
  auto& r = five.fields["returns"];
  r.clear();
  for (std::size_t t = 0; t < 80; ++t) {
    for (std::size_t j = 0; j < 6; ++j) {
      if (j != 2) r.push_back(p.fields["returns"][t * 6 + j]);
    }
  }
  const auto ref = features::evaluate(prog, std::span(&id, 1), five);
  for (std::size_t j = 0, q = 0; j < 6; ++j) {
    if (j != 2) {
      EXPECT_EQ(out[0][55 * 6 + j], ref[0][55 * 5 + q++]);
    }
  }
}

TEST(FactorLoadings, StreamEqualsBatchForTheFamily) {
  const FieldPanel p = factor_returns(160, 30, 11);
  std::vector<std::string> ids;
  features::for_each_factor("factor_loadings", [&](const features::Factor& f) { ids.push_back(f.id); });
  ASSERT_EQ(ids.size(), 9u);
  features::FieldDefaults supplied;
  supplied.supplied = {"returns"};
  const auto compiled = features::compile_factors(ids, supplied);
  const auto batch = features::evaluate(compiled.program, compiled.outputs, p);
  features::FactorStream stream(compiled.program, compiled.outputs, 30);
  features::BarFields bar;
  std::size_t finite = 0;
  for (std::size_t t = 0; t < p.rows; ++t) {
    bar["returns"].assign(p.fields.at("returns").begin() + t * 30, p.fields.at("returns").begin() + (t + 1) * 30);
    stream.update(bar);
    for (std::size_t k = 0; k < ids.size(); ++k)
      for (std::size_t j = 0; j < 30; ++j) {
        const double a = stream.value(k)[j], b = batch[k][t * 30 + j];
        finite += std::isfinite(b);
        ASSERT_TRUE((std::isnan(a) && std::isnan(b)) || std::memcmp(&a, &b, sizeof a) == 0) << ids[k] << " row " << t;
      }
  }
  EXPECT_GT(finite, 9u * 30u * 20u);
}

TEST(FactorLoadings, BadArgumentsAreCompileErrors) {
  features::Program prog = returns_program();
  EXPECT_THROW(prog.add("cs_pca_loading($returns, 20, 0)"), features::ExpressionError);
  EXPECT_THROW(prog.add("cs_pca_loading($returns, 20, 11)"), features::ExpressionError);
  EXPECT_THROW(prog.add("cs_pca_loading($returns, 20, 1.5)"), features::ExpressionError);
  EXPECT_THROW(prog.add("cs_pca_loading($returns, 1, 1)"), features::ExpressionError);
  EXPECT_EQ(prog.node(prog.add("cs_pca_loading($returns, 20, 2)")).warmup, 19u);
}

}  // namespace
}  // namespace sextant::test
