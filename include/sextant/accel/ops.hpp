#pragma once
// The accelerator's public API: free functions that check their inputs, ask the router for a
// backend, run the op there, and record the latency. Engines call only these.
// Every function accepts an optional backend to force (validation and tests use it).
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "sextant/accel/device.hpp"
#include "sextant/core/matrix.hpp"

namespace sextant::accel {

struct Eigh {
  std::vector<double> values;  //!< descending
  Matrix vectors;              //!< n×k, unit columns, largest |entry| of each positive
};

//! The backend that served the last op called on this thread.
Backend last_backend() noexcept;
//! Forgets which backends ran ops on this thread (the server calls it before each request).
void reset_request_backends() noexcept;
//! A response's `"backend"`: the most accelerated backend (cuda, then cpu, then reference) that ran an
//! op on this thread since reset_request_backends(), else the last one. A Monte Carlo request that
//! draws its scenarios on cuda and factors a small covariance on the cpu reports cuda.
Backend request_backend() noexcept;

//! Throws memory_limit (HTTP 413) naming `field` when `bytes` exceed SME_MEMORY_POOL_MB. For work whose
//! size a request sets: an error beats an allocation the kernel may answer by killing the process.
void require_memory_pool(double bytes, std::string_view field, std::string_view what);

Matrix gemm(MatrixView a, MatrixView b, Trans ta = Trans::no, Trans tb = Trans::no,
            std::optional<Backend> force = std::nullopt);
Matrix covariance(MatrixView x, std::optional<Backend> force = std::nullopt);
Matrix correlation(MatrixView x, std::optional<Backend> force = std::nullopt);
//! fp32 variants (DESIGN §3 "precision": "fp32"): fp64 centring and scaling around an fp32 product.
Matrix covariance_fp32(MatrixView x, std::optional<Backend> force = std::nullopt);
Matrix correlation_fp32(MatrixView x, std::optional<Backend> force = std::nullopt);
Matrix cholesky(MatrixView a, std::optional<Backend> force = std::nullopt);
Matrix solve(MatrixView a, MatrixView b, std::optional<Backend> force = std::nullopt);
Matrix inverse(MatrixView a, std::optional<Backend> force = std::nullopt);
Eigh eigh(MatrixView a, std::optional<Backend> force = std::nullopt);
//! Eigenvalues only, descending: cheaper than eigh when the vectors are not needed.
std::vector<double> eigvalsh(MatrixView a, std::optional<Backend> force = std::nullopt);
Eigh eigh_topk(MatrixView a, std::size_t k, std::optional<Backend> force = std::nullopt);
double quad_form(std::span<const double> x, MatrixView a, std::optional<Backend> force = std::nullopt);
//! a·x for a general matrix.
std::vector<double> gemv(MatrixView a, std::span<const double> x, std::optional<Backend> force = std::nullopt);
//! a·x for symmetric a (lower triangle read).
std::vector<double> symv(MatrixView a, std::span<const double> x, std::optional<Backend> force = std::nullopt);
//! c_i = a_i·b_i for `count` packed m×k and k×n products; returns the count·m × n stack of results.
Matrix batched_gemm(std::size_t count, std::size_t m, std::size_t n, std::size_t k, std::span<const double> a,
                    std::span<const double> b, std::optional<Backend> force = std::nullopt);
//! rows × d scenarios (d = mean size, or chol size); see SampleSpec.
Matrix sample(const SampleSpec& spec, std::size_t rows, std::size_t d, std::optional<Backend> force = std::nullopt);
//! The portfolio returns wᵀ(scenario r) of those rows scenarios, without forming them (d = w.size()).
std::vector<double> sample_portfolio(const SampleSpec& spec, std::size_t rows, std::span<const double> w,
                                     std::optional<Backend> force = std::nullopt);

}  // namespace sextant::accel
