#pragma once
// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11) and the
// fixed mapping from counters to normals and chi-square draws that every backend shares.
// Counter layout for scenario row r: {lo(r), hi(r), block, stream}; stream 0 feeds the normals
// (block b gives elements 2b and 2b+1 by Box-Muller), stream 1 feeds the chi-square of row r.
// Header-only and usable from CUDA device code.
#include <cmath>
#include <cstdint>

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

//! Ten rounds of Philox4x32 on counter c with key k.
SEXTANT_HD U4 block(U4 c, std::uint32_t k0, std::uint32_t k1) {
  constexpr std::uint32_t M0 = 0xD2511F53u, M1 = 0xCD9E8D57u;
  constexpr std::uint32_t W0 = 0x9E3779B9u, W1 = 0xBB67AE85u;
  for (int round = 0; round < 10; ++round) {
    std::uint32_t hi0, lo0, hi1, lo1;
    mulhilo(M0, c.x[0], hi0, lo0);
    mulhilo(M1, c.x[2], hi1, lo1);
    U4 n{{hi1 ^ c.x[1] ^ k0, lo1, hi0 ^ c.x[3] ^ k1, lo0}};
    c = n;
    k0 += W0;
    k1 += W1;
  }
  return c;
}

SEXTANT_HD U4 draw(std::uint64_t seed, std::uint64_t row, std::uint32_t blk, std::uint32_t stream) {
  U4 c{{static_cast<std::uint32_t>(row), static_cast<std::uint32_t>(row >> 32), blk, stream}};
  return block(c, static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32));
}

//! Uniform in the open interval (0, 1) with 53 random bits.
SEXTANT_HD double uniform53(std::uint32_t hi, std::uint32_t lo) {
  std::uint64_t bits = ((static_cast<std::uint64_t>(hi) << 32) | lo) >> 11;
  return (static_cast<double>(bits) + 0.5) * 0x1.0p-53;
}
//! Uniform in (0, 1) with 32 random bits.
SEXTANT_HD double uniform32(std::uint32_t x) { return (static_cast<double>(x) + 0.5) * 0x1.0p-32; }

//! Two standard normals from one Philox block (Box-Muller).
SEXTANT_HD void normal_pair(std::uint64_t seed, std::uint64_t row, std::uint32_t blk, double& z0, double& z1) {
  U4 u = draw(seed, row, blk, 0);
  double r = std::sqrt(-2.0 * std::log(uniform53(u.x[0], u.x[1])));
  double theta = 6.283185307179586476925286766559 * uniform53(u.x[2], u.x[3]);
  z0 = r * std::cos(theta);
  z1 = r * std::sin(theta);
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
