#pragma once
// Plain HTTP request/response structs: what engine adapters (routes.cpp) see. No Beast here.
#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sextant::net {

using Clock = std::chrono::steady_clock;

struct Request {
  std::string method;  //!< "GET", "POST", ...
  std::string path;    //!< without the query string
  std::string query;   //!< after '?', undecoded
  std::string body;    //!< capacity includes simdjson's padding, so it parses in place
  std::vector<std::pair<std::string, std::string>> params;  //!< {name} segments of the matched route
  Clock::time_point deadline = Clock::time_point::max();

  std::string_view param(std::string_view name) const;
  //! The query string's name=value pairs, percent-decoded ('+' is a space), in order. Throws
  //! Error(invalid_argument, "query") on a malformed escape.
  std::vector<std::pair<std::string, std::string>> query_params() const;
  //! Throws Error(timeout) once the per-request deadline has passed; long computations call it.
  void check_deadline() const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  static Response json(std::string body, int status = 200) { return {status, "application/json", std::move(body), {}}; }
  static Response text(std::string body, std::string type = "text/plain; charset=utf-8") {
    return {200, std::move(type), std::move(body), {}};
  }
};

using Handler = std::function<Response(const Request&)>;

}  // namespace sextant::net
