#pragma once
// libxgboost (the C API of XGBoost 1.7) for what Sextant does not do itself: training, and the
// reference predictions its own evaluator (forest.hpp) is tested and benchmarked against.
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace sextant::ml {

//! A booster held by libxgboost.
class XgbBooster {
 public:
  //! Loads a model saved as JSON or UBJSON.
  static XgbBooster load(std::string_view bytes);
  //! Trains: XGBoost's own parameter names and values; `rounds` boosting rounds.
  static XgbBooster train(const float* x, std::size_t rows, std::size_t cols, std::span<const float> labels,
                          const std::map<std::string, std::string>& params, int rounds,
                          std::span<const std::string> feature_names = {});
  XgbBooster(XgbBooster&&) noexcept;
  XgbBooster& operator=(XgbBooster&&) noexcept;
  ~XgbBooster();

  //! XGBoosterSetParam (e.g. "nthread").
  void set_param(const std::string& name, const std::string& value) const;
  //! "json" or "ubj".
  std::string save(const std::string& format) const;
  //! XGBoosterPredictFromDense: the transformed predictions, row-major (rows × outputs).
  std::vector<float> predict(const float* x, std::size_t rows, std::size_t cols) const;

 private:
  XgbBooster() = default;
  void* handle_ = nullptr;
};

}  // namespace sextant::ml
