// libFuzzer: model files. Bytes go to the XGBoost loader (JSON or UBJSON) and, when they load, through
// both evaluators on a few rows (with NaN); and to Sextant's own model file reader. Anything but an
// Error with a code is a finding, and so is a batch prediction that differs from the single-row one.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <vector>

#include "sextant/core/error.hpp"
#include "sextant/ml/forest.hpp"
#include "sextant/ml/model.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  try {
    const auto f = sextant::ml::load_xgboost(bytes, "model");
    const std::size_t rows = 70;  // past one 64-row block
    std::vector<float> x(rows * f.num_features);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = i % 7 == 3 ? NAN : float(std::sin(double(i)));
    std::vector<double> batch(rows * f.width());
    sextant::ml::predict(f, x.data(), rows, f.num_features, batch.data());
    for (std::size_t r = 0; r < rows; ++r) {
      const double one = sextant::ml::predict_one(f, &x[r * f.num_features]);
      const double b = f.width() == 1 ? batch[r] : one;  // softprob: predict_one answers the top probability
      if (!(one == b || (std::isnan(one) && std::isnan(b)))) std::abort();
    }
  } catch (const sextant::Error&) {
  }
  try {
    sextant::ml::load_model(bytes, "model");
  } catch (const sextant::Error&) {
  }
  return 0;
}
