// WsConnection: a WebSocket connection's outbound queue with conflation (websocket.hpp). No Beast.
#include "sextant/net/websocket.hpp"

#include <atomic>

#include <fmt/format.h>

namespace sextant::net {

namespace {
std::atomic<std::uint64_t> g_next_id{1};
}

WsConnection::WsConnection(WsQueueLimits limits) : limits_(limits), id_(g_next_id.fetch_add(1, std::memory_order_relaxed)) {}

void WsConnection::wake(std::unique_lock<std::mutex>& lock) {
  auto waker = waker_;
  lock.unlock();
  if (waker) waker();
}

void WsWakeBatch::flush() {
  if (pending.empty()) return;
  std::function<void(std::function<void()>)> post;
  {
    std::lock_guard lock(pending.front()->mu_);
    post = pending.front()->post_;
  }
  auto conns = std::move(pending);
  pending.clear();
  if (!post) {
    for (auto& c : conns) c->wake_now();
    return;
  }
  post([conns = std::move(conns)] {
    for (const auto& c : conns) c->wake_now();
  });
}

void WsConnection::wake_now() {
  std::function<void()> waker;
  {
    std::lock_guard lock(mu_);
    waker = waker_;
  }
  if (waker) waker();
}

WsPush WsConnection::send(std::shared_ptr<const std::string> text, std::string_view conflate_key, WsWakeBatch* batch) {
  std::unique_lock lock(mu_);
  if (close_) return WsPush::closing;
  const std::size_t bytes = text->size();
  if (!backed_up_ && queue_.size() >= limits_.conflate_after) {
    backed_up_ = true;  // from here on the latest queued message of each key is indexed
    for (std::size_t i = 0; i < queue_.size(); ++i)
      if (!queue_[i].key.empty()) keyed_[queue_[i].key] = head_ + i;
  }
  if (backed_up_ && !conflate_key.empty()) {
    if (auto it = keyed_.find(conflate_key); it != keyed_.end()) {
      const std::uint64_t index = it->second;
      auto& slot = queue_[index - head_];
      queued_bytes_ = queued_bytes_ - slot.text->size() + bytes;
      keyed_.erase(it);  // re-keyed below on the new text's view: the old text goes now
      slot.text = std::move(text);
      slot.key = conflate_key;
      keyed_.emplace(conflate_key, index);
      ++stats_.conflated;
      return WsPush::conflated;
    }
  }
  if (queue_.size() >= limits_.max_messages || queued_bytes_ + bytes > limits_.max_bytes) {
    close_locked({WsCloseCode::try_again_later,
                  fmt::format("slow consumer: {} messages ({} bytes) queued", queue_.size(), queued_bytes_)},
                 lock);
    return WsPush::closing;
  }
  const bool was_empty = queue_.empty();
  if (backed_up_ && !conflate_key.empty()) keyed_[conflate_key] = head_ + queue_.size();
  queue_.push_back({std::move(text), conflate_key});
  queued_bytes_ += bytes;
  if (was_empty) {
    if (batch && post_) {
      lock.unlock();
      batch->pending.push_back(shared_from_this());
    } else {
      wake(lock);
    }
  }
  return WsPush::queued;
}

void WsConnection::close(WsCloseCode code, std::string reason) {
  std::unique_lock lock(mu_);
  if (close_) return;
  close_locked({code, std::move(reason)}, lock);
}

void WsConnection::close_locked(CloseRequest request, std::unique_lock<std::mutex>& lock) {
  close_ = std::move(request);
  queue_.clear();
  keyed_.clear();
  backed_up_ = false;
  head_ = 0;
  queued_bytes_ = 0;
  wake(lock);
}

bool WsConnection::closing() const {
  std::lock_guard lock(mu_);
  return close_.has_value();
}

void WsConnection::set_batching(bool on) {
  std::lock_guard lock(mu_);
  batching_ = on;
}

bool WsConnection::batching() const {
  std::lock_guard lock(mu_);
  return batching_;
}

WsConnectionStats WsConnection::stats() const {
  std::lock_guard lock(mu_);
  auto s = stats_;
  s.queued = queue_.size();
  s.queued_bytes = queued_bytes_;
  return s;
}

void WsConnection::set_waker(std::function<void()> waker, std::function<void(std::function<void()>)> post) {
  std::unique_lock lock(mu_);
  waker_ = std::move(waker);
  post_ = std::move(post);
  if (!queue_.empty() || close_) wake(lock);
}

std::size_t WsConnection::take(std::vector<std::shared_ptr<const std::string>>& out, std::size_t max) {
  std::lock_guard lock(mu_);
  return take_locked(out, max);
}

WsConnection::Drain WsConnection::drain(std::vector<std::shared_ptr<const std::string>>& out, std::size_t max,
                                        std::size_t batch_max) {
  std::lock_guard lock(mu_);
  Drain d;
  if (close_) {
    d.close = close_;
    return d;
  }
  d.batching = batching_;
  d.taken = take_locked(out, batching_ ? batch_max : max);
  return d;
}

std::size_t WsConnection::take_locked(std::vector<std::shared_ptr<const std::string>>& out, std::size_t max) {
  std::size_t n = 0;
  while (n < max && !queue_.empty()) {
    auto& e = queue_.front();
    if (backed_up_ && !e.key.empty()) {
      auto it = keyed_.find(e.key);
      if (it != keyed_.end() && it->second == head_) keyed_.erase(it);
    }
    queued_bytes_ -= e.text->size();
    stats_.sent_bytes += e.text->size();
    out.push_back(std::move(e.text));
    queue_.pop_front();
    ++head_;
    ++n;
  }
  stats_.sent += n;
  if (backed_up_ && queue_.size() < limits_.conflate_after / 2) {
    backed_up_ = false;
    keyed_.clear();
  }
  return n;
}

std::optional<WsConnection::CloseRequest> WsConnection::close_request() const {
  std::lock_guard lock(mu_);
  return close_;
}

}  // namespace sextant::net
