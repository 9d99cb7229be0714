// WsConnection: the outbound queue of a WebSocket connection (order, conflation, overflow, waking).
#include <gtest/gtest.h>

#include "sextant/net/websocket.hpp"

namespace sextant::net {
namespace {

std::vector<std::string> drain(WsConnection& c) {
  std::vector<std::shared_ptr<const std::string>> out;
  c.take(out, 1000);
  std::vector<std::string> s;
  for (const auto& m : out) s.push_back(*m);
  return s;
}

TEST(WsConnection, KeepsOrderAndConflatesOnlyWhenBackedUp) {
  WsConnection c({.conflate_after = 3, .max_messages = 100, .max_bytes = 1 << 20});
  EXPECT_EQ(c.send(std::make_shared<const std::string>("a1"), "a"), WsPush::queued);
  EXPECT_EQ(c.send(std::make_shared<const std::string>("a2"), "a"), WsPush::queued) << "not backed up yet: both kept";
  EXPECT_EQ(c.send(std::make_shared<const std::string>("b1"), "b"), WsPush::queued);
  // Three queued: now a keyed message replaces the latest queued one with its key, in place.
  EXPECT_EQ(c.send(std::make_shared<const std::string>("a3"), "a"), WsPush::conflated);
  EXPECT_EQ(c.send(std::make_shared<const std::string>("alert"), ""), WsPush::queued) << "no key: never conflated";
  EXPECT_EQ(c.send(std::make_shared<const std::string>("c1"), "c"), WsPush::queued) << "a new key is appended";
  EXPECT_EQ(drain(c), (std::vector<std::string>{"a1", "a3", "b1", "alert", "c1"}));
  const auto s = c.stats();
  EXPECT_EQ(s.conflated, 1u);
  EXPECT_EQ(s.queued, 0u);
  EXPECT_EQ(s.queued_bytes, 0u);
  // After a drain the key map is clean: nothing conflates into a message already sent.
  EXPECT_EQ(c.send(std::make_shared<const std::string>("a4"), "a"), WsPush::queued);
  EXPECT_EQ(drain(c), (std::vector<std::string>{"a4"}));
}

TEST(WsConnection, OverflowClosesWith1013AndDropsTheQueue) {
  WsConnection c({.conflate_after = 2, .max_messages = 4, .max_bytes = 1 << 20});
  for (int i = 0; i < 4; ++i) EXPECT_EQ(c.send("event " + std::to_string(i)), WsPush::queued);
  EXPECT_EQ(c.send("one too many"), WsPush::closing);
  ASSERT_TRUE(c.close_request());
  EXPECT_EQ(c.close_request()->code, WsCloseCode::try_again_later);
  EXPECT_NE(c.close_request()->reason.find("slow consumer"), std::string::npos);
  EXPECT_TRUE(drain(c).empty());
  EXPECT_EQ(c.send("after"), WsPush::closing);
  c.close(WsCloseCode::normal, "later");  // the first close wins
  EXPECT_EQ(c.close_request()->code, WsCloseCode::try_again_later);
}

TEST(WsConnection, TheByteBoundClosesToo) {
  WsConnection c({.conflate_after = 100, .max_messages = 100, .max_bytes = 10});
  EXPECT_EQ(c.send(std::string(8, 'x')), WsPush::queued);
  EXPECT_EQ(c.send(std::string(3, 'y')), WsPush::closing);
}

TEST(WsConnection, WakesOnEmptyToNonEmptyAndOnClose) {
  WsConnection c;
  int wakes = 0;
  c.set_waker([&] { ++wakes; });
  EXPECT_EQ(wakes, 0);
  c.send("1");
  c.send("2");
  EXPECT_EQ(wakes, 1) << "the session drains everything queued per wake";
  drain(c);
  c.send("3");
  EXPECT_EQ(wakes, 2);
  c.close(WsCloseCode::normal, "bye");
  EXPECT_EQ(wakes, 3);
  WsConnection late;
  late.send("queued before the session attached");
  int late_wakes = 0;
  late.set_waker([&] { ++late_wakes; });
  EXPECT_EQ(late_wakes, 1) << "a session attaching to a non-empty queue is woken at once";
}

}  // namespace
}  // namespace sextant::net
