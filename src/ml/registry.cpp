// The model registry and its atomic files (registry.hpp).
#include "sextant/ml/registry.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "sextant/core/error.hpp"

namespace sextant::ml {
namespace fs = std::filesystem;
namespace {

constexpr std::size_t kRecent = 1024;

void write_all(int fd, const std::string& data, const fs::path& p) {
  std::size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail(ErrorCode::io, "models_dir", "cannot write {}: {}", p.string(), std::strerror(errno));
    off += std::size_t(n);
  }
}

void atomic_write(const fs::path& dir, const std::string& name, const std::string& data) {
  const fs::path tmp = dir / ("." + name + ".tmp"), final = dir / name;
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail(ErrorCode::io, "models_dir", "cannot create {}: {}", tmp.string(), std::strerror(errno));
  try {
    write_all(fd, data, tmp);
    if (::fsync(fd) != 0) fail(ErrorCode::io, "models_dir", "cannot fsync {}: {}", tmp.string(), std::strerror(errno));
  } catch (...) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), final.c_str()) != 0) {
    ::unlink(tmp.c_str());
    fail(ErrorCode::io, "models_dir", "cannot rename {} to {}: {}", tmp.string(), final.string(), std::strerror(errno));
  }
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);  // the rename itself must reach the disk
  if (dfd >= 0) ::fsync(dfd), ::close(dfd);
}

}  // namespace

fs::path default_models_dir() {
  if (const char* x = std::getenv("XDG_DATA_HOME"); x && *x) return fs::path(x) / "sextant" / "models";
  if (const char* h = std::getenv("HOME"); h && *h) return fs::path(h) / ".local" / "share" / "sextant" / "models";
  return fs::path("sextant-models");
}

void Registry::check_id(const std::string& id, const char* field) {
  const bool ok = !id.empty() && id.size() <= 64 && id[0] != '.' &&
                  std::all_of(id.begin(), id.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.'; });
  if (!ok) fail(ErrorCode::invalid_argument, field, "a model id is 1 to 64 of A-Z a-z 0-9 _ - . (not starting with '.'), not '{}'", id.substr(0, 80));
}

Registry::Registry(fs::path dir) : dir_(std::move(dir)) {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec || !fs::is_directory(dir_)) fail(ErrorCode::io, "models_dir", "cannot use {} as the model directory: {}", dir_.string(), ec.message());
  for (const auto& e : fs::directory_iterator(dir_)) {
    const fs::path p = e.path();
    if (p.extension() != ".model" || p.filename().string()[0] == '.') continue;
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    try {
      auto m = std::make_shared<Model>(load_model(ss.str(), "model"));
      if (m->id + ".model" != p.filename().string()) fail(ErrorCode::invalid_argument, "model", "the file holds model '{}'", m->id);
      models_[m->id] = std::move(m);
    } catch (const std::exception& x) {
      skipped_.push_back(p.filename().string() + ": " + x.what());
    }
  }
}

std::shared_ptr<const Model> Registry::get(const std::string& id) const {
  std::shared_lock lock(m_);
  auto it = models_.find(id);
  if (it == models_.end()) fail(ErrorCode::not_found, "model_id", "no model '{}'", id.substr(0, 80));
  return it->second;
}

bool Registry::contains(const std::string& id) const {
  std::shared_lock lock(m_);
  return models_.count(id) > 0;
}

std::vector<std::shared_ptr<const Model>> Registry::list() const {
  std::shared_lock lock(m_);
  std::vector<std::shared_ptr<const Model>> out;
  for (const auto& [id, m] : models_) out.push_back(m);
  return out;
}

void Registry::put(std::shared_ptr<const Model> m, bool replace) {
  check_id(m->id);
  const std::string data = save_model(*m);
  std::unique_lock lock(m_);  // one writer at a time: the file and the map change together
  if (!replace && models_.count(m->id))
    fail(ErrorCode::invalid_argument, "id", "model '{}' exists: DELETE /models/{} first, or POST /models/{}/train to retrain it", m->id, m->id, m->id);
  atomic_write(dir_, m->id + ".model", data);
  models_[m->id] = std::move(m);
}

void Registry::remove(const std::string& id) {
  std::unique_lock lock(m_);
  if (!models_.count(id)) fail(ErrorCode::not_found, "model_id", "no model '{}'", id.substr(0, 80));
  std::error_code ec;
  fs::remove(dir_ / (id + ".model"), ec);
  if (ec) fail(ErrorCode::io, "models_dir", "cannot remove {}: {}", (dir_ / (id + ".model")).string(), ec.message());
  models_.erase(id);
  std::lock_guard s(stats_m_);
  stats_.erase(id);
}

void Registry::record(const std::string& id, std::size_t rows, double seconds) {
  std::lock_guard lock(stats_m_);
  ServingStats& s = stats_[id];
  ++s.requests, s.rows += rows, s.busy_s += seconds;
  if (s.recent_us.size() < kRecent) s.recent_us.push_back(seconds * 1e6);
  else s.recent_us[s.next] = seconds * 1e6;
  s.next = (s.next + 1) % kRecent;
}

ServingStats Registry::stats(const std::string& id) const {
  std::lock_guard lock(stats_m_);
  auto it = stats_.find(id);
  return it == stats_.end() ? ServingStats{} : it->second;
}

}  // namespace sextant::ml
