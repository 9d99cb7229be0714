#pragma once
// The portfolio engine on live bars: a book of shares with target weights, re-weighed on every row;
// when its drift reaches the HIGH band (portfolio/rebalance.hpp DriftBands) the rebalance is computed
// and published on portfolio.rebalance, and the book is taken as rebalanced (its shares become the
// trades' result), so the next event needs new drift.
//
// With no book configured, a demo book can be opened on the first row with every price: equal
// weights over the first `demo_assets` symbols, `demo_value` in all.
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "sextant/bus/publisher.hpp"
#include "sextant/data/row_clock.hpp"
#include "sextant/portfolio/rebalance.hpp"

namespace sextant::portfolio {

struct LiveBook {
  std::vector<std::string> assets;
  std::vector<double> shares, target_weights;
  double cash = 0;
  double cost_bps = 5;
};

//! Throws Error naming the field of a book that cannot be watched: no assets, shares or target
//! weights of another length, weights not summing to 1, costs out of range, non-finite values.
void validate_book(const LiveBook& book);

struct LiveDriftConfig {
  std::size_t demo_assets = 8;  //!< 0: no demo book
  double demo_value = 1.0e7;
};

struct LiveDriftStats {
  std::uint64_t rows = 0, rebalances = 0;
  double max_drift = 0;  //!< after the last row
  std::string urgency;   //!< of the last row
};

class LiveDrift {
 public:
  //! `book`: empty assets for the demo book (when demo_assets > 0); any other is validated (validate_book).
  LiveDrift(LiveDriftConfig config, LiveBook book, bus::Publisher& publisher);
  //! Takes one bar; on a new row re-weighs the book. Thread-safe.
  void on_bar(const bus::MarketBar& bar);
  LiveDriftStats stats() const;

 private:
  void end_of_row();  // mutex held
  const LiveDriftConfig config_;
  LiveBook book_;
  bus::Publisher& publisher_;
  mutable std::mutex m_;
  std::map<std::string, double> prices_;
  std::vector<std::string> seen_;  //!< symbols in arrival order (the demo book's universe)
  data::RowClock clock_;
  LiveDriftStats stats_;
};

}  // namespace sextant::portfolio
