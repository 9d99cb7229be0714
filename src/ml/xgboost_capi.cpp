// XgbBooster over libxgboost's C API. Every call is checked; XGBoost's message becomes the error.
#include "sextant/ml/xgboost_capi.hpp"

#include <xgboost/c_api.h>

#include <cmath>

#include "sextant/core/error.hpp"

namespace sextant::ml {
namespace {

void check(int rc, std::string_view what) {
  if (rc != 0) fail(ErrorCode::invalid_argument, "model", "xgboost {}: {}", what, XGBGetLastError());
}

struct Matrix {
  DMatrixHandle h = nullptr;
  ~Matrix() {
    if (h) XGDMatrixFree(h);
  }
};

std::string array_interface(const float* x, std::size_t rows, std::size_t cols) {
  return fmt::format(R"({{"data": [{}, true], "shape": [{}, {}], "typestr": "<f4", "version": 3}})",
                     reinterpret_cast<std::uintptr_t>(x), rows, cols);
}

}  // namespace

XgbBooster::XgbBooster(XgbBooster&& o) noexcept : handle_(o.handle_) { o.handle_ = nullptr; }
XgbBooster& XgbBooster::operator=(XgbBooster&& o) noexcept {
  std::swap(handle_, o.handle_);
  return *this;
}
XgbBooster::~XgbBooster() {
  if (handle_) XGBoosterFree(handle_);
}

XgbBooster XgbBooster::load(std::string_view bytes) {
  XgbBooster b;
  check(XGBoosterCreate(nullptr, 0, &b.handle_), "create");
  check(XGBoosterLoadModelFromBuffer(b.handle_, bytes.data(), bst_ulong(bytes.size())), "load");
  return b;
}

XgbBooster XgbBooster::train(const float* x, std::size_t rows, std::size_t cols, std::span<const float> labels,
                             const std::map<std::string, std::string>& params, int rounds,
                             std::span<const std::string> feature_names) {
  Matrix m;
  check(XGDMatrixCreateFromMat(x, bst_ulong(rows), bst_ulong(cols), std::nanf(""), &m.h), "matrix");
  check(XGDMatrixSetFloatInfo(m.h, "label", labels.data(), bst_ulong(labels.size())), "labels");
  if (!feature_names.empty()) {
    std::vector<const char*> names;
    for (const auto& n : feature_names) names.push_back(n.c_str());
    check(XGDMatrixSetStrFeatureInfo(m.h, "feature_name", names.data(), bst_ulong(names.size())), "feature names");
  }
  XgbBooster b;
  check(XGBoosterCreate(&m.h, 1, &b.handle_), "create");
  for (const auto& [k, v] : params) check(XGBoosterSetParam(b.handle_, k.c_str(), v.c_str()), "parameter " + k);
  for (int i = 0; i < rounds; ++i) check(XGBoosterUpdateOneIter(b.handle_, i, m.h), "training");
  return b;
}

void XgbBooster::set_param(const std::string& name, const std::string& value) const {
  check(XGBoosterSetParam(handle_, name.c_str(), value.c_str()), "parameter " + name);
}

std::string XgbBooster::save(const std::string& format) const {
  bst_ulong len = 0;
  const char* buf = nullptr;
  check(XGBoosterSaveModelToBuffer(handle_, ("{\"format\": \"" + format + "\"}").c_str(), &len, &buf), "save");
  return std::string(buf, len);
}

std::vector<float> XgbBooster::predict(const float* x, std::size_t rows, std::size_t cols) const {
  const std::string ai = array_interface(x, rows, cols);
  const char* config = R"({"type": 0, "training": false, "iteration_begin": 0, "iteration_end": 0, "strict_shape": false, "cache_id": 0, "missing": NaN})";
  const bst_ulong* shape = nullptr;
  bst_ulong dim = 0;
  const float* out = nullptr;
  check(XGBoosterPredictFromDense(handle_, ai.c_str(), config, nullptr, &shape, &dim, &out), "predict");
  std::size_t n = 1;
  for (bst_ulong i = 0; i < dim; ++i) n *= std::size_t(shape[i]);
  return std::vector<float>(out, out + n);
}

}  // namespace sextant::ml
