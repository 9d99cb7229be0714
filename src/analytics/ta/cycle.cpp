// Hilbert-transform cycle indicators (HT_DCPERIOD, HT_DCPHASE, HT_PHASOR, HT_SINE, HT_TRENDLINE,
// HT_TRENDMODE, MAMA): the batch kernels run cycle.hpp's state machines over every row; and the
// registration of SAREXT.
#include <cmath>
#include <vector>

#include "cycle.hpp"
#include "kernels.hpp"
#include "table.hpp"
#include "stream_kit.hpp"

namespace sextant::analytics::ta {
namespace {

template <class Function>
int lookback(const double*) {
  return Function::kLookback;
}

template <class Function>
void batch(const Inputs& in, const double* params, double* const* out) {
  Function f(params);
  const double* x = in.real.data();
  for (std::size_t t = 0; t < in.size(); ++t) f.row(x, t, [&](int k, double v) { out[k][t] = v; });
}

}  // namespace

void register_cycle(std::vector<FunctionDef>& fs) {
  using namespace cycle;
  using DcPhase = PhaseFamily<PhaseKind::dc_phase>;
  using Sine = PhaseFamily<PhaseKind::sine>;
  using TrendMode = PhaseFamily<PhaseKind::trend_mode>;
  const char* g = "Cycle Indicators";
  fs.push_back({"HT_DCPERIOD", g, {"real"}, {}, {"outReal"}, false, lookback<DcPeriod>, batch<DcPeriod>, streams::ht_dcperiod});
  fs.push_back({"HT_DCPHASE", g, {"real"}, {}, {"outReal"}, false, lookback<DcPhase>, batch<DcPhase>, streams::ht_dcphase});
  fs.push_back({"HT_PHASOR", g, {"real"}, {}, {"outInPhase", "outQuadrature"}, false, lookback<Phasor>, batch<Phasor>, streams::ht_phasor});
  fs.push_back({"HT_SINE", g, {"real"}, {}, {"outSine", "outLeadSine"}, false, lookback<Sine>, batch<Sine>, streams::ht_sine});
  fs.push_back({"HT_TRENDMODE", g, {"real"}, {}, {"outInteger"}, true, lookback<TrendMode>, batch<TrendMode>, streams::ht_trendmode});
  const char* o = "Overlap Studies";
  fs.push_back({"HT_TRENDLINE", o, {"real"}, {}, {"outReal"}, false, lookback<Trendline>, batch<Trendline>, streams::ht_trendline});
  fs.push_back({"MAMA", o, {"real"},
                {{"optInFastLimit", "fastlimit", 0.5, 0.01, 0.99, false},
                 {"optInSlowLimit", "slowlimit", 0.05, 0.01, 0.99, false}},
                {"outMAMA", "outFAMA"}, false, lookback<Mama>, batch<Mama>, streams::mama});
  fs.push_back({"SAREXT", o, {"high", "low"},
                {{"optInStartValue", "startvalue", 0, -3e37, 3e37, false},
                 {"optInOffsetOnReverse", "offsetonreverse", 0, 0, 3e37, false},
                 {"optInAccelerationInitLong", "accelerationinitlong", 0.02, 0, 3e37, false},
                 {"optInAccelerationLong", "accelerationlong", 0.02, 0, 3e37, false},
                 {"optInAccelerationMaxLong", "accelerationmaxlong", 0.2, 0, 3e37, false},
                 {"optInAccelerationInitShort", "accelerationinitshort", 0.02, 0, 3e37, false},
                 {"optInAccelerationShort", "accelerationshort", 0.02, 0, 3e37, false},
                 {"optInAccelerationMaxShort", "accelerationmaxshort", 0.2, 0, 3e37, false}},
                {"outReal"}, false, [](const double*) { return 1; },
                [](const Inputs& in, const double* p, double* const* out) {
                  k::parabolic_sar(in.high.data(), in.low.data(), in.size(), p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7],
                                   true, out[0]);
                }, streams::sarext});
}

}  // namespace sextant::analytics::ta
