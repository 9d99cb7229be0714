// WebSocket conformance: a corpus written from RFC 6455 and RFC 7692, sent frame by frame to the stream
// engine's echo endpoint (/ws/echo) of a real `sextant serve`. Each case names the section it checks.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "http_client.hpp"
#include "ws_client.hpp"

namespace sextant::test {
namespace {

class WsConformance : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new ServerProcess({"--engines", "stream", "--ws-max-message-mb", "1"}); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  static std::unique_ptr<WsClient> echo(std::string extensions = "") {
    WsConnectOptions opt;
    opt.path = "/ws/echo";
    opt.extensions = std::move(extensions);
    auto c = WsClient::connect(server_->port(8600), opt);
    if (!c) throw std::runtime_error("upgrade refused");
    return c;
  }
  // The server's close code after a violation (it must close, RFC 6455 §7.1.7).
  static int close_code_after(WsClient& c) {
    while (c.read_message(10 * time_scale())) {}
    return c.close_code();
  }
  static double wait() { return 10 * time_scale(); }
  static ServerProcess* server_;
};
ServerProcess* WsConformance::server_ = nullptr;

std::string close_payload(int code, std::string_view reason = "") {
  std::string p{char(code >> 8), char(code & 0xff)};
  return p + std::string(reason);
}

TEST_F(WsConformance, TextIsEchoed_5_6) {
  auto c = echo();
  c->send_text("hello");
  EXPECT_EQ(c->read_message(wait()), "hello");
  const std::string big(70000, 'x');  // a 64-bit length (§5.2)
  c->send_text(big);
  EXPECT_EQ(c->read_message(wait()), big);
}

TEST_F(WsConformance, FragmentsAreReassembled_5_4) {
  auto c = echo();
  c->send_frame(kText, "frag", false);
  c->send_frame(kContinuation, "men", false);
  c->send_frame(kContinuation, "ted", true);
  EXPECT_EQ(c->read_message(wait()), "fragmented");
}

TEST_F(WsConformance, ControlFramesMayInterleaveWithFragments_5_4) {
  auto c = echo();
  c->send_frame(kText, "one ", false);
  c->send_frame(kPing, "are you there");
  c->send_frame(kContinuation, "two", true);
  auto pong = c->read_frame(wait());
  ASSERT_TRUE(pong);
  EXPECT_EQ(pong->opcode, kPong);
  EXPECT_EQ(pong->payload, "are you there") << "a pong carries the ping's application data (§5.5.3)";
  EXPECT_EQ(c->read_message(wait()), "one two");
}

TEST_F(WsConformance, AnUnsolicitedPongIsIgnored_5_5_3) {
  auto c = echo();
  c->send_frame(kPong, "nobody asked");
  c->send_text("still here");
  EXPECT_EQ(c->read_message(wait()), "still here");
}

TEST_F(WsConformance, CloseIsEchoedWithItsCode_5_5_1) {
  auto c = echo();
  c->send_frame(kClose, close_payload(1000, "bye"));
  EXPECT_EQ(close_code_after(*c), 1000);
}

TEST_F(WsConformance, AnEmptyCloseIsAnswered_5_5_1) {
  auto c = echo();
  c->send_frame(kClose, "");
  close_code_after(*c);
  EXPECT_TRUE(c->close_code() == 1000 || c->close_code() == 1005) << c->close_code();
}

TEST_F(WsConformance, InvalidUtf8InTextIs1007_8_1) {
  auto c = echo();
  c->send_frame(kText, "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80" "edited");  // a UTF-16 surrogate
  EXPECT_EQ(close_code_after(*c), 1007);
}

TEST_F(WsConformance, InvalidUtf8SplitAcrossFragmentsIs1007_8_1) {
  auto c = echo();
  c->send_frame(kText, "ok \xf4", false);
  c->send_frame(kContinuation, "\x90\x80\x80", true);  // U+110000: past the last code point
  EXPECT_EQ(close_code_after(*c), 1007);
}

TEST_F(WsConformance, ValidUtf8SplitInsideACharacterIsFine_8_1) {
  auto c = echo();
  c->send_frame(kText, "\xce", false);
  c->send_frame(kContinuation, "\xba", true);
  EXPECT_EQ(c->read_message(wait()), "\xce\xba");
}

TEST_F(WsConformance, AnUnmaskedClientFrameIs1002_5_1) {
  auto c = echo();
  c->send_frame(kText, "naked", true, /*mask=*/false);
  EXPECT_EQ(close_code_after(*c), 1002);
}

TEST_F(WsConformance, ReservedBitsWithoutAnExtensionAre1002_5_2) {
  auto c = echo();
  EXPECT_FALSE(c->deflate());
  c->send_frame(kText, "rsv1", true, true, /*rsv1=*/true);
  EXPECT_EQ(close_code_after(*c), 1002);
}

TEST_F(WsConformance, AReservedOpcodeIs1002_5_2) {
  for (int op : {3, 7, 11, 15}) {
    auto c = echo();
    c->send_frame(op, "?");
    EXPECT_EQ(close_code_after(*c), 1002) << "opcode " << op;
  }
}

TEST_F(WsConformance, AFragmentedControlFrameIs1002_5_5) {
  auto c = echo();
  c->send_frame(kPing, "split", /*fin=*/false);
  EXPECT_EQ(close_code_after(*c), 1002);
}

TEST_F(WsConformance, AControlFrameOver125BytesIs1002_5_5) {
  auto c = echo();
  c->send_frame(kPing, std::string(126, 'p'));
  EXPECT_EQ(close_code_after(*c), 1002);
}

TEST_F(WsConformance, AContinuationWithNothingToContinueIs1002_5_4) {
  auto c = echo();
  c->send_frame(kContinuation, "orphan");
  EXPECT_EQ(close_code_after(*c), 1002);
}

TEST_F(WsConformance, ANewMessageInsideAFragmentedOneIs1002_5_4) {
  auto c = echo();
  c->send_frame(kText, "first", false);
  c->send_frame(kText, "second");
  EXPECT_EQ(close_code_after(*c), 1002);
}

TEST_F(WsConformance, CloseCodesOutOfRangeAre1002_7_4) {
  for (int code : {0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999}) {
    auto c = echo();
    c->send_frame(kClose, close_payload(code));
    EXPECT_EQ(close_code_after(*c), 1002) << "close code " << code;
  }
  auto c = echo();
  c->send_frame(kClose, std::string(1, '\x03'));  // a one-byte close body
  EXPECT_EQ(close_code_after(*c), 1002);
}

TEST_F(WsConformance, ACloseReasonMustBeUtf8_5_5_1) {
  auto c = echo();
  c->send_frame(kClose, close_payload(1000, "\xff\xfe"));
  const int code = close_code_after(*c);
  EXPECT_TRUE(code == 1007 || code == 1002) << code;  // invalid payload, or a protocol error: both fail the connection
}

TEST_F(WsConformance, PrivateAndRegisteredCloseCodesAreAccepted_7_4_2) {
  for (int code : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999}) {
    auto c = echo();
    c->send_frame(kClose, close_payload(code));
    EXPECT_EQ(close_code_after(*c), code) << "close code " << code;
  }
}

TEST_F(WsConformance, AnOversizedMessageIs1009_7_4_1) {
  auto c = echo();  // the server runs with --ws-max-message-mb 1
  c->send_frame(kText, std::string((1 << 20) + 1, 'a'));
  EXPECT_EQ(close_code_after(*c), 1009);
  auto d = echo();  // in fragments, each small, together over the cap
  for (int i = 0; i < 5; ++i) d->send_frame(i ? kContinuation : kText, std::string(300000, 'b'), false);
  d->send_frame(kContinuation, "end", true);
  EXPECT_EQ(close_code_after(*d), 1009);
}

// The client keeps its compression context, so its second and third copies are back-references into
// the first: the server must keep its inflate context to read them. (Beast ends each outgoing message
// with a full flush, which restarts its own dictionary: allowed, as context takeover is the sender's
// option.)
TEST_F(WsConformance, DeflateWithContextTakeover_Rfc7692) {
  auto c = echo("permessage-deflate; client_max_window_bits");
  ASSERT_TRUE(c->deflate()) << "extensions: " << c->extensions();
  EXPECT_EQ(c->extensions().find("no_context_takeover"), std::string::npos) << c->extensions();
  const std::string msg = R"({"type":"market_data","topic":"marketdata.bars.AAPL","payload":{"close":187.25}})";
  for (int i = 0; i < 3; ++i) {
    c->send_text(msg);
    if (i > 0) {
      EXPECT_LT(c->last_frame_payload(), msg.size() / 4) << "message " << i << " did not reuse the client's window";
    }
    EXPECT_EQ(c->read_message(wait()), msg) << "message " << i;
  }
}

TEST_F(WsConformance, DeflateRoundTripsAcrossMessages_Rfc7692) {
  auto c = echo("permessage-deflate; client_max_window_bits");
  ASSERT_TRUE(c->deflate());
  for (int i = 0; i < 20; ++i) {
    const std::string msg = "message " + std::to_string(i) + std::string(200, char('a' + i % 26));
    c->send_text(msg);
    EXPECT_EQ(c->read_message(wait()), msg);
  }
}

TEST_F(WsConformance, DeflateWithoutContextTakeover_Rfc7692) {
  auto c = echo("permessage-deflate; server_no_context_takeover; client_no_context_takeover");
  ASSERT_TRUE(c->deflate());
  EXPECT_NE(c->extensions().find("server_no_context_takeover"), std::string::npos) << c->extensions();
  EXPECT_NE(c->extensions().find("client_no_context_takeover"), std::string::npos) << c->extensions();
  const std::string msg(500, 'z');
  for (int i = 0; i < 5; ++i) {
    c->send_text(msg);
    EXPECT_EQ(c->read_message(wait()), msg) << "message " << i << " decoded with a fresh window";
  }
}

TEST_F(WsConformance, ACompressedControlFrameIs1002_Rfc7692_6_1) {
  auto c = echo("permessage-deflate");
  ASSERT_TRUE(c->deflate());
  c->send_frame(kPing, "x", true, true, /*rsv1=*/true);
  EXPECT_EQ(close_code_after(*c), 1002);
}

TEST_F(WsConformance, AnUpgradeWithoutOrWithAnotherVersionIsRefused_4_2_2) {
  auto upgrade = [&](const std::string& version_header) {
    const int fd = connect_loopback(server_->port(8600));
    send_all(fd, "GET /ws/echo HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" + version_header + "\r\n");
    std::string rest;
    auto r = read_response(fd, rest);
    close(fd);
    return r;
  };
  EXPECT_EQ(upgrade("").status, 400);
  auto v8 = upgrade("Sec-WebSocket-Version: 8\r\n");
  EXPECT_EQ(v8.status, 426) << "Upgrade Required";
  EXPECT_EQ(v8.headers["sec-websocket-version"], "13") << "the version the server speaks";
}

}  // namespace
}  // namespace sextant::test
