#include "sextant/core/error.hpp"

namespace sextant {

std::string_view code_name(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::invalid_argument: return "SME_INVALID_ARGUMENT";
    case ErrorCode::invalid_json: return "SME_INVALID_JSON";
    case ErrorCode::dimension_mismatch: return "SME_MATRIX_DIMENSIONS_ERROR";
    case ErrorCode::non_finite: return "SME_NON_FINITE_VALUE";
    case ErrorCode::not_positive_definite: return "SME_NOT_POSITIVE_DEFINITE";
    case ErrorCode::not_found: return "SME_NOT_FOUND";
    case ErrorCode::method_not_allowed: return "SME_METHOD_NOT_ALLOWED";
    case ErrorCode::payload_too_large: return "SME_PAYLOAD_TOO_LARGE";
    case ErrorCode::unauthorized: return "SME_UNAUTHORIZED";
    case ErrorCode::infeasible: return "SME_INFEASIBLE";
    case ErrorCode::memory_limit: return "SME_MEMORY_LIMIT_EXCEEDED";
    case ErrorCode::timeout: return "SME_TIMEOUT_ERROR";
    case ErrorCode::backend_unavailable: return "SME_BACKEND_UNAVAILABLE";
    case ErrorCode::overloaded: return "SME_SERVICE_OVERLOADED";
    case ErrorCode::config: return "SME_CONFIG_ERROR";
    case ErrorCode::io: return "SME_IO_ERROR";
    case ErrorCode::internal: return "SME_INTERNAL_ERROR";
  }
  return "SME_INTERNAL_ERROR";
}

void throw_error(ErrorCode code, std::string field, std::string message) {
  throw Error(code, std::move(message), std::move(field));
}

}  // namespace sextant
