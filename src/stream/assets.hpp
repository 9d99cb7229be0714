#pragma once
// The dashboard's embedded files, by the path the stream engine serves them at.
#include <optional>
#include <string_view>

namespace sextant::stream {

struct Asset {
  std::string_view body;
  std::string_view content_type;
};

//! "/", "/assets/lightweight-charts.js", "/assets/echarts.js"; nullopt for anything else.
std::optional<Asset> dashboard_asset(std::string_view path);

}  // namespace sextant::stream
