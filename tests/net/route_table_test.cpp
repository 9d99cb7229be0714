#include <gtest/gtest.h>

#include "sextant/net/route_table.hpp"

namespace sextant::net {
namespace {

Handler named(std::string s) {
  return [s](const Request&) { return Response::text(s); };
}

TEST(RouteTable, ExactPatternsAndMethods) {
  RouteTable t;
  t.add("GET", "/health", named("health"));
  t.add("POST", "/correlation", named("corr"));
  t.add("GET", "/api/v1/sme/engines/{name}/performance", named("perf"));
  std::vector<std::pair<std::string, std::string>> params;

  Match m = t.match("GET", "/health", params);
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->handler(Request{}).body, "health");

  m = t.match("GET", "/api/v1/sme/engines/risk/performance", params);
  ASSERT_NE(m.route, nullptr);
  ASSERT_EQ(params.size(), 1u);
  EXPECT_EQ(params[0].first, "name");
  EXPECT_EQ(params[0].second, "risk");

  m = t.match("GET", "/correlation", params);
  EXPECT_EQ(m.route, nullptr);
  EXPECT_EQ(m.status, 405);
  EXPECT_EQ(m.allow, "POST");

  m = t.match("GET", "/nowhere", params);
  EXPECT_EQ(m.status, 404);
  m = t.match("GET", "/api/v1/sme/engines/risk", params);
  EXPECT_EQ(m.status, 404);
  EXPECT_EQ(t.routes().size(), 3u);
}

}  // namespace
}  // namespace sextant::net
