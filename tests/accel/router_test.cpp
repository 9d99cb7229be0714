#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <map>

#include "sextant/accel/ops.hpp"
#include "sextant/accel/router.hpp"
#include "sextant/core/error.hpp"
#include "support/test_support.hpp"

namespace sextant::accel {
namespace {

EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars](const std::string& k) -> std::optional<std::string> {
    auto it = vars.find(k);
    return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
}

// Restores the process-wide router after a test replaces it.
struct ScopedRouter {
  explicit ScopedRouter(Settings s) { Router::reset(std::move(s)); }
  ~ScopedRouter() { Router::reset(Settings::from_env(process_env())); }
};

TEST(Settings, ParseTheSeedEnvironment) {
  auto s = Settings::from_env(env_of({{"SME_ACCELERATION", "0"}, {"SME_MATRIX_THRESHOLD", "100"},
                                      {"SME_JIT_THRESHOLD", "256"}, {"SME_LARGE_THRESHOLD", "4096"},
                                      {"SME_MEMORY_POOL_MB", "64"}}));
  ASSERT_TRUE(s.forced.has_value());
  EXPECT_EQ(*s.forced, Backend::reference);
  EXPECT_EQ(s.matrix_threshold.value(), 100u);
  EXPECT_EQ(s.jit_threshold, 256u);
  EXPECT_EQ(s.large_threshold.value(), 4096u);
  EXPECT_EQ(s.memory_pool_mb, 64u);
  EXPECT_EQ(*Settings::from_env(env_of({{"SME_ACCELERATION", "cpu"}})).forced, Backend::cpu);
  EXPECT_FALSE(Settings::from_env(env_of({{"SME_ACCELERATION", "1"}})).forced.has_value());
  EXPECT_THROW(Settings::from_env(env_of({{"SME_ACCELERATION", "fast"}})), Error);
  EXPECT_THROW(Settings::from_env(env_of({{"SME_MATRIX_THRESHOLD", "-3"}})), Error);
}

TEST(Router, AccelerationZeroForcesReferenceAndCountsDecisions) {
  Settings s;
  s.forced = Backend::reference;
  Router r(s);
  EXPECT_EQ(r.choose(Op::correlation, 1000), Backend::reference);
  EXPECT_EQ(r.choose(Op::gemm, 5), Backend::reference);
  EXPECT_EQ(r.decisions(Op::correlation, Backend::reference), 1u);
  EXPECT_EQ(r.decisions(Op::gemm, Backend::reference), 1u);
  EXPECT_EQ(r.decisions(Op::gemm, Backend::cpu), 0u);
}

TEST(Router, ThresholdRulesWithoutCalibration) {
  Settings s;
  s.calibrate = false;
  Router r(s);
  EXPECT_EQ(r.choose(Op::covariance, 10), Backend::reference);  // below the seed's 64
  EXPECT_EQ(r.choose(Op::covariance, 500), Backend::cpu);
  s.matrix_threshold = 600;
  Router r2(s);
  EXPECT_EQ(r2.choose(Op::covariance, 500), Backend::reference);
  EXPECT_EQ(r2.choose(Op::covariance, 700), Backend::cpu);
  EXPECT_EQ(r2.calibration().source, "none");
}

TEST(Router, CudaAbsentFailsLoudlyWhenForced) {
  Settings s;
  s.forced = Backend::cuda;
  Router probe{Settings{}};
  if (probe.available(Backend::cuda)) {
    EXPECT_NO_THROW(Router{s});
  } else {
    try {
      Router r(s);
      FAIL() << "forcing an absent backend must throw";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::backend_unavailable);
      EXPECT_NE(std::string(e.what()).find("cuda"), std::string::npos);
    }
    EXPECT_THROW(probe.device(Backend::cuda), Error);
  }
}

TEST(Router, CalibrationIsMeasuredOnceThenCached) {
  auto dir = std::filesystem::temp_directory_path() / ("sextant-calib-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  const char* old = std::getenv("XDG_CACHE_HOME");
  std::string saved = old ? old : "";
  setenv("XDG_CACHE_HOME", dir.c_str(), 1);
  {
    Router r{Settings{}};
    r.ensure_calibrated();
    auto c = r.calibration();
    EXPECT_EQ(c.source, "measured");
    EXPECT_FALSE(c.points.empty());
    EXPECT_LT(c.seconds, 10.0) << "seconds, not minutes";
    EXPECT_TRUE(std::filesystem::exists(c.path));
    for (const auto& p : c.points) EXPECT_GT(p.ms, 0.0);
    // Large problems go to an accelerated backend.
    EXPECT_NE(r.choose(Op::correlation, 1000), Backend::reference);
    EXPECT_NE(r.choose(Op::gemm, 1000), Backend::reference);
  }
  {
    Router r{Settings{}};
    r.ensure_calibrated();
    EXPECT_EQ(r.calibration().source, "cache");
  }
  if (old) setenv("XDG_CACHE_HOME", saved.c_str(), 1);
  else unsetenv("XDG_CACHE_HOME");
  std::filesystem::remove_all(dir);
}

TEST(Router, WorkspaceOverTheMemoryPoolIsRefused) {
  Settings s;
  s.memory_pool_mb = 1;
  ScopedRouter scoped(s);
  Matrix x = test::random_returns(1000, 200, 1);  // 1.6 MB in + 0.3 MB out
  try {
    covariance(x);
    FAIL() << "expected memory_limit";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::memory_limit);
  }
  EXPECT_NO_THROW(covariance(test::random_returns(50, 10, 2)));
}

TEST(Router, OpsRecordLatencyAgainstTheBackendThatRan) {
  auto& r = Router::instance();
  auto before = r.counters(Op::cholesky, Backend::cpu).calls;
  Matrix l = cholesky(test::random_spd(20, 3), Backend::cpu);
  EXPECT_EQ(last_backend(), Backend::cpu);
  EXPECT_EQ(r.counters(Op::cholesky, Backend::cpu).calls, before + 1);
}

TEST(Router, RequestBackendIsTheMostAcceleratedOneThatRanSinceTheReset) {
  reset_request_backends();
  (void)cholesky(test::random_spd(30, 5), Backend::cpu);
  (void)covariance(test::random_returns(40, 6, 4), Backend::reference);
  EXPECT_EQ(last_backend(), Backend::reference);
  EXPECT_EQ(request_backend(), Backend::cpu);
  reset_request_backends();  // nothing ran since: the last backend stands
  EXPECT_EQ(request_backend(), Backend::reference);
}

}  // namespace
}  // namespace sextant::accel
