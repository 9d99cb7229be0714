#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <vector>

#include <unistd.h>

#include "sextant/core/config.hpp"
#include "sextant/core/error.hpp"
#include "sextant/core/matrix.hpp"
#include "sextant/core/moments.hpp"

namespace sextant {
namespace {

TEST(Matrix, RowMajorViewsShareStorage) {
  Matrix m(3, 4);
  for (std::size_t i = 0; i < 3; ++i)
    for (std::size_t j = 0; j < 4; ++j) m(i, j) = double(10 * i + j);
  MatrixView v = m.view();
  EXPECT_EQ(v.ld, 4u);
  EXPECT_EQ(v(2, 3), 23.0);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(m.data()) % 64, 0u) << "storage is cache-line aligned";
  // A column block is a strided view of the same memory.
  MatrixView block(m.data() + 1, 3, 2, 4);
  EXPECT_EQ(block(1, 1), 12.0);
  Matrix copy = Matrix::copy_of(block);
  EXPECT_EQ(copy.cols(), 2u);
  EXPECT_EQ(copy(2, 0), 21.0);
}

TEST(Error, CarriesCodeFieldAndStableName) {
  try {
    fail(ErrorCode::dimension_mismatch, "weights", "weights has {} entries, returns has {} columns", 3, 4);
    FAIL() << "fail() must throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::dimension_mismatch);
    EXPECT_EQ(e.field(), "weights");
    EXPECT_STREQ(e.what(), "weights has 3 entries, returns has 4 columns");
    EXPECT_EQ(code_name(e.code()), "SME_MATRIX_DIMENSIONS_ERROR");
  }
  EXPECT_EQ(code_name(ErrorCode::memory_limit), "SME_MEMORY_LIMIT_EXCEEDED");
  EXPECT_EQ(code_name(ErrorCode::timeout), "SME_TIMEOUT_ERROR");
}

EnvLookup fake_env(std::map<std::string, std::string> vars) {
  return [vars](const std::string& k) -> std::optional<std::string> {
    auto it = vars.find(k);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

struct TempToml {
  std::filesystem::path path;
  explicit TempToml(const std::string& text) {
    // Unique per process and test: ctest runs tests in parallel processes, and gtest's random seed
    // (which named this file before) comes from the clock, so two tests started in the same
    // millisecond shared a file and one removed it under the other.
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path = std::filesystem::temp_directory_path() /
           ("sextant-test-" + std::to_string(::getpid()) + "-" + info->name() + ".toml");
    std::ofstream(path) << text;
  }
  ~TempToml() { std::filesystem::remove(path); }
};

TEST(Config, DefaultsWhenNothingIsSet) {
  Config c = load_config(std::nullopt, fake_env({}));
  EXPECT_EQ(c.host, "127.0.0.1");
  EXPECT_EQ(c.port_offset, 0);
  EXPECT_EQ(c.body_limit_mb, 64u);
  EXPECT_EQ(c.source["host"], "default");
}

TEST(Config, PrecedenceIsCliThenEnvThenFileThenDefault) {
  TempToml f("[server]\nport_offset = 5\nthreads = 3\napi_key = \"from-file\"\nbody_limit_mb = 7\n");
  Config c = load_config(f.path.string(), fake_env({{"SEXTANT_THREADS", "4"}, {"SEXTANT_API_KEY", "from-env"}}));
  c.set("api_key", "from-cli", "cli");
  EXPECT_EQ(c.port_offset, 5);          // file beats default
  EXPECT_EQ(c.source["port_offset"], "file");
  EXPECT_EQ(c.threads, 4);              // env beats file
  EXPECT_EQ(c.source["threads"], "env");
  EXPECT_EQ(c.api_key, "from-cli");     // cli beats env
  EXPECT_EQ(c.source["api_key"], "cli");
  EXPECT_EQ(c.body_limit_mb, 7u);
  EXPECT_EQ(c.source["host"], "default");
}

TEST(Config, BadValuesNameTheKey) {
  Config c;
  try {
    c.set("port_offset", "12abc", "cli");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::config);
    EXPECT_EQ(e.field(), "port_offset");
  }
  EXPECT_THROW(c.set("threads", "-1", "env"), Error);
  EXPECT_THROW(c.set("bus", "kafka://x", "cli"), Error);
  EXPECT_THROW(c.set("no_such_key", "1", "cli"), Error);
  EXPECT_THROW(load_config(std::string("/nonexistent/sextant.toml"), fake_env({})), Error);
  TempToml broken("port_offset = \n");
  EXPECT_THROW(load_config(broken.path.string(), fake_env({})), Error);
}

TEST(Config, EnvNames) {
  EXPECT_EQ(env_name("api_key"), "SEXTANT_API_KEY");
  EXPECT_EQ(env_name("request_timeout_ms"), "SEXTANT_REQUEST_TIMEOUT_MS");
}

TEST(Moments, StandardisedAgainstTheTextbookSumsAndAtHugeScale) {
  const std::vector<double> x{0.01, -0.02, 0.035, 0.0, -0.01, 0.05, -0.04};
  double mean = 0;
  for (double v : x) mean += v;
  mean /= double(x.size());
  double m2 = 0, m3 = 0, m4 = 0;
  for (double v : x) m2 += std::pow(v - mean, 2), m3 += std::pow(v - mean, 3), m4 += std::pow(v - mean, 4);
  m2 /= 7, m3 /= 7, m4 /= 7;
  const Moments m = standardised_moments(x, mean);
  EXPECT_NEAR(m.m2, m2, 1e-18);
  EXPECT_NEAR(m.skew, m3 / std::pow(m2, 1.5), 1e-14);
  EXPECT_NEAR(m.kurt, m4 / (m2 * m2), 1e-14);
  std::vector<double> huge = x;  // 1e150-ish: d⁴ would overflow, d/σ does not
  for (double& v : huge) v = std::ldexp(v, 505);
  const Moments h = standardised_moments(huge, std::ldexp(mean, 505));
  EXPECT_NEAR(h.skew, m.skew, 1e-14);
  EXPECT_NEAR(h.kurt, m.kurt, 1e-14);
  EXPECT_TRUE(std::isnan(standardised_moments(std::vector<double>{2.0, 2.0}, 2.0).kurt));  // zero variance
}

}  // namespace
}  // namespace sextant
