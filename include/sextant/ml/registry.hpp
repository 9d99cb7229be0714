#pragma once
// The model registry: models in memory, each persisted as one file in the model directory.
//
// A write is atomic: the file is written beside its final name, fsynced, renamed over it, and the
// directory fsynced, so a crash leaves the old model or the new one, never half of one. At start every
// `<id>.model` file is loaded; one that does not parse (truncated, corrupted) is reported in
// skipped() and left on disk for inspection, and the others load.
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

#include "sextant/ml/model.hpp"

namespace sextant::ml {

//! Prediction counters of one model (what GET /models/{id}/metrics reports as "serving").
struct ServingStats {
  std::uint64_t requests = 0, rows = 0;
  double busy_s = 0;                 //!< time spent predicting
  std::vector<double> recent_us;     //!< latency of the last requests (a ring), for percentiles
  std::size_t next = 0;
};

class Registry {
 public:
  //! Creates the directory when missing (throws io naming it when it cannot), then loads it.
  explicit Registry(std::filesystem::path dir);

  std::shared_ptr<const Model> get(const std::string& id) const;  //!< throws not_found
  std::vector<std::shared_ptr<const Model>> list() const;          //!< by id
  bool contains(const std::string& id) const;
  //! Persists, then serves. `replace`: an existing id is overwritten (retraining), else it is an error.
  void put(std::shared_ptr<const Model> m, bool replace);
  //! Removes the model and its file; throws not_found.
  void remove(const std::string& id);
  //! Files that did not load at start: "<file>: <reason>".
  const std::vector<std::string>& skipped() const { return skipped_; }
  const std::filesystem::path& dir() const { return dir_; }

  void record(const std::string& id, std::size_t rows, double seconds);
  ServingStats stats(const std::string& id) const;

  //! [A-Za-z0-9_.-], 1..64 characters, not starting with '.': safe as a file name.
  static void check_id(const std::string& id, const char* field = "id");

 private:
  std::filesystem::path dir_;
  mutable std::shared_mutex m_;
  std::map<std::string, std::shared_ptr<const Model>> models_;
  std::vector<std::string> skipped_;
  mutable std::mutex stats_m_;
  std::map<std::string, ServingStats> stats_;
};

//! $XDG_DATA_HOME/sextant/models, else ~/.local/share/sextant/models, else ./sextant-models.
std::filesystem::path default_models_dir();

}  // namespace sextant::ml
