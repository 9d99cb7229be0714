#pragma once
// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11) and the
// fixed mapping from counters to normals and chi-square draws that every backend shares.
// Counter layout for scenario row r: {lo(r), hi(r), block, stream}; stream 0 feeds the normals
// (block b gives elements 2b and 2b+1 by Box-Muller), stream 1 feeds the chi-square of row r.
// Header-only and usable from CUDA device code.
#include <cmath>
#include <cstdint>
#include <cstring>

#if defined(__CUDACC__)
#define SEXTANT_HD __host__ __device__ __forceinline__
#else
#define SEXTANT_HD inline
#endif

namespace sextant::accel::philox {

struct U4 {
  std::uint32_t x[4];
};

SEXTANT_HD void mulhilo(std::uint32_t a, std::uint32_t b, std::uint32_t& hi, std::uint32_t& lo) {
  std::uint64_t p = static_cast<std::uint64_t>(a) * b;
  hi = static_cast<std::uint32_t>(p >> 32);
  lo = static_cast<std::uint32_t>(p);
}

inline constexpr std::uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;  // round multipliers
inline constexpr std::uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;  // key increments (Weyl)
inline constexpr int kRounds = 10;

//! Ten rounds of Philox4x32 on counter c with key k.
SEXTANT_HD U4 block(U4 c, std::uint32_t k0, std::uint32_t k1) {
  for (int round = 0; round < kRounds; ++round) {
    std::uint32_t hi0, lo0, hi1, lo1;
    mulhilo(kM0, c.x[0], hi0, lo0);
    mulhilo(kM1, c.x[2], hi1, lo1);
    U4 n{{hi1 ^ c.x[1] ^ k0, lo1, hi0 ^ c.x[3] ^ k1, lo0}};
    c = n;
    k0 += kW0;
    k1 += kW1;
  }
  return c;
}

SEXTANT_HD U4 draw(std::uint64_t seed, std::uint64_t row, std::uint32_t blk, std::uint32_t stream) {
  U4 c{{static_cast<std::uint32_t>(row), static_cast<std::uint32_t>(row >> 32), blk, stream}};
  return block(c, static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32));
}

//! An unsigned 32-bit value as a double, through the signed conversion (which vectorises; exact).
SEXTANT_HD double u32_to_double(std::uint32_t x) {
  return static_cast<double>(static_cast<std::int32_t>(x ^ 0x80000000u)) + 2147483648.0;
}
//! Uniform in the open interval (0, 1) with 53 random bits: (hi·2²¹ + (lo >> 11) + ½)·2⁻⁵³. The sum
//! of the two parts is exact, so this equals converting the 53-bit integer directly.
SEXTANT_HD double uniform53(std::uint32_t hi, std::uint32_t lo) {
  return (u32_to_double(hi) * 2097152.0 + u32_to_double(lo >> 11) + 0.5) * 0x1.0p-53;
}
//! Uniform in (0, 1) with 32 random bits.
SEXTANT_HD double uniform32(std::uint32_t x) { return (static_cast<double>(x) + 0.5) * 0x1.0p-32; }

SEXTANT_HD std::uint64_t to_bits(double x) {
  std::uint64_t b;
  std::memcpy(&b, &x, sizeof b);
  return b;
}
SEXTANT_HD double from_bits(std::uint64_t b) {
  double x;
  std::memcpy(&x, &b, sizeof x);
  return x;
}

// Box-Muller's log and sincos as branch-free polynomials, so that a loop of them vectorises (cpu
// backend) and every backend runs the same arithmetic. Both are accurate to a few ulp on the domains
// used here; they are not general-purpose replacements for libm.

//! ln x for x in (0, 1] (a normal double): x = m·2^e with m in [√½, √2), ln m = 2·atanh((m-1)/(m+1)).
SEXTANT_HD double log_unit(double x) {
  const std::uint64_t bits = to_bits(x);
  const double e_raw = from_bits((bits >> 52) | 0x4330000000000000ull) - 4503599627370496.0 - 1023.0;
  double m = from_bits((bits & 0x000fffffffffffffull) | 0x3ff0000000000000ull);  // [1, 2)
  const bool big = m > 1.4142135623730951;
  m *= big ? 0.5 : 1.0;
  const double e = e_raw + (big ? 1.0 : 0.0);
  const double s = (m - 1.0) / (m + 1.0), s2 = s * s, s4 = s2 * s2;
  // Σ s2^j/(2j+3), j = 0..10, as its even and odd powers of s2 in two Horner chains over s4 (half the
  // dependent latency of one chain, which is what bounds the vectorised loop).
  double pe = 1.0 / 23;  // j even: 1/3, 1/7, …, 1/23
  pe = pe * s4 + 1.0 / 19;
  pe = pe * s4 + 1.0 / 15;
  pe = pe * s4 + 1.0 / 11;
  pe = pe * s4 + 1.0 / 7;
  pe = pe * s4 + 1.0 / 3;
  double po = 1.0 / 21;  // j odd: 1/5, 1/9, …, 1/21
  po = po * s4 + 1.0 / 17;
  po = po * s4 + 1.0 / 13;
  po = po * s4 + 1.0 / 9;
  po = po * s4 + 1.0 / 5;
  const double p = pe + s2 * po;
  const double log_m = 2.0 * s + 2.0 * s * (s2 * p);
  return e * 0.6931471805599453 + (log_m + e * 2.3190468138462996e-17);  // ln 2 split in two
}

//! sin and cos of 2πu for u in [0, 1). The reduction is exact: 4u splits into the quadrant and a
//! fraction f, and the angle left is x = (f - ½)·π/2 in [-π/4, π/4).
SEXTANT_HD void sincos_2pi(double u, double& sin_out, double& cos_out) {
  const double t = 4.0 * u;
  const double q = double(t >= 1.0) + double(t >= 2.0) + double(t >= 3.0);  // floor(t), branch-free
  const double x = (t - q - 0.5) * 1.5707963267948966, x2 = x * x;
  // Taylor coefficients of (x - sin x)/x³ and (cos x - 1)/x² as polynomials in x2, each split into its
  // even and odd powers of x2, two chains over x4 = x2² (shorter dependent chains; see log_unit).
  const double x4 = x2 * x2;
  double spe = 1.0 / 1307674368000.0;  // x2^0, ^2, ^4, ^6: 1/3!, 1/7!, 1/11!, 1/15!
  spe = spe * x4 + 1.0 / 39916800.0;
  spe = spe * x4 + 1.0 / 5040.0;
  spe = spe * x4 + 1.0 / 6.0;
  double spo = -1.0 / 355687428096000.0;  // x2^1, ^3, ^5, ^7: -1/5!, -1/9!, -1/13!, -1/17!
  spo = spo * x4 - 1.0 / 6227020800.0;
  spo = spo * x4 - 1.0 / 362880.0;
  spo = spo * x4 - 1.0 / 120.0;
  const double sp = spe + x2 * spo;
  const double sx = x - x * x2 * sp;
  double cpe = -1.0 / 87178291200.0;  // x2^0, ^2, ^4, ^6: -1/2!, -1/6!, -1/10!, -1/14!
  cpe = cpe * x4 - 1.0 / 3628800.0;
  cpe = cpe * x4 - 1.0 / 720.0;
  cpe = cpe * x4 - 0.5;
  double cpo = 1.0 / 20922789888000.0;  // x2^1, ^3, ^5, ^7: 1/4!, 1/8!, 1/12!, 1/16!
  cpo = cpo * x4 + 1.0 / 479001600.0;
  cpo = cpo * x4 + 1.0 / 40320.0;
  cpo = cpo * x4 + 1.0 / 24.0;
  const double cp = cpe + x2 * cpo;
  const double cx = 1.0 + x2 * cp;
  // a = x + π/4 is the angle within the quadrant.
  const double sa = (sx + cx) * 0.7071067811865476, ca = (cx - sx) * 0.7071067811865476;
  const bool swap = (q == 1.0) | (q == 3.0);  // | not ||: no control flow, so loops vectorise
  const double s = swap ? ca : sa, c = swap ? sa : ca;
  sin_out = q >= 2.0 ? -s : s;
  cos_out = ((q == 1.0) | (q == 2.0)) ? -c : c;
}

//! Two standard normals from one Philox block (Box-Muller).
SEXTANT_HD void normal_pair(std::uint64_t seed, std::uint64_t row, std::uint32_t blk, double& z0, double& z1) {
  U4 u = draw(seed, row, blk, 0);
  double r = std::sqrt(-2.0 * log_unit(uniform53(u.x[0], u.x[1])));
  double s, c;
  sincos_2pi(uniform53(u.x[2], u.x[3]), s, c);
  z0 = r * c;
  z1 = r * s;
}

//! Gamma(shape, 1) by Marsaglia-Tsang, one Philox block per attempt on stream 1 of the row.
//! shape < 1 uses Gamma(shape + 1) · U^(1/shape) with U from the block after acceptance.
SEXTANT_HD double gamma(std::uint64_t seed, std::uint64_t row, double shape) {
  double a = shape < 1.0 ? shape + 1.0 : shape;
  double d = a - 1.0 / 3.0, c = 1.0 / std::sqrt(9.0 * d);
  std::uint32_t blk = 0;
  double g = 0.0;
  for (;; ++blk) {
    U4 u = draw(seed, row, blk, 1);
    double r = std::sqrt(-2.0 * std::log(uniform53(u.x[0], u.x[1])));
    double x = r * std::cos(6.283185307179586476925286766559 * uniform32(u.x[2]));
    double v = 1.0 + c * x;
    if (v <= 0.0) continue;
    v = v * v * v;
    double uu = uniform32(u.x[3]);
    if (std::log(uu) < 0.5 * x * x + d - d * v + d * std::log(v)) {
      g = d * v;
      break;
    }
  }
  if (shape < 1.0) {
    U4 u = draw(seed, row, blk + 1, 1);
    g *= std::pow(uniform53(u.x[0], u.x[1]), 1.0 / shape);
  }
  return g;
}

//! Student-t scale for a row: sqrt(nu / W) with W ~ chi²(nu) = 2·Gamma(nu/2).
SEXTANT_HD double t_scale(std::uint64_t seed, std::uint64_t row, double nu) {
  return std::sqrt(nu / (2.0 * gamma(seed, row, 0.5 * nu)));
}

}  // namespace sextant::accel::philox
