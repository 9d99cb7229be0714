#pragma once
// A WebSocket client for tests, written from RFC 6455 and RFC 7692 over a plain loopback socket, so a
// test can send any frame, well-formed or not (bad masking, reserved bits, split control frames), and
// see exactly what the server answers. No Beast here: the server's protocol checks are what is tested.
#include <zlib.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "http_client.hpp"

namespace sextant::test {

enum Opcode : int { kContinuation = 0, kText = 1, kBinary = 2, kClose = 8, kPing = 9, kPong = 10 };

struct WsFrame {
  int opcode = 0;
  bool fin = true, rsv1 = false;
  std::string payload;
};

struct WsConnectOptions {
  std::string path = "/ws";
  std::map<std::string, std::string> headers;
  std::string extensions;  //!< Sec-WebSocket-Extensions to offer ("permessage-deflate; ...")
};

class WsClient {
 public:
  //! Connects and upgrades. On a refused upgrade, returns null and fills `refused` with the response.
  static std::unique_ptr<WsClient> connect(std::uint16_t port, const WsConnectOptions& opt = {}, HttpResult* refused = nullptr);
  ~WsClient();

  //! One raw frame. `mask` false sends it unmasked (a protocol error from a client).
  void send_frame(int opcode, std::string_view payload, bool fin = true, bool mask = true, bool rsv1 = false);
  //! A whole text message; compressed when permessage-deflate was negotiated.
  void send_text(std::string_view text);
  //! One frame as it arrives, or nullopt after timeout_s (or when the socket closed: see eof()).
  std::optional<WsFrame> read_frame(double timeout_s);
  //! The next data message, fragments joined and inflated; pings are answered, a close frame sets
  //! close_code() and returns nullopt.
  std::optional<std::string> read_message(double timeout_s);
  //! Reads messages until one contains `needle`; nullopt on timeout or close.
  std::optional<std::string> read_until(std::string_view needle, double timeout_s);

  bool deflate() const { return deflate_; }
  const std::string& extensions() const { return extensions_; }
  int close_code() const { return close_code_; }
  bool eof() const { return eof_; }
  int fd() const { return fd_; }
  //! The payload size of the last frame sent (after compression).
  std::size_t last_frame_payload() const { return last_frame_payload_; }

 private:
  WsClient() = default;
  bool fill(double timeout_s);  //!< reads more bytes into buf_; false on timeout or EOF
  std::string inflate_message(const std::string& data);
  std::string deflate_message(std::string_view text);

  int fd_ = -1;
  std::string buf_;
  std::string extensions_;
  bool deflate_ = false, server_no_context_ = false, client_no_context_ = false, eof_ = false;
  int close_code_ = 0;
  std::size_t last_frame_payload_ = 0;
  z_stream inflater_{}, deflater_{};
};

}  // namespace sextant::test
