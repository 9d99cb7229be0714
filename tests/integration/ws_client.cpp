#include "ws_client.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <random>
#include <stdexcept>

namespace sextant::test {

namespace {

std::mt19937& rng() {
  thread_local std::mt19937 g{std::random_device{}()};
  return g;
}

bool has_param(const std::string& ext, std::string_view name) { return ext.find(name) != std::string::npos; }

}  // namespace

std::unique_ptr<WsClient> WsClient::connect(std::uint16_t port, const WsConnectOptions& opt, HttpResult* refused) {
  const int fd = connect_loopback(port);
  if (fd < 0) throw std::runtime_error("cannot connect to port " + std::to_string(port));
  std::string req = "GET " + opt.path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";
  if (!opt.extensions.empty()) req += "Sec-WebSocket-Extensions: " + opt.extensions + "\r\n";
  for (const auto& [k, v] : opt.headers) req += k + ": " + v + "\r\n";
  send_all(fd, req + "\r\n");
  std::string rest;
  HttpResult r = read_response(fd, rest);
  if (r.status != 101) {
    ::close(fd);
    if (refused) *refused = r;
    return nullptr;
  }
  // RFC 6455 §4.2.2: the accept value for the key above (the RFC's own example).
  if (r.headers["sec-websocket-accept"] != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") {
    ::close(fd);
    throw std::runtime_error("wrong Sec-WebSocket-Accept: " + r.headers["sec-websocket-accept"]);
  }
  std::unique_ptr<WsClient> c(new WsClient());
  c->fd_ = fd;
  c->buf_ = std::move(rest);
  c->extensions_ = r.headers["sec-websocket-extensions"];
  c->deflate_ = has_param(c->extensions_, "permessage-deflate");
  if (c->deflate_) {
    c->server_no_context_ = has_param(c->extensions_, "server_no_context_takeover");
    c->client_no_context_ = has_param(c->extensions_, "client_no_context_takeover");
    inflateInit2(&c->inflater_, -15);
    deflateInit2(&c->deflater_, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
  }
  return c;
}

WsClient::~WsClient() {
  if (deflate_) {
    inflateEnd(&inflater_);
    deflateEnd(&deflater_);
  }
  if (fd_ >= 0) ::close(fd_);
}

void WsClient::send_frame(int opcode, std::string_view payload, bool fin, bool mask, bool rsv1) {
  last_frame_payload_ = payload.size();
  std::string f;
  f += char((fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | (opcode & 0x0f));
  const std::uint64_t n = payload.size();
  const char m = mask ? char(0x80) : 0;
  if (n < 126) {
    f += char(m | char(n));
  } else if (n < 65536) {
    f += char(m | 126);
    f += char(n >> 8);
    f += char(n & 0xff);
  } else {
    f += char(m | 127);
    for (int i = 7; i >= 0; --i) f += char((n >> (8 * i)) & 0xff);
  }
  std::string body(payload);
  if (mask) {
    char key[4];
    for (auto& k : key) k = char(rng()() & 0xff);
    f.append(key, 4);
    for (std::size_t i = 0; i < body.size(); ++i) body[i] ^= key[i & 3];
  }
  send_all(fd_, f + body);
}

std::string WsClient::deflate_message(std::string_view text) {
  // RFC 7692 §7.2.1: compress, flush to a byte boundary, and drop the trailing 00 00 ff ff.
  std::string out(deflateBound(&deflater_, text.size()) + 16, '\0');
  deflater_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  deflater_.avail_in = uInt(text.size());
  deflater_.next_out = reinterpret_cast<Bytef*>(out.data());
  deflater_.avail_out = uInt(out.size());
  ::deflate(&deflater_, Z_SYNC_FLUSH);
  out.resize(out.size() - deflater_.avail_out);
  if (out.size() >= 4 && out.compare(out.size() - 4, 4, std::string("\x00\x00\xff\xff", 4)) == 0) out.resize(out.size() - 4);
  if (client_no_context_) deflateReset(&deflater_);
  return out;
}

std::string WsClient::inflate_message(const std::string& data) {
  std::string in = data + std::string("\x00\x00\xff\xff", 4);
  std::string out;
  char chunk[16384];
  inflater_.next_in = reinterpret_cast<Bytef*>(in.data());
  inflater_.avail_in = uInt(in.size());
  do {
    inflater_.next_out = reinterpret_cast<Bytef*>(chunk);
    inflater_.avail_out = sizeof chunk;
    const int rc = ::inflate(&inflater_, Z_SYNC_FLUSH);
    if (rc != Z_OK && rc != Z_BUF_ERROR) throw std::runtime_error("inflate failed");
    out.append(chunk, sizeof chunk - inflater_.avail_out);
  } while (inflater_.avail_in > 0 || inflater_.avail_out == 0);
  if (server_no_context_) inflateReset(&inflater_);
  return out;
}

void WsClient::send_text(std::string_view text) {
  if (deflate_) return send_frame(kText, deflate_message(text), true, true, true);
  send_frame(kText, text);
}

bool WsClient::fill(double timeout_s) {
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, int(timeout_s * 1000)) <= 0) return false;
  char chunk[65536];
  const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
  if (n <= 0) {
    eof_ = true;
    return false;
  }
  buf_.append(chunk, std::size_t(n));
  return true;
}

std::optional<WsFrame> WsClient::read_frame(double timeout_s) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  auto left = [&] { return std::chrono::duration<double>(deadline - std::chrono::steady_clock::now()).count(); };
  for (;;) {
    if (buf_.size() >= 2) {
      const auto b0 = std::uint8_t(buf_[0]), b1 = std::uint8_t(buf_[1]);
      std::size_t pos = 2;
      std::uint64_t n = b1 & 0x7f;
      if (n == 126 && buf_.size() >= 4) {
        n = (std::uint64_t(std::uint8_t(buf_[2])) << 8) | std::uint8_t(buf_[3]);
        pos = 4;
      } else if (n == 127 && buf_.size() >= 10) {
        n = 0;
        for (int i = 0; i < 8; ++i) n = (n << 8) | std::uint8_t(buf_[2 + i]);
        pos = 10;
      } else if (n >= 126) {
        pos = 0;  // length not complete yet
      }
      if (b1 & 0x80) throw std::runtime_error("the server masked a frame (RFC 6455 §5.1 forbids it)");
      if (pos && buf_.size() >= pos + n) {
        WsFrame f{b0 & 0x0f, (b0 & 0x80) != 0, (b0 & 0x40) != 0, buf_.substr(pos, n)};
        buf_.erase(0, pos + n);
        return f;
      }
    }
    if (eof_ || left() <= 0 || !fill(left())) return std::nullopt;
  }
}

std::optional<std::string> WsClient::read_message(double timeout_s) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  std::string data;
  bool compressed = false, started = false;
  for (;;) {
    const double left = std::chrono::duration<double>(deadline - std::chrono::steady_clock::now()).count();
    auto f = read_frame(std::max(0.0, left));
    if (!f) return std::nullopt;
    if (f->opcode == kPing) {
      send_frame(kPong, f->payload);
      continue;
    }
    if (f->opcode == kPong) continue;
    if (f->opcode == kClose) {
      close_code_ = f->payload.size() >= 2 ? (std::uint8_t(f->payload[0]) << 8) | std::uint8_t(f->payload[1]) : 1005;
      return std::nullopt;
    }
    if (!started) {
      compressed = f->rsv1;
      started = true;
    }
    data += f->payload;
    if (f->fin) return compressed ? inflate_message(data) : data;
  }
}

std::optional<std::string> WsClient::read_until(std::string_view needle, double timeout_s) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  for (;;) {
    const double left = std::chrono::duration<double>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) return std::nullopt;
    auto m = read_message(left);
    if (!m) return std::nullopt;
    if (m->find(needle) != std::string::npos) return m;
  }
}

}  // namespace sextant::test
