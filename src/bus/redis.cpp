// The Redis bus (bus/redis.hpp) on hiredis: three threads, each with its own blocking connection.
//   writer     reads the replies to what publish() sent itself, and sends what it queued: PUBLISH, and
//              XADD for priority 3
//   subscriber PSUBSCRIBEs the local patterns (of subscriptions taking priorities below 3) and hands
//              pub/sub messages to the local queues
//   consumer   reads sextant:priority through the consumer group, runs the handlers, acks; claims stale entries
// Each reconnects on its own with backoff and jitter. Local delivery reuses InProcessBus.
#include "sextant/bus/redis.hpp"

#include <hiredis/hiredis.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdarg>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <unordered_set>

#include <fmt/format.h>

#include "sextant/bus/codec.hpp"
#include "sextant/core/error.hpp"

namespace sextant::bus {

RedisOptions parse_redis_url(std::string_view url, std::string_view field) {
  const std::string f(field);
  if (!url.starts_with("redis://")) fail(ErrorCode::config, f, "'{}' is not a redis:// URL", url);
  std::string_view rest = url.substr(8);
  RedisOptions o;
  if (auto at = rest.rfind('@'); at != std::string_view::npos) {
    std::string_view auth = rest.substr(0, at);
    if (auto colon = auth.find(':'); colon != std::string_view::npos) auth = auth.substr(colon + 1);  // user:password
    o.password = std::string(auth);
    rest = rest.substr(at + 1);
  }
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    const std::string db(rest.substr(slash + 1));
    char* end = nullptr;
    const long n = std::strtol(db.c_str(), &end, 10);
    if (db.empty() || *end || n < 0 || n > 1000) fail(ErrorCode::config, f, "the database in '{}' must be a number", url);
    o.db = int(n);
    rest = rest.substr(0, slash);
  }
  if (auto colon = rest.rfind(':'); colon != std::string_view::npos) {
    const std::string port(rest.substr(colon + 1));
    char* end = nullptr;
    const long n = std::strtol(port.c_str(), &end, 10);
    if (port.empty() || *end || n < 1 || n > 65535) fail(ErrorCode::config, f, "the port in '{}' must be 1..65535", url);
    o.port = int(n);
    rest = rest.substr(0, colon);
  }
  if (rest.empty()) fail(ErrorCode::config, f, "'{}' names no host", url);
  o.host = std::string(rest);
  return o;
}

namespace {

using ReplyPtr = std::unique_ptr<redisReply, void (*)(void*)>;
ReplyPtr wrap(void* r) { return ReplyPtr(static_cast<redisReply*>(r), freeReplyObject); }
using ContextPtr = std::unique_ptr<redisContext, void (*)(redisContext*)>;

std::string_view str(const redisReply* r) { return r && r->str ? std::string_view(r->str, r->len) : std::string_view(); }

// A Redis glob for a bus pattern: topics may hold glob specials (a symbol like "BRK[B]"), so they are escaped.
std::string glob_of(std::string_view pattern) {
  if (pattern == "*") return "*";
  std::string g;
  const bool prefix = pattern.ends_with(".*");
  const std::string_view base = prefix ? pattern.substr(0, pattern.size() - 1) : pattern;  // keeps the dot
  for (char c : base) {
    if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') g += '\\';
    g += c;
  }
  if (prefix) g += '*';
  return g;
}

}  // namespace

struct RedisBus::State {
  explicit State(RedisOptions o) : opt(std::move(o)) {
    if (opt.consumer.empty()) {
      char host[256] = {};
      gethostname(host, sizeof host - 1);
      opt.consumer = fmt::format("{}-{}-{}", opt.group, host, getpid());
    }
  }
  ~State() {
    if (wake_fd >= 0) ::close(wake_fd);
  }
  RedisOptions opt;
  InProcessBus local;  // the subscriptions' bounded queues

  mutable std::mutex mu;
  std::condition_variable cv;
  bool stop = false;
  std::deque<std::pair<Envelope, std::string>> outbox;  // envelope + its wire form, not yet sent
  struct Sent {
    Envelope e;
    std::string wire;
    std::size_t commands = 0;  // replies that confirm it
  };
  std::deque<Sent> sent;  // sent, in order, not yet confirmed by Redis
  std::string pending;    // formatted commands the socket has not taken yet
  int pub_fd = -1;        // the writer's connection while it is up
  int wake_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);  // publish() and stop wake the writer's poll
  const std::string stream_name{kPriorityStream};  // XADD's arguments, formatted once
  const std::string stream_maxlen = std::to_string(opt.stream_maxlen);
  struct Subscribed {
    std::string pattern;
    bool pubsub = true;  // takes priorities below 3, so its pattern is PSUBSCRIBEd
  };
  std::map<std::uint64_t, Subscribed> subscriptions;
  std::vector<std::string> patterns;  // distinct PSUBSCRIBEd patterns, sorted
  bool patterns_changed = false;

  // Recomputes `patterns` after a subscription came or went; mu held.
  void update_patterns() {
    std::vector<std::string> want;
    for (const auto& [id, sub] : subscriptions)
      if (sub.pubsub) want.push_back(sub.pattern);
    std::sort(want.begin(), want.end());
    want.erase(std::unique(want.begin(), want.end()), want.end());
    if (want == patterns) return;
    if (!std::includes(patterns.begin(), patterns.end(), want.begin(), want.end())) sub_ready = false;  // until Redis confirms
    patterns = std::move(want);
    patterns_changed = true;
  }
  RedisCounters c;
  std::atomic<bool> sub_ready{false}, pub_ready{false}, group_ready{false};
  std::mt19937 rng{std::random_device{}()};

  ContextPtr connect() {
    timeval tv{1, 0};
    ContextPtr ctx(redisConnectWithTimeout(opt.host.c_str(), opt.port, tv), redisFree);
    if (!ctx || ctx->err) return ContextPtr(nullptr, redisFree);
    timeval io{5, 0};
    redisSetTimeout(ctx.get(), io);
    if (!opt.password.empty()) {
      auto r = wrap(redisCommand(ctx.get(), "AUTH %s", opt.password.c_str()));
      if (!r || r->type == REDIS_REPLY_ERROR) return ContextPtr(nullptr, redisFree);
    }
    if (opt.db != 0) {
      auto r = wrap(redisCommand(ctx.get(), "SELECT %d", opt.db));
      if (!r || r->type == REDIS_REPLY_ERROR) return ContextPtr(nullptr, redisFree);
    }
    return ctx;
  }

  // Sleeps the backoff for the given attempt (100 ms doubling to 5 s, ±25%); false when stopping.
  bool backoff(int attempt) {
    std::unique_lock lock(mu);
    const double base = std::min(5000.0, 100.0 * double(1 << std::min(attempt, 6)));
    std::uniform_real_distribution<double> jitter(0.75, 1.25);
    const auto wait = std::chrono::milliseconds(std::int64_t(base * jitter(rng)));
    ++c.reconnects;
    return !cv.wait_for(lock, wait, [this] { return stop; });
  }

  bool stopping() {
    std::lock_guard lock(mu);
    return stop;
  }

  // Delivers one envelope to the local subscriptions.
  void deliver(Envelope e) { local.publish(std::move(e)); }

  void writer();
  std::size_t format(const Envelope& e, const std::string& wire);
  bool send_pending();
  bool flush_outbox();
  void wake_writer();
  void subscriber();
  void consumer();
  bool consume_batch(redisContext* ctx, redisReply* entries, std::unordered_set<std::string>& seen, std::deque<std::string>& seen_order);
  //! Reads the replies of the acks consume_batch pipelined (the consumer thread's connection).
  bool read_acks(redisContext* ctx);
  //! A command on the consumer's connection: it goes out with the pipelined acks, whose replies come first.
  ReplyPtr consumer_command(redisContext* ctx, const char* format, ...);
  int acks_pending = 0;  // consumer thread only
};

// Formats one outbound message's commands onto `pending`: PUBLISH, and XADD for priority 3. mu held.
std::size_t RedisBus::State::format(const Envelope& e, const std::string& wire) {
  const auto append = [this](int len, char* cmd) {
    if (len > 0) pending.append(cmd, std::size_t(len));
    redisFreeCommand(cmd);
  };
  char* cmd = nullptr;
  int len = redisFormatCommand(&cmd, "PUBLISH %b %b", e.topic.data(), e.topic.size(), wire.data(), wire.size());
  append(len, cmd);
  if (e.priority != Priority::high) return 1;
  cmd = nullptr;
  len = redisFormatCommand(&cmd, "XADD %s MAXLEN ~ %s * topic %b envelope %b", stream_name.c_str(), stream_maxlen.c_str(),
                           e.topic.data(), e.topic.size(), wire.data(), wire.size());
  append(len, cmd);
  return 2;
}

// Sends what it can of `pending` without blocking; false when the connection failed. mu held.
bool RedisBus::State::send_pending() {
  while (!pending.empty()) {
    const ssize_t n = ::send(pub_fd, pending.data(), pending.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0) pending.erase(0, std::size_t(n));
    else if (n < 0 && errno == EINTR) continue;
    else return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);  // full: the writer polls for room
  }
  return true;
}

// Moves the outbox onto the connection, in order; false when the connection failed. mu held.
bool RedisBus::State::flush_outbox() {
  while (!outbox.empty()) {
    auto& [e, wire] = outbox.front();
    const std::size_t commands = format(e, wire);
    sent.push_back({std::move(e), std::move(wire), commands});
    outbox.pop_front();
  }
  return send_pending();
}

void RedisBus::State::wake_writer() {
  const std::uint64_t one = 1;
  [[maybe_unused]] const auto n = ::write(wake_fd, &one, sizeof one);
}

// The publisher's connection. publish() sends on it itself when nothing is queued before it (no hand-off
// on the latency path); this thread sends what publish() queued (outbox, or bytes a full socket did not
// take), reads Redis's replies, and confirms messages in order. On a failure everything unconfirmed goes
// back to the front of the outbox (a message may then reach Redis twice; the stream consumers drop
// repeated envelope ids), and it reconnects.
void RedisBus::State::writer() {
  int attempt = 0;
  while (!stopping()) {
    ContextPtr ctx = connect();
    if (!ctx) {
      pub_ready = false;
      if (!backoff(attempt++)) return;
      continue;
    }
    attempt = 0;
    bool broken = false;
    {
      std::lock_guard lock(mu);
      pub_fd = ctx->fd;
      pending.clear();
      broken = !flush_outbox();
      pub_ready = !broken;
    }
    std::size_t replies = 0;  // read for sent.front()
    std::chrono::steady_clock::time_point stop_by{};
    while (!broken) {
      bool want_out = false;
      {
        std::lock_guard lock(mu);
        if (stop) {
          if (outbox.empty() && pending.empty() && sent.empty()) return;  // stopping with nothing left
          if (stop_by == std::chrono::steady_clock::time_point{}) stop_by = std::chrono::steady_clock::now() + std::chrono::seconds(5);
          else if (std::chrono::steady_clock::now() > stop_by) return;  // Redis stopped answering
        }
        want_out = !pending.empty();
      }
      pollfd p[2] = {{ctx->fd, short(POLLIN | (want_out ? POLLOUT : 0)), 0}, {wake_fd, POLLIN, 0}};
      if (::poll(p, 2, 100) < 0 && errno != EINTR) break;
      if (p[1].revents & POLLIN) {
        std::uint64_t v;
        [[maybe_unused]] const auto n = ::read(wake_fd, &v, sizeof v);
      }
      {
        std::lock_guard lock(mu);
        if (!flush_outbox()) break;
      }
      if (!(p[0].revents & (POLLIN | POLLERR | POLLHUP))) continue;
      if (redisBufferRead(ctx.get()) != REDIS_OK) break;
      std::size_t got = 0;
      for (void* raw = nullptr;; ++got) {
        if (redisGetReplyFromReader(ctx.get(), &raw) != REDIS_OK) broken = true;
        if (!raw) break;
        freeReplyObject(raw);
        raw = nullptr;
      }
      std::lock_guard lock(mu);
      for (replies += got; !sent.empty() && replies >= sent.front().commands; sent.pop_front()) {
        replies -= sent.front().commands;
        ++c.published;
      }
      if (sent.empty()) cv.notify_all();  // drain() waits for this
    }
    std::lock_guard lock(mu);
    pub_ready = false;
    pub_fd = -1;
    pending.clear();
    for (auto it = sent.rbegin(); it != sent.rend(); ++it) outbox.emplace_front(std::move(it->e), std::move(it->wire));
    sent.clear();
    while (outbox.size() > opt.buffer_limit) {
      outbox.pop_front();
      ++c.dropped;
    }
    cv.notify_all();
  }
}

void RedisBus::State::subscriber() {
  int attempt = 0;
  while (!stopping()) {
    ContextPtr ctx = connect();
    if (!ctx) {
      sub_ready = false;
      if (!backoff(attempt++)) return;
      continue;
    }
    attempt = 0;
    std::vector<std::string> held;  // patterns subscribed on this connection
    std::size_t requested = 0, confirmed = 0;  // PSUBSCRIBEs sent, and confirmed by Redis
    bool broken = false;
    while (!broken && !stopping()) {
      // Apply pattern changes (the connection is in subscribe mode: replies come back as messages).
      std::vector<std::string> want;
      {
        std::lock_guard lock(mu);
        want = patterns;
        patterns_changed = false;
      }
      for (const auto& p : want)
        if (!std::binary_search(held.begin(), held.end(), p)) {
          redisAppendCommand(ctx.get(), "PSUBSCRIBE %s", glob_of(p).c_str());
          ++requested;
        }
      for (const auto& p : held)
        if (!std::binary_search(want.begin(), want.end(), p)) redisAppendCommand(ctx.get(), "PUNSUBSCRIBE %s", glob_of(p).c_str());
      held = want;
      int done = 0;
      while (redisBufferWrite(ctx.get(), &done) == REDIS_OK && !done) {}
      if (ctx->err) break;
      sub_ready = confirmed >= requested;  // no patterns: ready at once (a publisher-only process)
      // Read until patterns change: poll with a short timeout, so changes and stop are seen.
      while (!broken) {
        {
          std::lock_guard lock(mu);
          if (stop || patterns_changed) break;
        }
        void* raw = nullptr;
        if (redisGetReplyFromReader(ctx.get(), &raw) != REDIS_OK) {
          broken = true;
          break;
        }
        if (!raw) {
          pollfd p{ctx->fd, POLLIN, 0};
          const int n = ::poll(&p, 1, 100);
          if (n < 0 || (n > 0 && redisBufferRead(ctx.get()) != REDIS_OK)) broken = true;
          continue;
        }
        auto r = wrap(raw);
        if (r->type == REDIS_REPLY_ARRAY && r->elements == 3 && str(r->element[0]) == "psubscribe") {
          // Ready once Redis has confirmed every pattern: a message published after that reaches us.
          sub_ready = ++confirmed >= requested;
          continue;
        }
        if (r->type != REDIS_REPLY_ARRAY || r->elements != 4 || str(r->element[0]) != "pmessage") continue;
        const std::string_view pattern = str(r->element[1]), topic = str(r->element[2]), body = str(r->element[3]);
        // A topic matching several of our patterns arrives once per pattern: keep the first pattern's copy.
        std::string first;
        {
          std::lock_guard lock(mu);
          for (const auto& p : held)
            if (topic_matches(p, topic)) {
              first = glob_of(p);
              break;
            }
          ++c.received;
        }
        if (first != pattern) continue;
        try {
          Envelope e = decode_envelope(topic, body);
          if (e.priority == Priority::high) continue;  // delivered from the stream, with acks
          deliver(std::move(e));
        } catch (const std::exception&) {
          std::lock_guard lock(mu);
          ++c.malformed;
        }
      }
    }
    sub_ready = false;
    if (!stopping() && broken && !backoff(attempt++)) return;
  }
}

bool RedisBus::State::consume_batch(redisContext* ctx, redisReply* entries, std::unordered_set<std::string>& seen,
                                    std::deque<std::string>& seen_order) {
  if (!entries || entries->type != REDIS_REPLY_ARRAY) return true;
  std::vector<std::string> ids;
  std::size_t delivered = 0;
  for (std::size_t i = 0; i < entries->elements; ++i) {
    const redisReply* entry = entries->element[i];
    if (entry->type != REDIS_REPLY_ARRAY || entry->elements != 2) continue;
    ids.emplace_back(str(entry->element[0]));
    const redisReply* fields = entry->element[1];
    if (!fields || fields->type != REDIS_REPLY_ARRAY) continue;  // deleted while pending
    std::string_view topic, wire;
    for (std::size_t k = 0; k + 1 < fields->elements; k += 2) {
      if (str(fields->element[k]) == "topic") topic = str(fields->element[k + 1]);
      else if (str(fields->element[k]) == "envelope") wire = str(fields->element[k + 1]);
    }
    try {
      Envelope e = decode_envelope(topic, wire);
      if (!e.id.empty()) {
        if (seen.count(e.id)) continue;  // the same envelope twice (a publish retried across an outage)
        seen.insert(e.id);
        seen_order.push_back(e.id);
        if (seen_order.size() > 100000) {
          seen.erase(seen_order.front());
          seen_order.pop_front();
        }
      }
      local.deliver_now(e);  // on this thread: the ack below follows the handlers without a hand-off
      ++delivered;
    } catch (const std::exception&) {
      std::lock_guard lock(mu);
      ++c.malformed;
    }
  }
  if (ids.empty()) return true;
  std::vector<const char*> argv{"XACK", kPriorityStream.data(), opt.group.c_str()};
  std::vector<std::size_t> lens{4, kPriorityStream.size(), opt.group.size()};
  for (const auto& id : ids) {
    argv.push_back(id.c_str());
    lens.push_back(id.size());
  }
  // Pipelined: the ack goes out in one write with the consumer's next command, which follows at once
  // (or, when stopping, on its own: consumer()), and its reply is read before that command's
  // (read_acks), so a batch costs one write and one round trip to Redis.
  if (redisAppendCommandArgv(ctx, int(argv.size()), argv.data(), lens.data()) != REDIS_OK) return false;
  ++acks_pending;
  std::lock_guard lock(mu);
  c.stream_delivered += delivered;
  return true;
}

ReplyPtr RedisBus::State::consumer_command(redisContext* ctx, const char* format, ...) {
  va_list ap;
  va_start(ap, format);
  const int rc = redisvAppendCommand(ctx, format, ap);
  va_end(ap);
  void* raw = nullptr;
  if (rc == REDIS_OK && read_acks(ctx)) redisGetReply(ctx, &raw);
  return wrap(raw);  // null when the connection failed
}

bool RedisBus::State::read_acks(redisContext* ctx) {
  for (; acks_pending > 0; --acks_pending) {
    void* raw = nullptr;
    if (redisGetReply(ctx, &raw) != REDIS_OK) return false;
    auto r = wrap(raw);
    std::lock_guard lock(mu);
    if (r && r->type == REDIS_REPLY_INTEGER) c.stream_acked += std::uint64_t(r->integer);
  }
  return true;
}

void RedisBus::State::consumer() {
  int attempt = 0;
  std::unordered_set<std::string> seen;
  std::deque<std::string> seen_order;
  while (!stopping()) {
    {  // no subscriptions, no consumer: a publisher-only process leaves the group alone
      std::unique_lock lock(mu);
      cv.wait(lock, [this] { return stop || !subscriptions.empty(); });
      if (stop) return;
    }
    ContextPtr ctx = connect();
    if (!ctx) {
      if (!backoff(attempt++)) return;
      continue;
    }
    attempt = 0;
    acks_pending = 0;  // a new connection: acks lost with the old one leave their entries pending, read again below
    // The group starts at the stream's end the first time; afterwards it remembers where it was.
    {
      auto g = wrap(redisCommand(ctx.get(), "XGROUP CREATE %s %s $ MKSTREAM", kPriorityStream.data(), opt.group.c_str()));
      // Created now, or already there (BUSYGROUP): from here a priority message is this group's to read.
      group_ready = g && (g->type != REDIS_REPLY_ERROR || str(g.get()).starts_with("BUSYGROUP"));
    }
    bool broken = false;
    // First what this consumer was given and did not ack (it restarted), then new entries.
    std::string from = "0";
    auto last_claim = std::chrono::steady_clock::now();
    while (!broken && !stopping()) {
      auto r = consumer_command(ctx.get(), "XREADGROUP GROUP %s %s COUNT 256 BLOCK 500 STREAMS %s %s", opt.group.c_str(),
                                opt.consumer.c_str(), kPriorityStream.data(), from.c_str());
      if (!r) {
        broken = true;
        break;
      }
      if (r->type == REDIS_REPLY_ERROR) {  // NOGROUP: Redis restarted without its data; create again
        consumer_command(ctx.get(), "XGROUP CREATE %s %s $ MKSTREAM", kPriorityStream.data(), opt.group.c_str());
        continue;
      }
      bool got = false;
      if (r->type == REDIS_REPLY_ARRAY)
        for (std::size_t s = 0; s < r->elements; ++s) {
          const redisReply* stream = r->element[s];
          if (stream->type == REDIS_REPLY_ARRAY && stream->elements == 2) {
            got = stream->element[1]->type == REDIS_REPLY_ARRAY && stream->element[1]->elements > 0;
            if (!consume_batch(ctx.get(), stream->element[1], seen, seen_order)) broken = true;
          }
        }
      if (from == "0" && !got) from = ">";  // our own pending entries are done
      if (std::chrono::steady_clock::now() - last_claim > std::chrono::milliseconds(opt.claim_interval_ms)) {
        last_claim = std::chrono::steady_clock::now();
        const std::string idle = std::to_string(opt.claim_idle_ms);
        auto cl = consumer_command(ctx.get(), "XAUTOCLAIM %s %s %s %s 0-0 COUNT 256", kPriorityStream.data(), opt.group.c_str(),
                                   opt.consumer.c_str(), idle.c_str());
        if (!cl) broken = true;
        else if (cl->type == REDIS_REPLY_ARRAY && cl->elements >= 2) {
          const std::size_t n = cl->element[1]->type == REDIS_REPLY_ARRAY ? cl->element[1]->elements : 0;
          if (!consume_batch(ctx.get(), cl->element[1], seen, seen_order)) broken = true;
          std::lock_guard lock(mu);
          c.claimed += n;
        }
      }
    }
    if (!broken) {  // stopping: acks appended since the last command still go out
      int done = 0;
      while (!done && redisBufferWrite(ctx.get(), &done) == REDIS_OK) {}
    }
    group_ready = false;
    if (!stopping() && !backoff(attempt++)) return;
  }
}

RedisBus::RedisBus(RedisOptions options) : state_(std::make_shared<State>(std::move(options))) {
  threads_.emplace_back([s = state_] { pthread_setname_np(pthread_self(), "redis-writer"); s->writer(); });
  threads_.emplace_back([s = state_] { pthread_setname_np(pthread_self(), "redis-sub"); s->subscriber(); });
  threads_.emplace_back([s = state_] { pthread_setname_np(pthread_self(), "redis-consumer"); s->consumer(); });
}

RedisBus::~RedisBus() {
  {
    std::lock_guard lock(state_->mu);
    state_->stop = true;
  }
  state_->cv.notify_all();
  state_->wake_writer();
  for (auto& t : threads_) t.join();
}

std::size_t RedisBus::publish(Envelope e) {
  if (!is_topic(e.topic)) fail(ErrorCode::invalid_argument, "topic", "'{}' is not a topic (no wildcards, no empty segments)", e.topic);
  static std::atomic<std::uint64_t> sequence{0};
  static const pid_t pid = getpid();  // a system call each time otherwise (glibc does not cache it)
  if (e.id.empty()) e.id = fmt::format("{}-{}-{}", e.source, pid, sequence.fetch_add(1, std::memory_order_relaxed));
  if (e.ts_ns == 0)
    e.ts_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  std::string wire = encode_envelope(e);
  auto& s = *state_;
  std::lock_guard lock(s.mu);
  if (s.pub_ready && s.outbox.empty() && s.pending.empty()) {
    // Nothing queued before it: sent from this thread now; the writer reads the replies. A full socket
    // leaves the rest in `pending` for the writer; a failed one is seen by the writer, which requeues.
    const std::size_t commands = s.format(e, wire);
    s.sent.push_back({std::move(e), std::move(wire), commands});
    if (!s.send_pending() || !s.pending.empty()) s.wake_writer();
    return 1;
  }
  s.outbox.emplace_back(std::move(e), std::move(wire));
  while (s.outbox.size() > s.opt.buffer_limit) {
    s.outbox.pop_front();
    ++s.c.dropped;
  }
  s.wake_writer();
  return 1;
}

std::uint64_t RedisBus::subscribe(std::string pattern, Handler h, std::size_t queue_capacity, Priority min_priority) {
  const std::uint64_t id = state_->local.subscribe(pattern, std::move(h), queue_capacity, min_priority);
  std::lock_guard lock(state_->mu);
  // Priority 3 comes from the stream only, so an alerts-only subscription needs no PSUBSCRIBE.
  state_->subscriptions[id] = {std::move(pattern), min_priority < Priority::high};
  state_->update_patterns();
  state_->cv.notify_all();
  return id;
}

void RedisBus::unsubscribe(std::uint64_t id) {
  state_->local.unsubscribe(id);
  std::lock_guard lock(state_->mu);
  if (state_->subscriptions.erase(id)) state_->update_patterns();
}

SubscriptionStats RedisBus::stats(std::uint64_t id) const { return state_->local.stats(id); }

void RedisBus::drain() {
  {
    std::unique_lock lock(state_->mu);
    state_->cv.wait_for(lock, std::chrono::seconds(10), [this] {
      return state_->stop || ((state_->outbox.empty() && state_->sent.empty()) || !state_->pub_ready);
    });
  }
  state_->local.drain();
}

RedisCounters RedisBus::counters() const {
  std::lock_guard lock(state_->mu);
  RedisCounters c = state_->c;
  c.buffered = state_->outbox.size() + state_->sent.size();
  c.publisher_connected = state_->pub_ready;
  c.subscriber_connected = state_->sub_ready;
  return c;
}

bool RedisBus::ready() const {
  if (!state_->pub_ready || !state_->sub_ready) return false;
  std::lock_guard lock(state_->mu);
  return state_->subscriptions.empty() || state_->group_ready;  // a subscriber also needs its consumer group
}

}  // namespace sextant::bus
