#pragma once
// TA-Lib-compatible indicators: TA-Lib's function names, optIn... parameter names and defaults,
// output names, lookback and seeding (classic EMA: seeded with the SMA of the first period).
// Every output is aligned to the input rows; rows before begIndex (= the lookback) are NaN.
//
// Conventions worth knowing (TA-Lib's, kept exactly; docs/conventions.md lists them all):
//  - EMA-family seeds: the first value is the SMA of the `period` inputs ending at the first output.
//    MACD seeds its fast EMA so that it starts with the slow one (TA-Lib's, not the textbook MACD).
//  - Wilder smoothing (RSI, ATR, ADX, +DM/-DM): first value a sum or mean of the first window, then
//    x_t = x_{t-1} - x_{t-1}/n + v_t (sums) or (x_{t-1}(n-1) + v_t)/n (means).
//  - Standard deviations are population (divide by n).
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sextant::analytics::ta {

//! The price series a function reads. Single-input functions read `real` (close by default).
struct Inputs {
  std::span<const double> open, high, low, close, volume;
  std::span<const double> real, real1;  //!< generic inputs (real1: second series of BETA, CORREL, ADD...)
  std::size_t size() const;
  //! Binds the series for a FunctionDef input name ("open", ..., "real", "real1").
  void set(std::string_view input, std::span<const double> series);
};

struct ParamDef {
  std::string_view name;   //!< TA-Lib's, e.g. "optInTimePeriod"
  std::string_view alias;  //!< ta-lib-python's, e.g. "timeperiod"
  double default_value;
  double min, max;
  bool integer;
};

struct FunctionDef;
class Stream;  // ta_stream.hpp
using LookbackFn = int (*)(const double* params);
//! This function's O(1)-per-bar stream for these parameters, or null (then make_stream's generic one).
using StreamFactory = std::unique_ptr<Stream> (*)(const FunctionDef& f, std::span<const double> params, std::size_t instruments);
//! One stream for several functions of one StreamFamily: output k is fs[k]'s first output.
using SharedStreamFactory = std::unique_ptr<Stream> (*)(std::span<const FunctionDef* const> fs, std::span<const double> params,
                                                        std::size_t instruments);
//! Functions of one family (the same name) that one stream state serves together: the LINEARREG family
//! (one pass of window sums), WILLR with MIDPRICE (one window of highs and lows).
struct StreamFamily {
  std::string_view name;  //!< empty: shares with none
  SharedStreamFactory make = nullptr;
};
//! Whether a row's value depends only on the bars of a window covering the lookback (so the generic
//! stream may recompute over a bounded window); null: recursive, the whole history counts.
using FiniteMemoryFn = bool (*)(const FunctionDef& f, std::span<const double> params);
using ComputeFn = void (*)(const Inputs& in, const double* params, double* const* out);

struct FunctionDef {
  std::string_view name;                  //!< "RSI"
  std::string_view group;                 //!< "Momentum Indicators", ...
  std::vector<std::string_view> inputs;   //!< "open","high","low","close","volume","real","real1"
  std::vector<ParamDef> params;
  std::vector<std::string_view> outputs;  //!< "outReal", "outMACD", ...
  bool integer_output = false;            //!< outInteger (index and pattern functions)
  LookbackFn lookback;
  ComputeFn compute;  //!< writes rows >= lookback of each output; the caller fills NaN before
  StreamFactory stream = nullptr;
  FiniteMemoryFn finite_memory = nullptr;
  StreamFamily shared_stream = {};  //!< make_shared_stream (ta_stream.hpp)
};

//! Error(invalid_argument) naming the parameter when params do not fit f (count, range, integrality).
void check_params(const FunctionDef& f, std::span<const double> params);

//! Finite memory when every MA-type parameter is 0 (SMA): other averages are recursive.
bool finite_memory(const FunctionDef& f, std::span<const double> params);
//! Finite memory for period <= 1 only (raw directional movement; smoothed is recursive).
bool finite_memory_unsmoothed(const FunctionDef& f, std::span<const double> params);

//! Every function this build implements, in TA-Lib's group order.
const std::vector<FunctionDef>& functions();
//! By TA-Lib name (case-insensitive); null when unknown.
const FunctionDef* find(std::string_view name);

//! Leaves new elements uninitialised: run() NaN-fills only the rows before begIndex and every kernel
//! writes every row from begIndex on, so filling the rest first would double the memory traffic.
template <class T>
struct DefaultInitAllocator : std::allocator<T> {
  template <class U>
  struct rebind {
    using other = DefaultInitAllocator<U>;
  };
  using std::allocator<T>::allocator;
  template <class U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;
  }
  template <class U, class... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};
using Series = std::vector<double, DefaultInitAllocator<double>>;

struct Result {
  int beg_index = 0;            //!< = lookback; may exceed the row count (then all NaN)
  std::vector<Series> outputs;  //!< one per FunctionDef::outputs, each aligned to the rows
};

//! Runs a function over whole series. `params` holds one value per ParamDef, in order; it is
//! checked against each ParamDef's range (Error naming the parameter). Inputs must share one length.
//! With a checkpoint, a finite-memory function whose work (rows × lookback) is large runs in chunks of
//! rows, each on its own window of the inputs, with the checkpoint between them (a LINEARREG of
//! period 100,000 over 500,000 rows would otherwise run for tens of seconds past a request's deadline).
//! A row depends only on its window, so chunks give the same values (to rounding where the kernel keeps
//! running sums).
Result run(const FunctionDef& f, const Inputs& in, std::span<const double> params,
           const std::function<void()>& checkpoint = {});

}  // namespace sextant::analytics::ta
