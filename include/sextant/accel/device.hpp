#pragma once
// The accelerator's Device interface: one implementation per backend (reference, cpu, cuda).
// Engines do not call a Device directly; they call the routed free functions in sextant/accel/ops.hpp.
//
// Conventions shared by every backend (tests hold them):
//  - matrices are row-major views; x is T×N (time × instruments);
//  - covariance is ddof = 1; correlation has an exact unit diagonal;
//  - eigh returns eigenvalues in descending order, eigenvectors in the columns of v, each column
//    sign-normalised so that its largest |entry| is positive;
//  - sampling draws from Philox4x32-10 (sextant/accel/philox.hpp) with a fixed counter layout, so a
//    seed gives the same scenarios whatever the thread count.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include "sextant/core/matrix.hpp"

namespace sextant::accel {

enum class Backend : int { reference = 0, cpu = 1, cuda = 2 };
inline constexpr int kBackendCount = 3;
std::string_view backend_name(Backend b) noexcept;
std::optional<Backend> parse_backend(std::string_view name) noexcept;

enum class Op : int {
  gemm,
  covariance,
  correlation,
  cholesky,
  solve,
  inverse,
  eigh,
  eigvalsh,
  eigh_topk,
  quad_form,
  symv,
  gemv,
  batched_gemm,
  sample,
  moment_fp32,
  sample_portfolio,
  count_  //!< number of ops; not an op
};
inline constexpr int kOpCount = static_cast<int>(Op::count_);
std::string_view op_name(Op op) noexcept;
std::optional<Op> parse_op(std::string_view name) noexcept;

enum class Trans : bool { no = false, yes = true };

//! Scenario sampling: row r of the output is mean + scale_r · L z_r, where z_r is standard normal,
//! scale_r = 1 for the normal and sqrt(nu / W_r), W_r ~ chi²(nu), for Student-t.
//! Row r draws from Philox counters keyed by (seed, first_row + r), so any slice of rows can be
//! generated independently and equals the same rows of a larger draw.
struct SampleSpec {
  std::uint64_t seed = 0;
  std::uint64_t first_row = 0;
  std::span<const double> mean;  //!< length d, or empty for zero mean
  MatrixView chol;               //!< d×d lower Cholesky factor, or empty for the identity
  double nu = 0.0;               //!< 0 = normal; > 0 = Student-t degrees of freedom
  bool antithetic = false;       //!< rows 2i and 2i+1 use z and -z (and the same W)
};

struct Device {
  virtual ~Device() = default;
  virtual Backend backend() const = 0;
  virtual bool supports(Op op) const = 0;

  //! c = alpha·op(a)·op(b) + beta·c
  virtual void gemm(Trans ta, Trans tb, double alpha, MatrixView a, MatrixView b, double beta, MutMatrixView c) = 0;
  //! Sample covariance (ddof 1) of the columns of x into c (N×N).
  virtual void covariance(MatrixView x, MutMatrixView c) = 0;
  //! Pearson correlation of the columns of x into c (N×N). A constant column gives NaN off the diagonal.
  virtual void correlation(MatrixView x, MutMatrixView c) = 0;
  //! Covariance (correlation = false) or correlation of x with the O(N²T) product in fp32: centred
  //! in fp64, multiplied in fp32, scaled in fp64. About twice the speed; ~1e-7 relative error.
  virtual void moment_fp32(MatrixView x, MutMatrixView c, bool correlation) = 0;
  //! Lower-triangular l with l·lᵀ = a (upper part zero). Throws not_positive_definite.
  virtual void cholesky(MatrixView a, MutMatrixView l) = 0;
  //! x = a⁻¹ b for a general square a. Throws invalid_argument when a is singular.
  virtual void solve(MatrixView a, MatrixView b, MutMatrixView x) = 0;
  virtual void inverse(MatrixView a, MutMatrixView out) = 0;
  //! Full symmetric eigendecomposition: w (n), v (n×n).
  virtual void eigh(MatrixView a, std::span<double> w, MutMatrixView v) = 0;
  //! All eigenvalues of symmetric a, descending, without eigenvectors.
  virtual void eigvalsh(MatrixView a, std::span<double> w) = 0;
  //! The k largest eigenpairs: w (k), v (n×k).
  virtual void eigh_topk(MatrixView a, std::size_t k, std::span<double> w, MutMatrixView v) = 0;
  //! xᵀ a x for symmetric a.
  virtual double quad_form(std::span<const double> x, MatrixView a) = 0;
  //! y = a x for symmetric a (only the lower triangle is read).
  virtual void symv(MatrixView a, std::span<const double> x, std::span<double> y) = 0;
  //! y = a x for a general m×n a.
  virtual void gemv(MatrixView a, std::span<const double> x, std::span<double> y) = 0;
  //! count independent products c_i = a_i·b_i of m×k by k×n, each packed row-major, back to back.
  virtual void batched_gemm(std::size_t count, std::size_t m, std::size_t n, std::size_t k, const double* a,
                            const double* b, double* c) = 0;
  //! Fills out (rows × d) with scenarios as SampleSpec describes.
  virtual void sample(const SampleSpec& spec, MutMatrixView out) = 0;
  //! rp_r = wᵀ(scenario r) for the rows.size() scenarios `sample` would give: the portfolio returns of
  //! a Monte Carlo draw without the rows × d scenario matrix.
  virtual void sample_portfolio(const SampleSpec& spec, std::span<const double> w, std::span<double> rp) = 0;
};

std::unique_ptr<Device> make_reference_device();
//! `parallel_threshold`: SME_JIT_THRESHOLD (Settings::jit_threshold); O(T·N) loops thread from n² elements.
std::unique_ptr<Device> make_cpu_device(std::size_t parallel_threshold);
//! Null when the cuda backend is compiled out or no GPU is visible; `why` then says which.
std::unique_ptr<Device> make_cuda_device(std::string* why);
//! Whether this binary was built with the cuda backend.
bool cuda_compiled() noexcept;

}  // namespace sextant::accel
