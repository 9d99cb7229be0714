// Alpha360 as Qlib defines it (qlib/contrib/data/loader.py, Alpha360DL): the last 60 days of each
// price field relative to today's close, and of volume relative to today's volume.
#include <string>

#include "sextant/features/catalogue.hpp"

namespace sextant::features {

std::vector<Factor> alpha360() {
  std::vector<Factor> out;
  struct Field {
    const char* name;
    const char* expr;
    const char* base;
  };
  static constexpr Field fields[] = {{"CLOSE", "$close", "$close"}, {"OPEN", "$open", "$close"}, {"HIGH", "$high", "$close"},
                                     {"LOW", "$low", "$close"},     {"VWAP", "$vwap", "$close"}, {"VOLUME", "$volume", "($volume+1e-12)"}};
  for (const Field& f : fields) {
    const std::string relative = std::string(" relative to today's ") + (f.base[1] == 'c' ? "close" : "volume");
    for (int d = 59; d >= 0; --d) {
      const std::string expr = d ? "Ref(" + std::string(f.expr) + ", " + std::to_string(d) + ")/" + f.base : std::string(f.expr) + "/" + f.base;
      const std::string what = std::string(f.expr + 1) + (d ? " " + std::to_string(d) + " days ago" : " today") + relative;
      out.push_back({"alpha360." + std::string(f.name) + std::to_string(d), "alpha360", expr, what});
    }
  }
  return out;
}

}  // namespace sextant::features
