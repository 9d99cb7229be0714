// Elementwise kernels: one loop per operator and argument shape, so each inner loop is branch-free
// and vectorises across instruments.
#include <cmath>

#include "kernels.hpp"
#include "scalar.hpp"

namespace sextant::features::kernels {
namespace {

template <class F>
void unary_loop(Arg a, double* out, const Block& b, F f) {
  for (std::size_t t = 0; t < b.rows; ++t) {
    const std::size_t row = t * b.stride;
    for (std::size_t c = b.c0; c < b.c1; ++c) out[row + c] = f(a.p[row + c]);
  }
}

template <class F>
void binary_loop(Arg x, Arg y, double* out, const Block& b, F f) {
  for (std::size_t t = 0; t < b.rows; ++t) {
    const std::size_t row = t * b.stride;
    if (x.scalar) {
      const double xv = *x.p;
      for (std::size_t c = b.c0; c < b.c1; ++c) out[row + c] = f(xv, y.p[row + c]);
    } else if (y.scalar) {
      const double yv = *y.p;
      for (std::size_t c = b.c0; c < b.c1; ++c) out[row + c] = f(x.p[row + c], yv);
    } else {
      for (std::size_t c = b.c0; c < b.c1; ++c) out[row + c] = f(x.p[row + c], y.p[row + c]);
    }
  }
}

double at(Arg a, std::size_t i) { return a.scalar ? *a.p : a.p[i]; }

}  // namespace

void elementwise(const Node& n, std::span<const Arg> in, double* out, const Block& b) {
  using namespace scalar;
  switch (n.op) {
    case Op::add: return binary_loop(in[0], in[1], out, b, [](double x, double y) { return x + y; });
    case Op::sub: return binary_loop(in[0], in[1], out, b, [](double x, double y) { return x - y; });
    case Op::mul: return binary_loop(in[0], in[1], out, b, [](double x, double y) { return x * y; });
    case Op::div: return binary_loop(in[0], in[1], out, b, [](double x, double y) { return x / y; });
    case Op::gt: return binary_loop(in[0], in[1], out, b, [](double x, double y) { return x > y ? 1.0 : 0.0; });
    case Op::ge: return binary_loop(in[0], in[1], out, b, [](double x, double y) { return x >= y ? 1.0 : 0.0; });
    case Op::eq: return binary_loop(in[0], in[1], out, b, [](double x, double y) { return x == y ? 1.0 : 0.0; });
    case Op::ne: return binary_loop(in[0], in[1], out, b, [](double x, double y) { return x != y ? 1.0 : 0.0; });
    case Op::greater: return binary_loop(in[0], in[1], out, b, [](double x, double y) { return scalar::greater(x, y); });
    case Op::less: return binary_loop(in[0], in[1], out, b, [](double x, double y) { return scalar::less(x, y); });
    case Op::logical_and:
    case Op::logical_or:
    case Op::power:
    case Op::signed_power: {
      const Op op = n.op;
      return binary_loop(in[0], in[1], out, b, [op](double x, double y) { return scalar::binary(op, x, y); });
    }
    case Op::abs: return unary_loop(in[0], out, b, [](double x) { return std::fabs(x); });
    case Op::logical_not:
    case Op::sign:
    case Op::log:
    case Op::exp:
    case Op::sqrt: {
      const Op op = n.op;
      return unary_loop(in[0], out, b, [op](double x) { return scalar::unary(op, x); });
    }
    case Op::if_then_else:
      for (std::size_t t = 0; t < b.rows; ++t)
        for (std::size_t c = b.c0; c < b.c1; ++c) {
          const std::size_t i = t * b.stride + c;
          out[i] = scalar::ternary(at(in[0], i), at(in[1], i), at(in[2], i));
        }
      return;
    default: return;
  }
}

}  // namespace sextant::features::kernels
