#pragma once
// Gradient-boosted trees as Sextant evaluates them: XGBoost models (JSON or UBJSON, as Python xgboost
// 1.7 saves them) flattened into one node array. Prediction follows XGBoost: float32 features, a split
// sends x < threshold left, a NaN goes the node's default way, margins add up in float32 from the base
// margin, then the objective's link (sigmoid, softmax, exp) applies.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sextant::ml {

//! How an objective turns a margin into a prediction.
enum class Link : std::uint8_t {
  identity,  //!< reg:squarederror, reg:pseudohubererror, reg:absoluteerror, binary:logitraw
  sigmoid,   //!< binary:logistic, reg:logistic: the positive-class probability
  softprob,  //!< multi:softprob: class probabilities
  softmax,   //!< multi:softmax: the class index
  exp,       //!< count:poisson, reg:gamma, reg:tweedie
};

//! One node. Children are adjacent (right = left + 1) so a step is `i = left + went_right`. A leaf
//! points at itself and never goes right, so rows can walk a tree in lock-step for a fixed depth.
struct ForestNode {
  float value;             //!< split threshold, or the leaf value
  std::int32_t feature;    //!< split feature (0 for a leaf)
  std::uint32_t left;      //!< left child, or this node for a leaf
  std::uint8_t split;      //!< 1 for a split, 0 for a leaf
  std::uint8_t default_left;
  std::uint16_t pad = 0;
};

struct Forest {
  std::vector<ForestNode> nodes;
  std::vector<std::uint32_t> roots;       //!< one per tree
  std::vector<std::uint8_t> depth;        //!< steps from the root to the deepest leaf, per tree
  std::vector<std::uint32_t> tree_class;  //!< the output each tree adds to
  std::size_t num_features = 0;
  std::size_t num_class = 1;              //!< margins per row
  float base_margin = 0;
  std::string objective;                  //!< XGBoost's name, e.g. "binary:logistic"
  Link link = Link::identity;
  std::vector<std::string> feature_names; //!< as saved, or empty
  //! Complete trees, for forests no deeper than kCompleteDepth and rows without NaN (the batch fast
  //! path): each tree padded to its depth D (a leaf above D is copied into both halves below it), its
  //! 2^D - 1 splits in level order (children of i at 2i+1, 2i+2) and its 2^D leaves after them. A row
  //! takes D steps of `i = 2i + 1 + (x[f] >= t)` with no leaf test and no branch.
  static constexpr std::size_t kCompleteDepth = 8;
  bool complete = false;
  std::vector<std::int32_t> split_feature;  //!< complete trees' splits, all trees
  std::vector<float> split_threshold;
  std::vector<float> leaf_value;            //!< complete trees' leaves, all trees
  std::vector<std::uint32_t> split_base, leaf_base;  //!< per tree
  std::vector<double> total_gain;         //!< per feature: the loss reduction of its splits, summed
  std::vector<std::uint32_t> split_count; //!< per feature

  //! Values per row from predict(): the class probabilities for softprob, else 1.
  std::size_t width() const { return link == Link::softprob ? num_class : 1; }
  bool classifier() const { return link == Link::sigmoid || link == Link::softprob || link == Link::softmax; }
  //! XGBoost's "gain" importance (the mean gain of a feature's splits), normalised to sum to 1.
  std::vector<double> importance() const;
};

//! Loads an XGBoost model saved as JSON (first byte '{') or UBJSON. Throws invalid_argument naming
//! `field` for anything malformed or unsupported (dart, categorical splits, vector leaves).
Forest load_xgboost(std::string_view bytes, std::string_view field);

//! Predictions for `rows` rows of num_features float32 values each (row-major, stride `stride`):
//! width() values per row into `out`. Rows are split across threads in blocks that walk each tree in
//! lock-step.
void predict(const Forest& f, const float* x, std::size_t rows, std::size_t stride, double* out);
//! One row, on the calling thread: the prediction (the positive-class probability, the class index
//! for softmax); `probs`, when given, receives num_class probabilities for softprob (or 2 for sigmoid).
double predict_one(const Forest& f, const float* x, double* probs = nullptr);

}  // namespace sextant::ml
