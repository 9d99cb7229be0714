#pragma once
// Streaming TA-Lib indicators: feed one bar at a time and get the value batch mode gives at that row.
//
// A Stream serves a whole panel of instruments at once (one instance per indicator and parameter
// set; a single instrument is a panel of one). State is laid out instrument-contiguous, so one
// update is a few short loops over the instruments (bench/analytics/stream_bench.cpp measures it).
// Each state machine performs the batch kernel's arithmetic in the same order, so its outputs equal
// the batch outputs row by row (tests/analytics/ta_stream_test.cpp checks every row of the S&P 500).
// The registry answers both modes: a FunctionDef's `stream` builds its state machine (src/analytics/ta/
// stream_<group>.cpp) and its `finite_memory` says whether the generic stream may use a bounded window.
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "sextant/analytics/ta.hpp"

namespace sextant::analytics::ta {

//! One bar for every instrument of a panel: each span holds N values (unused ones may be empty).
struct PanelBar {
  std::span<const double> open, high, low, close, volume;
  std::span<const double> real1{};  //!< second series of two-series functions (BETA, CORREL, ADD...); close is the first
  //! Binds one bar's values for a FunctionDef input name; "real" (the one series of single-input
  //! functions) is close.
  void set(std::string_view input, std::span<const double> values) {
    if (input == "open") open = values;
    else if (input == "high") high = values;
    else if (input == "low") low = values;
    else if (input == "volume") volume = values;
    else if (input == "real1") real1 = values;
    else close = values;
  }
};

class Stream {
 public:
  virtual ~Stream() = default;
  //! Feeds the next bar of every instrument.
  virtual void update(const PanelBar& bar) = 0;
  //! Output k (in FunctionDef::outputs order) of every instrument after the last update; NaN while
  //! fewer bars than the lookback have been seen.
  std::span<const double> output(std::size_t k) const { return outputs_[k]; }
  std::size_t instruments() const { return n_; }
  std::size_t bars_seen() const { return seen_; }

 protected:
  Stream(std::size_t instruments, std::size_t outputs);
  std::size_t n_;
  std::size_t seen_ = 0;
  std::vector<std::vector<double>> outputs_;
};

//! Whether this function and these parameters have an O(1)-per-bar state machine (SMA EMA WMA DEMA
//! TEMA RSI MACD BBANDS(SMA) TRANGE ATR NATR ADX CCI MOM ROC WILLR STOCH(SMA) OBV MFI AROON, and CMO
//! VAR STDDEV AD ADOSC PLUS_DM MINUS_DM PLUS_DI MINUS_DI DX ADXR KAMA TRIX T3 SAR SAREXT, MACDFIX,
//! MA APO PPO BBANDS MACDEXT STOCH STOCHF STOCHRSI of MA types 0-4, and the Hilbert-transform
//! family HT_DCPERIOD HT_DCPHASE HT_PHASOR HT_SINE HT_TRENDLINE HT_TRENDMODE MAMA). Every other
//! function streams through the generic adapter: a recompute over a bounded window for
//! finite-memory functions, a replay of the instrument's history for recursive ones (O(T) per bar).
//! Both give the batch value at every row. Single-input functions read close.
bool has_fast_stream(const FunctionDef& f, std::span<const double> params);
//! Feeds one bar to every stream, in parallel across streams (they share no state).
void update_all(std::span<const std::unique_ptr<Stream>> streams, const PanelBar& bar);
//! A stream for any function; throws Error(invalid_argument) naming a parameter out of range.
std::unique_ptr<Stream> make_stream(const FunctionDef& f, std::span<const double> params, std::size_t instruments);
//! Functions that one stream state serves together, with the same parameters and their inputs of one
//! name bound to one series: the name of the function's family (its FunctionDef row's shared_stream),
//! or empty when it shares with none. "linearreg": LINEARREG, LINEARREG_ANGLE, LINEARREG_INTERCEPT,
//! LINEARREG_SLOPE and TSF (one pass of window sums a bar); "highlow": WILLR and MIDPRICE (one window
//! of highs and lows).
std::string_view shared_stream_family(const FunctionDef& f);
//! One stream for functions of one shared_stream_family() and parameters: output(k) is fs[k]'s first
//! output, bit for bit what make_stream(*fs[k], params) gives, when each bar carries every input any
//! of them reads. Throws Error(invalid_argument) when the functions are not of one family.
std::unique_ptr<Stream> make_shared_stream(std::span<const FunctionDef* const> fs, std::span<const double> params, std::size_t instruments);

}  // namespace sextant::analytics::ta
