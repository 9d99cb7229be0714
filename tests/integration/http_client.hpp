#pragma once
// A minimal blocking HTTP/1.1 client over loopback TCP, and a harness that runs `sextant serve`
// as a child process on free ports. Tests only; no Beast here.
#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace sextant::test {

struct HttpResult {
  int status = 0;
  std::map<std::string, std::string> headers;  //!< lower-case names; x-interim-status lists 1xx responses seen
  std::string body;
};

//! A TCP connection to 127.0.0.1:port (a file descriptor), or -1.
int connect_loopback(std::uint16_t port);
void send_all(int fd, const std::string& s);
//! Reads one response from fd; `buffer` keeps bytes read past it.
HttpResult read_response(int fd, std::string& buffer);

//! One request on a fresh connection (Connection: close).
HttpResult http(std::uint16_t port, const std::string& method, const std::string& path, const std::string& body = "",
                const std::map<std::string, std::string>& headers = {});

//! Several requests on one keep-alive connection, in order.
std::vector<HttpResult> http_keep_alive(std::uint16_t port, const std::vector<std::string>& paths);

//! A port offset K such that 8100+K ... 8900+K are all free on 127.0.0.1 right now.
int free_port_offset();

//! How much slower than a release build this one runs: $SEXTANT_TEST_TIME_SCALE (scripts/test sets it for
//! the sanitizer builds), else 1. Loose time bounds of the integration tests scale with it.
double time_scale();

class ServerProcess {
 public:
  //! offset < 0: a free offset, and a fresh one if the start loses a port race.
  explicit ServerProcess(std::vector<std::string> extra_args = {}, int offset = -1);
  ~ServerProcess();
  std::uint16_t port(std::uint16_t base) const { return std::uint16_t(base + offset_); }
  int offset() const { return offset_; }
  pid_t pid() const { return pid_; }
  //! Sends SIGTERM and returns the exit status (-1 when it had to be killed).
  int stop();

 private:
  bool start(const std::vector<std::string>& extra_args);  //!< false when the server exited while starting
  pid_t pid_ = -1;
  int offset_;
  std::string models_dir_;  //!< a private --models-dir, removed with the server
};

//! Waits (up to `seconds` × time_scale()) until the stream engine on `port` reports exactly `bars` bars of
//! `symbol` in the market data store (GET /bars/{symbol}); false on timeout.
bool wait_for_bars(std::uint16_t port, const std::string& symbol, std::size_t bars, double seconds = 20);

//! Runs the sextant binary to completion; returns its exit code and what it wrote to stderr.
int run_sextant(const std::vector<std::string>& args, std::string* err, int timeout_s = 20);

}  // namespace sextant::test
