// service::Fields: the declarative request reader every handler uses.
#include <gtest/gtest.h>

#include <simdjson.h>

#include "sextant/core/error.hpp"
#include "sextant/core/side.hpp"
#include "sextant/service/fields.hpp"

namespace sextant::service {
namespace {

net::Request request(std::string body) {
  net::Request r;
  r.body.reserve(body.size() + simdjson::SIMDJSON_PADDING);
  r.body.assign(body);  // keeps the padded capacity
  return r;
}

// The field an Error names, or "(no error)".
template <class F>
std::string field_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.field();
  }
  return "(no error)";
}

struct Order {
  double quantity = 0;
  std::optional<std::int64_t> horizon;
  Side side = Side::buy;
  std::vector<Side> sides;
  std::string account = "default";
  std::optional<Matrix> returns;
};

void declare(Fields& in, Order& o) {
  in.req("quantity", o.quantity).opt("horizon", o.horizon, IntRange{1, 10}).opt("side", o.side, kSideNames);
  in.opt("sides", o.sides, kSideNames).opt("account", o.account).opt("returns", o.returns, net::Nulls::as_nan);
}

TEST(Fields, ReadsDeclaredFieldsAndKeepsDefaults) {
  Order o;
  Fields in;
  declare(in, o);
  auto req = request(R"({"quantity":2.5,"side":"sell","sides":["buy","sell"],"returns":[[1,null],[2,3]]})");
  in.read(req, "/order");
  EXPECT_EQ(o.quantity, 2.5);
  EXPECT_EQ(o.side, Side::sell);
  EXPECT_EQ(o.sides, (std::vector<Side>{Side::buy, Side::sell}));
  EXPECT_EQ(o.account, "default") << "absent: the default stays";
  EXPECT_FALSE(o.horizon);
  ASSERT_TRUE(o.returns);
  EXPECT_TRUE(std::isnan((*o.returns)(0, 1)));
  EXPECT_TRUE(in.has("side"));
  EXPECT_FALSE(in.has("account"));
  EXPECT_EQ(in.first_present({"returns", "side", "account"}), "side") << "document order";
}

TEST(Fields, EveryFaultNamesItsField) {
  auto fault = [](std::string body) {
    Order o;
    Fields in;
    declare(in, o);
    auto req = request(std::move(body));
    return field_of([&] { in.read(req, "/order"); });
  };
  EXPECT_EQ(fault(R"({"side":"buy"})"), "quantity") << "required";
  EXPECT_EQ(fault(R"({"quantity":1,"bogus":1})"), "bogus") << "unknown";
  EXPECT_EQ(fault(R"({"quantity":1,"horizon":11})"), "horizon") << "out of range";
  EXPECT_EQ(fault(R"({"quantity":1,"side":"hold"})"), "side") << "not in the table";
  EXPECT_EQ(fault(R"({"quantity":"1"})"), "quantity") << "wrong type";
  EXPECT_EQ(fault(R"({"quantity":1,"sides":["buy",3]})"), "sides");
  EXPECT_EQ(fault(R"([1,2])"), "") << "not an object: invalid JSON, no field";
}

TEST(Fields, NestedObjectsArraysAndAliases) {
  double lambda = 0.94;
  std::vector<std::pair<std::string, double>> limits;
  std::vector<double> mins;
  auto make = [&](Fields& in) {
    in.opt("ewma_lambda", lambda).alias("lambda", "ewma_lambda");
    in.object("limits", [&](Fields& f) {
      f.add("max", [&](net::od::value v, const std::string& field) { limits.emplace_back(field, net::read_number(v, field)); });
    });
    in.objects("groups", [&](Fields& f, std::size_t) { f.req("min", mins.emplace_back()); });
  };
  {
    Fields in;
    make(in);
    auto req = request(R"({"lambda":0.9,"limits":{"max":5},"groups":[{"min":1},{"min":2}]})");
    in.read(req, "/x");
    EXPECT_EQ(lambda, 0.9) << "the alias reads into its field";
    EXPECT_TRUE(in.has("ewma_lambda"));
    ASSERT_EQ(limits.size(), 1u);
    EXPECT_EQ(limits[0].first, "limits.max");
    EXPECT_EQ(mins, (std::vector<double>{1, 2}));
  }
  Fields in;
  make(in);
  auto bad = request(R"({"limits":{"min":5}})");
  EXPECT_EQ(field_of([&] { in.read(bad, "/x"); }), "limits.min");
  Fields in2;
  make(in2);
  auto missing = request(R"({"groups":[{"min":1},{}]})");
  EXPECT_EQ(field_of([&] { in2.read(missing, "/x"); }), "groups[1].min");
}

}  // namespace
}  // namespace sextant::service
