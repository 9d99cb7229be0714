#include "sextant/net/route_table.hpp"

#include <algorithm>

#include "sextant/core/error.hpp"

namespace sextant::net {

std::string_view Request::param(std::string_view name) const {
  for (const auto& [k, v] : params)
    if (k == name) return v;
  return {};
}

namespace {
int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
std::string percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] != '%') {
      out += s[i];
    } else {
      const int hi = i + 2 < s.size() ? hex_digit(s[i + 1]) : -1;
      const int lo = i + 2 < s.size() ? hex_digit(s[i + 2]) : -1;
      if (hi < 0 || lo < 0) fail(ErrorCode::invalid_argument, "query", "a '%' escape must be followed by two hex digits");
      out += char(hi * 16 + lo);
      i += 2;
    }
  }
  return out;
}
}  // namespace

std::vector<std::pair<std::string, std::string>> Request::query_params() const {
  std::vector<std::pair<std::string, std::string>> out;
  std::string_view q = query;
  while (!q.empty()) {
    const std::size_t amp = q.find('&');
    const std::string_view part = q.substr(0, amp);
    if (!part.empty()) {
      const std::size_t eq = part.find('=');
      out.emplace_back(percent_decode(part.substr(0, eq)), eq == part.npos ? std::string() : percent_decode(part.substr(eq + 1)));
    }
    if (amp == q.npos) break;
    q.remove_prefix(amp + 1);
  }
  return out;
}

void Request::check_deadline() const {
  if (Clock::now() > deadline)
    fail(ErrorCode::timeout, "", "the request passed its deadline (request_timeout_ms) and was abandoned");
}

namespace {

std::vector<std::string_view> segments(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    std::size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    out.push_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

bool is_placeholder(std::string_view s) { return s.size() > 2 && s.front() == '{' && s.back() == '}'; }

}  // namespace

void RouteTable::add_websocket(std::string path, WsEndpoint endpoint) {
  websockets_.emplace_back(std::move(path), std::make_unique<WsEndpoint>(std::move(endpoint)));
}

const WsEndpoint* RouteTable::websocket(std::string_view path) const {
  for (const auto& [p, ep] : websockets_)
    if (p == path) return ep.get();
  return nullptr;
}

void RouteTable::add(std::string method, std::string pattern, Handler handler, Lane lane) {
  auto r = std::make_unique<Route>(Route{std::move(method), std::move(pattern), std::move(handler),
                                         std::make_shared<RouteStats>(), lane});
  const Route* p = r.get();
  if (pattern_has_placeholder(p->pattern)) patterns_.push_back(p);
  else exact_[p->pattern].push_back(p);
  routes_.push_back(std::move(r));
}

bool RouteTable::pattern_has_placeholder(std::string_view pattern) { return pattern.find('{') != std::string_view::npos; }

Match RouteTable::match(std::string_view method, std::string_view path,
                        std::vector<std::pair<std::string, std::string>>& params) const {
  Match m;
  std::string allow;
  auto consider = [&](const Route* r) {
    if (r->method == method) {
      m.route = r;
      return true;
    }
    if (allow.find(r->method) == std::string::npos) allow += (allow.empty() ? "" : ", ") + r->method;
    return false;
  };
  if (auto it = exact_.find(std::string(path)); it != exact_.end())
    for (const Route* r : it->second)
      if (consider(r)) return m;
  if (!patterns_.empty()) {
    auto segs = segments(path);
    for (const Route* r : patterns_) {
      auto pat = segments(r->pattern);
      if (pat.size() != segs.size()) continue;
      std::vector<std::pair<std::string, std::string>> found;
      bool ok = true;
      for (std::size_t i = 0; i < pat.size() && ok; ++i) {
        if (is_placeholder(pat[i])) found.emplace_back(pat[i].substr(1, pat[i].size() - 2), segs[i]);
        else ok = pat[i] == segs[i];
      }
      if (!ok) continue;
      if (consider(r)) {
        params = std::move(found);
        return m;
      }
    }
  }
  m.status = allow.empty() ? 404 : 405;
  m.allow = allow;
  return m;
}

}  // namespace sextant::net
