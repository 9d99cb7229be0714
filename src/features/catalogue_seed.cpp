// The original specification's ten factor families, each a real formula over a parameter grid.
#include <string>

#include "sextant/features/catalogue.hpp"

namespace sextant::features {
namespace {

std::string n(double v) {
  std::string s = std::to_string(v);
  s.erase(s.find_last_not_of('0') + 1);
  if (s.back() == '.') s.pop_back();
  return s;
}

struct Builder {
  std::string family;
  std::vector<Factor> out;
  void add(const std::string& name, const std::string& expr, const std::string& what) {
    out.push_back({family + "." + name, family, expr, what});
  }
};

}  // namespace

std::vector<Factor> seed_families() {
  std::vector<Factor> all;
  auto take = [&](Builder& b) { all.insert(all.end(), b.out.begin(), b.out.end()); };

  {  // TA-Lib over period grids; price-level outputs relative to the close
    Builder b{"technical", {}};
    const int periods[] = {5, 10, 14, 20, 30, 50, 100, 200};
    struct Fn {
      const char* name;
      const char* args;  // the series
      bool level;        // a price level: divided by the close
    };
    static constexpr Fn fns[] = {
        {"SMA", "$close", true},  {"TA_EMA", "$close", true}, {"TA_WMA", "$close", true}, {"DEMA", "$close", true},
        {"TEMA", "$close", true}, {"TRIMA", "$close", true},  {"KAMA", "$close", true},   {"MIDPOINT", "$close", true},
        {"TSF", "$close", true},  {"LINEARREG", "$close", true}, {"LINEARREG_INTERCEPT", "$close", true},
        {"MIDPRICE", "$high, $low", true}, {"ATR", "$high, $low, $close", true},
        {"RSI", "$close", false}, {"CMO", "$close", false}, {"MOM", "$close", false}, {"ROC", "$close", false},
        {"ROCP", "$close", false}, {"TRIX", "$close", false}, {"LINEARREG_SLOPE", "$close", false},
        {"LINEARREG_ANGLE", "$close", false}, {"NATR", "$high, $low, $close", false}, {"ADX", "$high, $low, $close", false},
        {"ADXR", "$high, $low, $close", false}, {"CCI", "$high, $low, $close", false}, {"WILLR", "$high, $low, $close", false},
        {"DX", "$high, $low, $close", false}, {"PLUS_DI", "$high, $low, $close", false}, {"MINUS_DI", "$high, $low, $close", false},
        {"AROONOSC", "$high, $low", false}, {"MFI", "$high, $low, $close, $volume", false},
    };
    for (const Fn& f : fns)
      for (int p : periods) {
        const std::string call = std::string(f.name) + "(" + f.args + ", " + std::to_string(p) + ")";
        const std::string name = (f.name[0] == 'T' && f.name[1] == 'A' && f.name[2] == '_' ? std::string(f.name + 3) : std::string(f.name));
        b.add(name + "_" + std::to_string(p), f.level ? call + "/$close" : call,
              "TA-Lib " + name + " over " + std::to_string(p) + " days" + (f.level ? ", relative to the close" : ""));
      }
    b.add("BOP", "BOP($open, $high, $low, $close)", "TA-Lib balance of power");
    for (auto [fast, slow] : {std::pair{12, 26}, std::pair{5, 35}, std::pair{3, 10}}) {
      const std::string fs = std::to_string(fast) + "_" + std::to_string(slow), args = std::to_string(fast) + ", " + std::to_string(slow);
      b.add("PPO_" + fs, "PPO($close, " + args + ")", "TA-Lib percentage price oscillator " + fs);
      b.add("MACD_" + fs, "MACD($close, " + args + ", 9)/$close", "TA-Lib MACD line " + fs + ", relative to the close");
    }
    take(b);
  }
  const int p6[] = {5, 10, 20, 60, 120, 250};
  {  // momentum: the return over p periods, skipping the last s
    Builder b{"momentum", {}};
    for (int p : {1, 5, 10, 20, 60, 120, 250})
      for (int s : {0, 1, 5, 10, 20}) {
        const std::string now = s ? "Ref($close, " + std::to_string(s) + ")" : "$close";
        b.add("MOM_" + std::to_string(p) + "_SKIP" + std::to_string(s), now + "/Ref($close, " + std::to_string(p + s) + ") - 1",
              "return over " + std::to_string(p) + " days, skipping the last " + std::to_string(s));
      }
    take(b);
  }
  {  // mean reversion: z-scores against a p-window
    Builder b{"mean_reversion", {}};
    for (int p : p6) {
      const std::string ps = std::to_string(p);
      b.add("RET_Z" + ps, "($returns - Mean($returns, " + ps + "))/(Std($returns, " + ps + ") + 1e-12)", "z-score of today's return against the last " + ps);
      b.add("PRICE_Z" + ps, "($close - Mean($close, " + ps + "))/(Std($close, " + ps + ") + 1e-12)", "z-score of the close against the last " + ps);
    }
    take(b);
  }
  {  // volatility estimators, per day
    Builder b{"volatility", {}};
    for (int p : p6) {
      const std::string ps = std::to_string(p);
      b.add("CC" + ps, "Std($returns, " + ps + ")", "close-to-close volatility over " + ps + " days");
      b.add("PARKINSON" + ps, "Sqrt(Mean(Power(Log($high/$low), 2), " + ps + ")/(4*Log(2)))", "Parkinson high-low volatility over " + ps + " days");
      b.add("GARMAN_KLASS" + ps, "Sqrt(Mean(0.5*Power(Log($high/$low), 2) - (2*Log(2) - 1)*Power(Log($close/$open), 2), " + ps + "))",
            "Garman-Klass volatility over " + ps + " days");
      b.add("ROGERS_SATCHELL" + ps, "Sqrt(Mean(Log($high/$close)*Log($high/$open) + Log($low/$close)*Log($low/$open), " + ps + "))",
            "Rogers-Satchell volatility over " + ps + " days");
    }
    take(b);
  }
  {  // volume
    Builder b{"volume", {}};
    for (int p : {5, 10, 20, 60}) {
      const std::string ps = std::to_string(p);
      b.add("AVG" + ps, "Mean($volume, " + ps + ")", "average volume over " + ps + " days");
      b.add("REL" + ps, "$volume/(Mean($volume, " + ps + ") + 1e-12)", "today's volume relative to its " + ps + "-day average");
    }
    b.add("OBV", "OBV($close, $volume)", "TA-Lib on-balance volume");
    b.add("AD", "AD($high, $low, $close, $volume)", "TA-Lib Chaikin accumulation/distribution line");
    b.add("ADOSC_3_10", "ADOSC($high, $low, $close, $volume, 3, 10)", "TA-Lib Chaikin A/D oscillator 3/10");
    b.add("ADOSC_5_20", "ADOSC($high, $low, $close, $volume, 5, 20)", "TA-Lib Chaikin A/D oscillator 5/20");
    take(b);
  }
  {  // statistical
    Builder b{"statistical", {}};
    for (int p : {20, 60, 120, 250}) {
      const std::string ps = std::to_string(p);
      b.add("SKEW" + ps, "Skew($returns, " + ps + ")", "skewness of daily returns over " + ps + " days");
      b.add("KURT" + ps, "Kurt($returns, " + ps + ")", "excess kurtosis of daily returns over " + ps + " days");
      b.add("PCTRANK" + ps, "Rank($close, " + ps + ")", "percentile rank of the close among the last " + ps);
      b.add("VOLUME_Z" + ps, "($volume - Mean($volume, " + ps + "))/(Std($volume, " + ps + ") + 1e-12)", "z-score of volume over " + ps + " days");
      for (double q : {0.05, 0.25, 0.5, 0.75, 0.95})
        b.add("Q" + std::to_string(int(q * 100 + 0.5)) + "_" + ps, "Quantile($returns, " + ps + ", " + n(q) + ")",
              n(q * 100) + "% quantile of daily returns over " + ps + " days");
    }
    take(b);
  }
  {  // cross-sectional: rank, percentile, z-score and decile of return, volatility, volume, momentum
    Builder b{"cross_sectional", {}};
    for (int p : {5, 20, 60}) {
      const std::string ps = std::to_string(p);
      const std::pair<const char*, std::string> bases[] = {
          {"RET", "$close/Ref($close, " + ps + ") - 1"},
          {"VOL", "Std($returns, " + ps + ")"},
          {"VOLUME", "Mean($volume, " + ps + ")"},
          {"MOM", "Ref($close, 1)/Ref($close, " + std::to_string(p + 1) + ") - 1"},
      };
      for (const auto& [what, base] : bases)
        for (const char* op : {"cs_rank", "cs_percentile", "cs_zscore", "cs_decile"}) {
          std::string name = std::string(op + 3);
          for (char& c : name) c = char(std::toupper(static_cast<unsigned char>(c)));
          b.add(name + "_" + what + ps, std::string(op) + "(" + base + ")",
                std::string(op + 3) + " across instruments of the " + ps + "-day " +
                    (what == std::string("RET") ? "return" : what == std::string("VOL") ? "volatility" : what == std::string("VOLUME") ? "average volume" : "momentum (skipping a day)"));
        }
    }
    take(b);
  }
  {  // factor loadings: rolling PCA of the universe's daily returns (cs_pca_loading, through the accelerator)
    Builder b{"factor_loadings", {}};
    for (int w : {20, 60, 120})
      for (int k = 1; k <= 3; ++k) {
        const std::string ws = std::to_string(w), ks = std::to_string(k);
        b.add("PC" + ks + "_" + ws, "cs_pca_loading($returns, " + ws + ", " + ks + ")",
              "loading on the universe's principal component " + ks + " of daily returns over " + ws + " days");
      }
    take(b);
  }
  {  // time-series decomposition
    Builder b{"decomposition", {}};
    for (int p : {10, 40, 120, 250}) {
      const std::string ps = std::to_string(p);
      b.add("TREND" + ps, "Mean($close, " + ps + ")/$close - 1", ps + "-day moving-average trend relative to the close");
      b.add("SLOPE" + ps, "Slope(Log($close), " + ps + ")", "slope of the " + ps + "-day linear trend of the log close");
      b.add("RSQ" + ps, "Rsquare(Log($close), " + ps + ")", "R² of the " + ps + "-day linear trend of the log close");
      b.add("RESID" + ps, "Resi(Log($close), " + ps + ")", "residual of the log close from its " + ps + "-day linear trend");
    }
    for (int s : {5, 21, 63, 126, 252})
      b.add("SEASONAL" + std::to_string(s), "Log($close) - Ref(Log($close), " + std::to_string(s) + ")",
            "seasonal difference of the log close over " + std::to_string(s) + " days");
    take(b);
  }
  {  // fundamentals, when supplied: level, quarterly change and percentage change, ranks and z-scores
    Builder b{"fundamental", {}};
    for (const char* f : {"eps", "revenue", "book_value", "net_income", "dividends", "debt", "cash_flow", "roe"}) {
      const std::string x = std::string("$") + f;
      std::string up = f;
      for (char& c : up) c = char(std::toupper(static_cast<unsigned char>(c)));
      b.add(up, x, std::string(f) + ", as supplied");
      b.add(up + "_CHG", x + " - Ref(" + x + ", 63)", std::string(f) + ": change over a quarter (63 days)");
      b.add(up + "_PCT", x + "/Ref(" + x + ", 63) - 1", std::string(f) + ": percentage change over a quarter");
      b.add(up + "_RANK", "cs_rank(" + x + ")", std::string(f) + ": rank across instruments");
      b.add(up + "_CSZ", "cs_zscore(" + x + ")", std::string(f) + ": z-score across instruments");
      b.add(up + "_TSZ", "(" + x + " - Mean(" + x + ", 252))/(Std(" + x + ", 252) + 1e-12)", std::string(f) + ": z-score over four quarters");
    }
    take(b);
  }
  return all;
}

}  // namespace sextant::features
