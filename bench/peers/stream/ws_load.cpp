// A WebSocket load generator for the stream benchmarks (docs/performance.md "Issue 9"): many loopback
// connections on one epoll thread, frames written and parsed by hand (no compression), so the client
// costs the same whichever server it drives.
//
//   ws_load fanout PORT PATH CLIENTS TOPICS_PER_CLIENT TOPIC_COUNT SECONDS
//     each client subscribes ({"op":"subscribe","topics":[...]}) to TOPICS_PER_CLIENT of the topics
//     marketdata.bars.SIM0000 .. SIM<TOPIC_COUNT-1>; then counts messages for SECONDS and measures each
//     one's delivery latency (now - its "ts_ns", system clock). Prints deliveries/s and latency p50/p99.
//   ws_load echo PORT PATH CLIENTS SECONDS SERVER_PID
//     each client keeps one 512-byte text message in flight and sends the next when its echo arrives.
//     Prints echoes/s and echoes per CPU-second of SERVER_PID (its utime+stime from /proc).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace {

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

struct Conn {
  int fd = -1;
  std::string in, out;
  bool upgraded = false;
  std::uint64_t messages = 0;
};

std::string frame(std::string_view payload) {  // a masked text frame (the mask is fixed: it does not matter here)
  std::string f;
  f += char(0x81);
  const std::size_t n = payload.size();
  if (n < 126) f += char(0x80 | n);
  else if (n < 65536) {
    f += char(0x80 | 126);
    f += char(n >> 8);
    f += char(n & 0xff);
  } else {
    f += char(0x80 | 127);
    for (int i = 7; i >= 0; --i) f += char((std::uint64_t(n) >> (8 * i)) & 0xff);
  }
  const char key[4] = {0x12, 0x34, 0x56, 0x78};
  f.append(key, 4);
  for (std::size_t i = 0; i < n; ++i) f += char(payload[i] ^ key[i & 3]);
  return f;
}

int connect_to(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(std::uint16_t(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    perror("connect");
    std::exit(1);
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  fcntl(fd, F_SETFL, O_NONBLOCK);
  return fd;
}

double cpu_seconds(int pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string s((std::istreambuf_iterator<char>(f)), {});
  const auto close = s.rfind(')');
  if (close == std::string::npos) return 0;
  std::vector<std::string> fields;
  std::size_t pos = close + 2;
  while (pos < s.size()) {
    const auto sp = s.find(' ', pos);
    fields.push_back(s.substr(pos, sp - pos));
    if (sp == std::string::npos) break;
    pos = sp + 1;
  }
  // fields[0] is the state (field 3); utime is field 14, stime 15
  return (std::stod(fields[11]) + std::stod(fields[12])) / double(sysconf(_SC_CLK_TCK));
}

void flush(Conn& c) {
  while (!c.out.empty()) {
    const ssize_t n = ::send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
    if (n <= 0) return;
    c.out.erase(0, std::size_t(n));
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: ws_load fanout PORT PATH CLIENTS TOPICS_PER_CLIENT TOPIC_COUNT SECONDS\n"
                         "       ws_load echo PORT PATH CLIENTS SECONDS SERVER_PID\n");
    return 2;
  }
  const std::string mode = argv[1];
  const bool fanout = mode == "fanout";
  if ((fanout && argc != 8) || (!fanout && argc != 7)) return 2;
  const int port = std::atoi(argv[2]);
  const std::string path = argv[3];
  const int clients = std::atoi(argv[4]);
  const int per_client = fanout ? std::atoi(argv[5]) : 0;
  const int topic_count = fanout ? std::atoi(argv[6]) : 0;
  const double seconds = std::atof(argv[fanout ? 7 : 5]);
  const int server_pid = fanout ? 0 : std::atoi(argv[6]);

  const int ep = epoll_create1(0);
  std::vector<Conn> conns(static_cast<std::size_t>(clients));
  std::mt19937 rng(7);
  const std::string echo_payload(512, 'e');
  const std::string echo_frame = frame(echo_payload);
  for (int i = 0; i < clients; ++i) {
    Conn& c = conns[std::size_t(i)];
    c.fd = connect_to(port);
    c.out = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u32 = std::uint32_t(i);
    epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev);
    flush(c);
  }
  std::vector<double> latency_ms;
  latency_ms.reserve(1 << 22);
  std::uint64_t total = 0;
  bool measuring = false;
  auto start = std::chrono::steady_clock::now();
  const auto began = start;
  double cpu0 = 0;
  int upgraded = 0;
  std::vector<epoll_event> events(1024);
  char buf[1 << 16];
  for (;;) {
    const auto now = std::chrono::steady_clock::now();
    // A warm-up after the last upgrade (or 30 s, for a server too loaded to answer them all), then the
    // measured window.
    if (!measuring && ((upgraded == clients && now - start > std::chrono::milliseconds(fanout ? 2000 : 500)) ||
                       now - began > std::chrono::seconds(30))) {
      measuring = true;  // a warm-up after the last subscription, then the measured window
      start = now;
      total = 0;
      latency_ms.clear();
      if (!fanout) cpu0 = cpu_seconds(server_pid);
    }
    if (measuring && now - start > std::chrono::duration<double>(seconds)) break;
    const int n = epoll_wait(ep, events.data(), int(events.size()), 100);
    for (int k = 0; k < n; ++k) {
      Conn& c = conns[events[std::size_t(k)].data.u32];
      for (;;) {
        const ssize_t r = ::recv(c.fd, buf, sizeof buf, 0);
        if (r <= 0) break;
        c.in.append(buf, std::size_t(r));
        if (std::size_t(r) < sizeof buf) break;  // drained: epoll (level-triggered) reports what comes next; saves a recv per wake-up
      }
      if (!c.upgraded) {
        const auto end = c.in.find("\r\n\r\n");
        if (end == std::string::npos) continue;
        if (c.in.compare(0, 12, "HTTP/1.1 101") != 0) {
          std::fprintf(stderr, "upgrade refused: %s\n", c.in.substr(0, 80).c_str());
          return 1;
        }
        c.in.erase(0, end + 4);
        c.upgraded = true;
        ++upgraded;
        if (upgraded == clients) start = std::chrono::steady_clock::now();
        if (fanout) {
          std::string sub = R"({"op":"subscribe","topics":[)";
          for (int t = 0; t < per_client; ++t) {
            char name[64];
            std::snprintf(name, sizeof name, "%s\"marketdata.bars.SIM%04d\"", t ? "," : "", int(rng() % unsigned(topic_count)));
            sub += name;
          }
          c.out += frame(sub + "]}");
        } else {
          c.out += echo_frame;
        }
      }
      std::size_t pos = 0;
      for (;;) {  // whole frames
        if (c.in.size() - pos < 2) break;
        const auto b1 = std::uint8_t(c.in[pos + 1]);
        std::size_t hdr = 2;
        std::uint64_t len = b1 & 0x7f;
        if (len == 126) {
          if (c.in.size() - pos < 4) break;
          len = (std::uint64_t(std::uint8_t(c.in[pos + 2])) << 8) | std::uint8_t(c.in[pos + 3]);
          hdr = 4;
        } else if (len == 127) {
          if (c.in.size() - pos < 10) break;
          len = 0;
          for (int i = 0; i < 8; ++i) len = (len << 8) | std::uint8_t(c.in[pos + 2 + std::size_t(i)]);
          hdr = 10;
        }
        if (c.in.size() - pos < hdr + len) break;
        const std::string_view payload(c.in.data() + pos + hdr, len);
        pos += hdr + len;
        if (fanout) {
          const auto at = payload.find("\"ts_ns\":");
          if (at == std::string_view::npos || payload.find("\"seq\"") == std::string_view::npos) continue;  // acks
          if (measuring) {
            latency_ms.push_back(double(now_ns() - std::atoll(payload.data() + at + 8)) / 1e6);
            ++total;
          }
        } else {
          if (measuring) ++total;
          c.out += echo_frame;
        }
      }
      c.in.erase(0, pos);
      flush(c);
    }
  }
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (fanout) {
    std::sort(latency_ms.begin(), latency_ms.end());
    const auto pct = [&](double q) { return latency_ms.empty() ? 0.0 : latency_ms[std::size_t(q * double(latency_ms.size() - 1))]; };
    std::printf("{\"deliveries_per_s\":%.0f,\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f}\n", double(total) / elapsed, pct(0.5),
                pct(0.99), latency_ms.empty() ? 0.0 : latency_ms.back());
  } else {
    const double cpu = cpu_seconds(server_pid) - cpu0;
    std::printf("{\"echoes_per_s\":%.0f,\"server_cpu_s\":%.3f,\"echoes_per_cpu_s\":%.0f}\n", double(total) / elapsed, cpu,
                cpu > 0 ? double(total) / cpu : 0.0);
  }
  return 0;
}
