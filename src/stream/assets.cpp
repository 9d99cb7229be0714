// The dashboard's static files, embedded at build time (src/CMakeLists.txt): its page and the npm chart
// libraries it loads. Their own translation unit, so the 1.3 MB of JavaScript compiles once.
#include "assets.hpp"

#include "asset_echarts.hpp"
#include "asset_lightweight_charts.hpp"
#include "dashboard_html.hpp"

namespace sextant::stream {

std::optional<Asset> dashboard_asset(std::string_view path) {
  if (path == "/") return Asset{kDashboardHtml, "text/html; charset=utf-8"};
  if (path == "/assets/lightweight-charts.js") return Asset{kLightweightChartsJs, "text/javascript; charset=utf-8"};
  if (path == "/assets/echarts.js") return Asset{kEchartsJs, "text/javascript; charset=utf-8"};
  return std::nullopt;
}

}  // namespace sextant::stream
