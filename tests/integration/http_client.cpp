#include "integration/http_client.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

namespace sextant::test {

namespace {
constexpr double kReadTimeoutSeconds = 30;

// recv, retried when a signal interrupts it (a socket with a receive timeout is not restarted).
ssize_t recv_some(int fd, char* out, std::size_t size) {
  for (;;) {
    const ssize_t n = ::recv(fd, out, size, 0);
    if (n >= 0 || errno != EINTR) return n;
  }
}
}  // namespace

int connect_loopback(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  // A read gives up after 30 s (longer under sanitizers): a server that never answers fails its test.
  const double wait_s = kReadTimeoutSeconds * time_scale();
  timeval tv{time_t(wait_s), 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

void send_all(int fd, const std::string& s) {
  std::size_t off = 0;
  while (off < s.size()) {
    ssize_t n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return;  // the server may close early (413); the response is still read
    off += std::size_t(n);
  }
}

// Reads one response from fd, using `buffer` for bytes past its end (keep-alive).
HttpResult read_response(int fd, std::string& buffer) {
  HttpResult r;
  char chunk[65536];
  std::size_t header_end;
  std::string head, interim;
  std::size_t line_end;
  for (;;) {  // interim 1xx responses (100 Continue) come first; they are noted, then skipped
    while ((header_end = buffer.find("\r\n\r\n")) == std::string::npos) {
      const ssize_t n = recv_some(fd, chunk, sizeof chunk);
      if (n == 0) throw std::runtime_error("the server closed the connection before a response header");
      if (n < 0)
        throw std::runtime_error(errno == EAGAIN || errno == EWOULDBLOCK
                                     ? fmt::format("no response header within {} s", kReadTimeoutSeconds * time_scale())
                                     : fmt::format("reading a response header: {}", std::strerror(errno)));
      buffer.append(chunk, std::size_t(n));
    }
    head = buffer.substr(0, header_end);
    buffer.erase(0, header_end + 4);
    line_end = head.find("\r\n");
    std::string status_line = head.substr(0, line_end);
    r.status = std::stoi(status_line.substr(status_line.find(' ') + 1, 3));
    if (r.status >= 200 || r.status == 101) break;  // 101 Switching Protocols is final
    interim += (interim.empty() ? "" : ",") + std::to_string(r.status);
  }
  if (!interim.empty()) r.headers["x-interim-status"] = interim;
  std::size_t pos = line_end + 2;
  while (pos < head.size() && line_end != std::string::npos) {
    std::size_t e = head.find("\r\n", pos);
    std::string line = head.substr(pos, e == std::string::npos ? std::string::npos : e - pos);
    auto colon = line.find(':');
    if (colon != std::string::npos) {
      std::string k = line.substr(0, colon);
      std::transform(k.begin(), k.end(), k.begin(), [](unsigned char c) { return std::tolower(c); });
      std::string v = line.substr(colon + 1);
      v.erase(0, v.find_first_not_of(' '));
      r.headers[k] = v;
    }
    if (e == std::string::npos) break;
    pos = e + 2;
  }
  std::size_t length = r.headers.count("content-length") ? std::stoul(r.headers["content-length"]) : 0;
  while (buffer.size() < length) {
    const ssize_t n = recv_some(fd, chunk, sizeof chunk);
    if (n <= 0) break;
    buffer.append(chunk, std::size_t(n));
  }
  r.body = buffer.substr(0, length);
  buffer.erase(0, std::min(length, buffer.size()));
  return r;
}
namespace {

std::string request_text(const std::string& method, const std::string& path, const std::string& body,
                         const std::map<std::string, std::string>& headers, bool keep_alive) {
  std::string s = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  s += keep_alive ? "Connection: keep-alive\r\n" : "Connection: close\r\n";
  for (const auto& [k, v] : headers) s += k + ": " + v + "\r\n";
  if (!body.empty() || method == "POST") {
    s += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  return s + "\r\n" + body;
}

bool port_free(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(std::uint16_t(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

HttpResult http(std::uint16_t port, const std::string& method, const std::string& path, const std::string& body,
                const std::map<std::string, std::string>& headers) {
  const auto t0 = std::chrono::steady_clock::now();
  int fd = connect_loopback(port);
  if (fd < 0) throw std::runtime_error("cannot connect to port " + std::to_string(port));
  send_all(fd, request_text(method, path, body, headers, false));
  std::string buffer;
  try {
    HttpResult r = read_response(fd, buffer);
    ::close(fd);
    return r;
  } catch (const std::runtime_error& e) {
    ::close(fd);  // a failure names the request and when it came: a flaky run says which one stalled
    const std::chrono::duration<double> waited = std::chrono::steady_clock::now() - t0;
    throw std::runtime_error(fmt::format("{} {} on port {}, after {:.1f} s: {}", method, path, port, waited.count(), e.what()));
  }
}

std::vector<HttpResult> http_keep_alive(std::uint16_t port, const std::vector<std::string>& paths) {
  int fd = connect_loopback(port);
  if (fd < 0) throw std::runtime_error("cannot connect to port " + std::to_string(port));
  std::vector<HttpResult> out;
  std::string buffer;
  for (const auto& p : paths) {
    send_all(fd, request_text("GET", p, "", {}, true));
    out.push_back(read_response(fd, buffer));
  }
  ::close(fd);
  return out;
}

double time_scale() {
  const char* s = std::getenv("SEXTANT_TEST_TIME_SCALE");
  const double v = s ? std::atof(s) : 1.0;
  return v >= 1.0 ? v : 1.0;
}

int free_port_offset() {
  static const int bases[] = {8100, 8200, 8400, 8500, 8600, 8900};
  std::mt19937 rng(std::random_device{}() ^ unsigned(::getpid()));
  for (int attempt = 0; attempt < 200; ++attempt) {
    // Ports stay below Linux's ephemeral range (32768+), where the tests' own client connections
    // take their local ports and could collide with a listener: 9100..32700.
    int k = 1000 + int(rng() % 22800);
    bool ok = true;
    for (int b : bases) ok = ok && port_free(b + k);
    if (ok) return k;
  }
  throw std::runtime_error("no free port offset found");
}

ServerProcess::ServerProcess(std::vector<std::string> extra_args, int offset) {
  // With an automatic offset, a start that loses a port race (another test's server or probe took one
  // of the six ports between the check and the bind) is retried on a fresh offset.
  for (int attempt = 0;; ++attempt) {
    offset_ = offset >= 0 ? offset : free_port_offset();
    if (start(extra_args)) return;
    if (offset >= 0 || attempt == 4) throw std::runtime_error("sextant serve exited during start");
  }
}

bool ServerProcess::start(const std::vector<std::string>& extra_args) {
  std::vector<std::string> args{SEXTANT_BINARY, "serve", "--port-offset", std::to_string(offset_), "--threads", "2"};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  // No simulator unless a test asks for one: bars arrive only when a test publishes them.
  if (std::find(extra_args.begin(), extra_args.end(), "--market-data") == extra_args.end()) {
    args.push_back("--market-data");
    args.push_back("none");
  }
  // The ML registry writes its directory: a private one unless the test names its own.
  if (std::find(extra_args.begin(), extra_args.end(), "--models-dir") == extra_args.end()) {
    if (models_dir_.empty()) {
      std::string tmpl = (std::filesystem::temp_directory_path() / "sextant-test-models-XXXXXX").string();
      if (::mkdtemp(tmpl.data())) models_dir_ = tmpl;
    }
    args.push_back("--models-dir");
    args.push_back(models_dir_);
  }
  // The child of a threaded process may only make async-signal-safe calls before exec (no malloc:
  // another thread may have held the allocator's lock at the fork), so argv is built first.
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_ = ::fork();
  if (pid_ == 0) {
    int devnull = ::open("/dev/null", O_WRONLY);
    ::dup2(devnull, STDOUT_FILENO);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  // Ready when the last engine started answers; give calibration time on a cold cache.
  std::uint16_t ready = 8900;  // all engines: portfolio starts last
  for (std::size_t i = 0; i + 1 < extra_args.size(); ++i)
    if (extra_args[i] == "--engines") {
      static const std::pair<const char*, std::uint16_t> bases[] = {{"analytics", 8100}, {"risk", 8200}, {"ml", 8400},
                                                                    {"features", 8500}, {"stream", 8600}, {"portfolio", 8900}};
      std::string last = extra_args[i + 1].substr(extra_args[i + 1].rfind(',') + 1);
      for (auto [name, base] : bases)
        if (last == name) ready = base;
    }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    int fd = connect_loopback(port(ready));
    if (fd >= 0) {
      ::close(fd);
      return true;
    }
    int status;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  stop();  // never leave a half-started server behind
  throw std::runtime_error("sextant serve did not start within 30 s");
}

int ServerProcess::stop() {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  for (int i = 0; i < 500; ++i) {
    int status;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
  return -1;
}

ServerProcess::~ServerProcess() {
  stop();
  if (!models_dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(models_dir_, ec);
  }
}

bool wait_for_bars(std::uint16_t port, const std::string& symbol, std::size_t bars, double seconds) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds * time_scale());
  while (std::chrono::steady_clock::now() < deadline) {
    const auto r = http(port, "GET", "/bars/" + symbol + "?limit=100000");
    std::size_t n = 0;
    for (std::size_t at = 0; (at = r.body.find("\"close\":", at)) != std::string::npos; ++at) ++n;
    if (n == bars) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

int run_sextant(const std::vector<std::string>& args, std::string* err, int timeout_s) {
  std::vector<std::string> all{SEXTANT_BINARY};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;  // before the fork, as in ServerProcess::start
  for (auto& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) return -1;  // no other test's child inherits the write end
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(pipefd[1], STDERR_FILENO);  // dup2 clears close-on-exec on the copy
    int devnull = ::open("/dev/null", O_WRONLY);
    ::dup2(devnull, STDOUT_FILENO);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(pipefd[1]);
  std::string out;
  char buf[4096];
  pollfd p{pipefd[0], POLLIN, 0};
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  while (std::chrono::steady_clock::now() < deadline) {
    if (::poll(&p, 1, 100) > 0) {
      ssize_t n = ::read(pipefd[0], buf, sizeof buf);
      if (n <= 0) break;
      out.append(buf, std::size_t(n));
    }
  }
  ::close(pipefd[0]);
  int status = 0;
  while (::waitpid(pid, &status, WNOHANG) != pid) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      if (err) *err = out;
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (err) *err = out;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace sextant::test
