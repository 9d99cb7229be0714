#pragma once
// Normal distribution functions accurate to ~1e-15 relative, for parametric VaR.
namespace sextant::risk {

double norm_pdf(double x);
double norm_cdf(double x);
//! Inverse of the standard normal CDF (Acklam's rational approximation refined by one Halley step).
//! Throws Error(invalid_argument) outside (0, 1).
double norm_ppf(double p);

}  // namespace sextant::risk
