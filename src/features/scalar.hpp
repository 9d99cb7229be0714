#pragma once
// Elementwise operators on one value: the batch kernels, the stream and constant folding all call
// these, so a folded constant equals what the kernel would have computed.
#include <cmath>

#include "sextant/features/operators.hpp"

namespace sextant::features::scalar {

inline double truth(double x) { return x != 0 ? 1.0 : 0.0; }  // numpy's bool(): NaN is true

inline double sign(double x) { return x > 0 ? 1.0 : x < 0 ? -1.0 : x == 0 ? 0.0 : x; }

// numpy.maximum/minimum: NaN in either gives NaN.
inline double greater(double a, double b) { return (a != a || b != b) ? a + b : (a >= b ? a : b); }
inline double less(double a, double b) { return (a != a || b != b) ? a + b : (a <= b ? a : b); }

inline double unary(Op op, double x) {
  switch (op) {
    case Op::logical_not: return x == 0 ? 1.0 : 0.0;
    case Op::abs: return std::fabs(x);
    case Op::sign: return sign(x);
    case Op::log: return std::log(x);
    case Op::exp: return std::exp(x);
    case Op::sqrt: return std::sqrt(x);
    default: return NAN;
  }
}

inline double binary(Op op, double a, double b) {
  switch (op) {
    case Op::add: return a + b;
    case Op::sub: return a - b;
    case Op::mul: return a * b;
    case Op::div: return a / b;
    case Op::gt: return a > b ? 1.0 : 0.0;
    case Op::ge: return a >= b ? 1.0 : 0.0;
    case Op::eq: return a == b ? 1.0 : 0.0;
    case Op::ne: return a != b ? 1.0 : 0.0;
    case Op::logical_and: return (a != 0 && b != 0) ? 1.0 : 0.0;
    case Op::logical_or: return (a != 0 || b != 0) ? 1.0 : 0.0;
    case Op::power: return std::pow(a, b);
    case Op::signed_power: return sign(a) * std::pow(std::fabs(a), b);
    case Op::greater: return greater(a, b);
    case Op::less: return less(a, b);
    default: return NAN;
  }
}

inline double ternary(double c, double a, double b) { return c != 0 ? a : b; }

}  // namespace sextant::features::scalar
