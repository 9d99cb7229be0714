#pragma once
// Rows of a live bar stream: a row is the bars of one timestamp, and it is complete when a bar with a
// later timestamp arrives (bars of one instrument arrive in time order; instruments interleave). The
// engines' live monitors (analytics, risk, portfolio, ML) run their schedules on completed rows.
#include <cstdint>
#include <optional>

namespace sextant::data {

struct RowClock {
  std::int64_t row_ts = 0;      //!< the row being filled
  std::uint64_t completed = 0;  //!< rows completed so far

  //! Takes a bar's timestamp: the timestamp of the row it completes, or nullopt (the same row, the first
  //! row, or a late bar older than the current row, for which `late` is set).
  std::optional<std::int64_t> advance(std::int64_t ts, bool* late = nullptr) {
    if (ts < row_ts && late) *late = true;
    if (ts <= row_ts) return std::nullopt;
    const std::int64_t done = row_ts;
    row_ts = ts;
    if (done == 0) return std::nullopt;
    ++completed;
    return done;
  }
};

}  // namespace sextant::data
