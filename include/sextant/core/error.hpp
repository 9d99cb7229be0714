#pragma once
// Errors: one enum of codes, one base exception. Only the service layer (src/net) maps codes to HTTP.
#include <stdexcept>
#include <string>
#include <string_view>

#if !defined(__CUDACC__)  // fmt's consteval format strings do not survive nvcc
#include <fmt/format.h>
#endif

namespace sextant {

enum class ErrorCode {
  invalid_argument,    //!< a parameter is out of range or of the wrong kind
  invalid_json,        //!< the request body is not well-formed JSON
  dimension_mismatch,  //!< shapes do not fit together (SME_MATRIX_DIMENSIONS_ERROR)
  non_finite,          //!< NaN or Inf where it is not allowed
  not_positive_definite,  //!< a covariance is not PSD / not SPD where it must be
  not_found,           //!< unknown path, resource or name
  method_not_allowed,  //!< known path, wrong HTTP method
  payload_too_large,   //!< request body over the configured limit
  unauthorized,        //!< missing or wrong API key
  infeasible,          //!< an optimisation problem has no feasible point
  memory_limit,        //!< workspace would exceed SME_MEMORY_POOL_MB (SME_MEMORY_LIMIT_EXCEEDED)
  timeout,             //!< the per-request deadline passed (SME_TIMEOUT_ERROR)
  backend_unavailable, //!< an accelerator backend was asked for but is compiled out or has no device
  overloaded,          //!< an engine's queue or the request-body budget is full: retry later (503)
  config,              //!< bad configuration (file, env or CLI)
  io,                  //!< file or socket trouble (port in use, unreadable file)
  internal,            //!< a bug: an invariant broke
};

//! Stable, API-visible name of a code, e.g. "SME_MATRIX_DIMENSIONS_ERROR".
std::string_view code_name(ErrorCode code) noexcept;

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, std::string message, std::string field = {})
      : std::runtime_error(std::move(message)), code_(code), field_(std::move(field)) {}
  ErrorCode code() const noexcept { return code_; }
  //! The request field the error is about ("returns", "weights[3]"); empty when none.
  const std::string& field() const noexcept { return field_; }

 private:
  ErrorCode code_;
  std::string field_;
};

//! Throws Error(code, formatted message, field). Out of line so hot callers stay small.
[[noreturn]] void throw_error(ErrorCode code, std::string field, std::string message);

#if !defined(__CUDACC__)
template <class... Args>
[[noreturn]] void fail(ErrorCode code, std::string field, fmt::format_string<Args...> f, Args&&... args) {
  throw_error(code, std::move(field), fmt::format(f, std::forward<Args>(args)...));
}
#endif

}  // namespace sextant
