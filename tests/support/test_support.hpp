#pragma once
// Helpers shared by the test programs: data files, random panels, golden JSON.
#include <simdjson.h>

#include <random>
#include <string>
#include <vector>

#include "sextant/core/matrix.hpp"
#include "sextant/core/panel.hpp"

namespace sextant::test {

//! Absolute path of a data file: $SEXTANT_DATA_DIR, then ../shared/data, then the repo's data/.
//! Fails the test (never skips) when the file is in none of them.
std::string data_path(const std::string& relative);
//! A whole file's bytes (a model file, a golden document); throws std::runtime_error when unreadable.
std::string read_file(const std::string& path);

//! Standard-normal T×N panel scaled like daily returns, with a common factor.
Matrix random_returns(std::size_t t, std::size_t n, std::uint64_t seed);
//! Random symmetric positive-definite n×n matrix.
Matrix random_spd(std::size_t n, std::uint64_t seed);

//! Dow Jones 30 daily log returns (2528 × 30), as the golden file defines them.
Matrix dow_log_returns();

//! The same returns as numpy computed them (data/golden/dowjones30_log_returns_numpy.csv).
Matrix dow_log_returns_numpy();

//! 100 × LPP2005 columns SBI, SPI, SII, LMI, MPI, ALT (377 × 6), as lpp2005_{risk,portfolio}.json define them.
Matrix lpp_returns_x100();

//! Parsed golden JSON document (kept alive for the process).
simdjson::dom::element golden(const std::string& relative);
std::vector<double> numbers(simdjson::dom::element array);

double max_abs_diff(MatrixView a, MatrixView b);

}  // namespace sextant::test
