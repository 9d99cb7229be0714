// `sextant validate` end to end: the real binary, a small run, its JSON report read back.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <filesystem>
#include <string>

#include <unistd.h>

#include "integration/http_client.hpp"

namespace sextant::test {
namespace {

TEST(Validate, SmallRunAgreesAndWritesItsReport) {
  // N = 40 from T = 20 days: the covariance windows are rank-deficient, so this also checks that the
  // square ops (cholesky, eigh) get a full-rank matrix of their own rather than aborting the run.
  // Named by pid: two checkouts' test runs on one machine must not share it.
  const std::string report =
      (std::filesystem::temp_directory_path() / ("sextant_validate_test-" + std::to_string(::getpid()) + ".json")).string();
  std::filesystem::remove(report);
  std::string err;
  const int code = run_sextant({"validate", "--sizes", "8", "40", "--periods", "20", "--iterations", "1",
                                "--baseline-iterations", "1", "--backend", "cpu", "--save-report", report},
                               &err, 120);
  ASSERT_EQ(code, 0) << err;
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.load(report);
  EXPECT_TRUE(bool(doc["summary"]["all_agree"]));
  std::size_t rows = 0, cholesky = 0;
  for (simdjson::dom::element r : doc["results"].get_array()) {
    ++rows;
    EXPECT_TRUE(bool(r["agrees"])) << std::string_view(r["operation"]) << " " << std::string_view(r["size"]);
    EXPECT_GT(double(r["accelerated_ms_p50"]), 0.0);
    if (std::string_view(r["operation"]) == "cholesky") ++cholesky;
  }
  EXPECT_EQ(cholesky, 2u);  // N = 8 and N = 40
  EXPECT_EQ(rows, 2u * (2 + 3) + 1);  // per N: covariance, correlation (one T); gemm, cholesky, eigh; then gemm_xtx
  std::filesystem::remove(report);
}

TEST(Validate, BadOptionsNameTheField) {
  std::string err;
  EXPECT_NE(run_sextant({"validate", "--engine", "risk"}, &err), 0);
  EXPECT_NE(err.find("engine"), std::string::npos) << err;
  EXPECT_NE(run_sextant({"validate", "--backend", "reference"}, &err), 0);
  EXPECT_NE(err.find("backend"), std::string::npos) << err;
}

}  // namespace
}  // namespace sextant::test
