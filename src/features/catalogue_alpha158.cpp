// Alpha158 as Qlib defines it (qlib/contrib/data/loader.py, Alpha158DL.get_feature_config with
// kbar {}, price {windows [0], features OPEN HIGH LOW VWAP}, rolling {} defaults). The expressions
// are Qlib's, written in this language (which reads Qlib's syntax).
#include <string>

#include "sextant/features/catalogue.hpp"

namespace sextant::features {
namespace {

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (std::size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) s.replace(p, from.size(), to);
  return s;
}

}  // namespace

std::vector<Factor> alpha158() {
  std::vector<Factor> out;
  auto add = [&](const std::string& name, const std::string& expr, const std::string& what) {
    out.push_back({"alpha158." + name, "alpha158", expr, what});
  };
  add("KMID", "($close-$open)/$open", "candle body relative to the open");
  add("KLEN", "($high-$low)/$open", "candle range relative to the open");
  add("KMID2", "($close-$open)/($high-$low+1e-12)", "candle body relative to the range");
  add("KUP", "($high-Greater($open, $close))/$open", "upper shadow relative to the open");
  add("KUP2", "($high-Greater($open, $close))/($high-$low+1e-12)", "upper shadow relative to the range");
  add("KLOW", "(Less($open, $close)-$low)/$open", "lower shadow relative to the open");
  add("KLOW2", "(Less($open, $close)-$low)/($high-$low+1e-12)", "lower shadow relative to the range");
  add("KSFT", "(2*$close-$high-$low)/$open", "close's skew within the range, relative to the open");
  add("KSFT2", "(2*$close-$high-$low)/($high-$low+1e-12)", "close's skew within the range, relative to the range");
  for (const char* f : {"OPEN", "HIGH", "LOW", "VWAP"}) {
    std::string field = f;
    for (char& c : field) c = char(c - 'A' + 'a');
    add(std::string(f) + "0", "$" + field + "/$close", "today's " + field + " relative to the close");
  }

  struct Group {
    const char* name;
    const char* expr;  // {d} stands for the window
    const char* what;
  };
  static constexpr Group groups[] = {
      {"ROC", "Ref($close, {d})/$close", "close {d} days ago relative to today's"},
      {"MA", "Mean($close, {d})/$close", "{d}-day mean close relative to today's"},
      {"STD", "Std($close, {d})/$close", "{d}-day close standard deviation relative to the close"},
      {"BETA", "Slope($close, {d})/$close", "{d}-day close trend slope relative to the close"},
      {"RSQR", "Rsquare($close, {d})", "R² of the {d}-day linear close trend"},
      {"RESI", "Resi($close, {d})/$close", "residual of the {d}-day linear close trend"},
      {"MAX", "Max($high, {d})/$close", "{d}-day highest high relative to the close"},
      {"MIN", "Min($low, {d})/$close", "{d}-day lowest low relative to the close"},
      {"QTLU", "Quantile($close, {d}, 0.8)/$close", "{d}-day 80% close quantile relative to the close"},
      {"QTLD", "Quantile($close, {d}, 0.2)/$close", "{d}-day 20% close quantile relative to the close"},
      {"RANK", "Rank($close, {d})", "percentile of today's close among the last {d}"},
      {"RSV", "($close-Min($low, {d}))/(Max($high, {d})-Min($low, {d})+1e-12)", "close's position in the {d}-day range"},
      {"IMAX", "IdxMax($high, {d})/{d}", "days since the {d}-day high, as a fraction of {d} (1-based from the oldest)"},
      {"IMIN", "IdxMin($low, {d})/{d}", "days since the {d}-day low, as a fraction of {d} (1-based from the oldest)"},
      {"IMXD", "(IdxMax($high, {d})-IdxMin($low, {d}))/{d}", "days between the {d}-day high and low, as a fraction of {d}"},
      {"CORR", "Corr($close, Log($volume+1), {d})", "{d}-day correlation of close and log volume"},
      {"CORD", "Corr($close/Ref($close,1), Log($volume/Ref($volume, 1)+1), {d})", "{d}-day correlation of price change and log volume change"},
      {"CNTP", "Mean($close>Ref($close, 1), {d})", "share of up days in the last {d}"},
      {"CNTN", "Mean($close<Ref($close, 1), {d})", "share of down days in the last {d}"},
      {"CNTD", "Mean($close>Ref($close, 1), {d})-Mean($close<Ref($close, 1), {d})", "share of up days minus share of down days"},
      {"SUMP", "Sum(Greater($close-Ref($close, 1), 0), {d})/(Sum(Abs($close-Ref($close, 1)), {d})+1e-12)", "gains over total moves in the last {d} days (RSI-like)"},
      {"SUMN", "Sum(Greater(Ref($close, 1)-$close, 0), {d})/(Sum(Abs($close-Ref($close, 1)), {d})+1e-12)", "losses over total moves in the last {d} days"},
      {"SUMD", "(Sum(Greater($close-Ref($close, 1), 0), {d})-Sum(Greater(Ref($close, 1)-$close, 0), {d}))/(Sum(Abs($close-Ref($close, 1)), {d})+1e-12)",
       "gains minus losses over total moves in the last {d} days"},
      {"VMA", "Mean($volume, {d})/($volume+1e-12)", "{d}-day mean volume relative to today's"},
      {"VSTD", "Std($volume, {d})/($volume+1e-12)", "{d}-day volume standard deviation relative to today's volume"},
      {"WVMA", "Std(Abs($close/Ref($close, 1)-1)*$volume, {d})/(Mean(Abs($close/Ref($close, 1)-1)*$volume, {d})+1e-12)",
       "coefficient of variation of volume-weighted absolute returns over {d} days"},
      {"VSUMP", "Sum(Greater($volume-Ref($volume, 1), 0), {d})/(Sum(Abs($volume-Ref($volume, 1)), {d})+1e-12)", "volume increases over total volume changes in the last {d} days"},
      {"VSUMN", "Sum(Greater(Ref($volume, 1)-$volume, 0), {d})/(Sum(Abs($volume-Ref($volume, 1)), {d})+1e-12)", "volume decreases over total volume changes in the last {d} days"},
      {"VSUMD", "(Sum(Greater($volume-Ref($volume, 1), 0), {d})-Sum(Greater(Ref($volume, 1)-$volume, 0), {d}))/(Sum(Abs($volume-Ref($volume, 1)), {d})+1e-12)",
       "volume increases minus decreases over total volume changes"},
  };
  for (const Group& g : groups)
    for (int d : {5, 10, 20, 30, 60}) {
      const std::string ds = std::to_string(d);
      add(g.name + ds, replace_all(g.expr, "{d}", ds), replace_all(g.what, "{d}", ds));
    }
  return out;
}

}  // namespace sextant::features
