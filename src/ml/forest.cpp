// XGBoost model loading (JSON/UBJSON → Forest) and prediction.
#include "sextant/ml/forest.hpp"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <type_traits>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "doc.hpp"
#include "sextant/core/error.hpp"

namespace sextant::ml {
namespace {

Link link_of(const std::string& objective, std::string_view field) {
  if (objective == "reg:squarederror" || objective == "reg:linear" || objective == "reg:pseudohubererror" ||
      objective == "reg:absoluteerror" || objective == "binary:logitraw" || objective == "reg:squaredlogerror")
    return Link::identity;
  if (objective == "binary:logistic" || objective == "reg:logistic") return Link::sigmoid;
  if (objective == "multi:softprob") return Link::softprob;
  if (objective == "multi:softmax") return Link::softmax;
  if (objective == "count:poisson" || objective == "reg:gamma" || objective == "reg:tweedie") return Link::exp;
  fail(ErrorCode::invalid_argument, std::string(field), "objective '{}' is not supported", objective);
}

// XGBoost's ProbToMargin: the base score is a probability for the logistic objectives and a mean for
// the log-link ones.
float base_margin(const std::string& objective, double base_score) {
  if (objective == "binary:logistic" || objective == "reg:logistic" || objective == "binary:logitraw")
    return float(-std::log(1.0 / base_score - 1.0));
  if (objective == "count:poisson" || objective == "reg:gamma" || objective == "reg:tweedie") return float(std::log(base_score));
  return float(base_score);
}

std::string root_field(std::string_view path) { return std::string(path.substr(0, path.find_first_of(".["))); }

template <class T>
std::vector<T> numbers(const Doc& tree, std::string_view key, std::string_view path) {
  const auto& a = tree.at(key, path).array(std::string(path) + "." + std::string(key));
  std::vector<T> v(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    const double x = a[i].number(path);
    if constexpr (std::is_integral_v<T>) {  // node links and indices: whole numbers, never an out-of-range cast
      if (!(x >= -1 && x <= 2e9 && x == std::floor(x)))
        fail(ErrorCode::invalid_argument, root_field(path), "{}.{}[{}] must be a whole number in [-1, 2e9], not {}", path, key, i, x);
    }
    v[i] = T(x);
  }
  return v;
}

void add_tree(Forest& f, const Doc& tree, const std::string& path, std::string_view field) {
  const auto left = numbers<std::int64_t>(tree, "left_children", path), right = numbers<std::int64_t>(tree, "right_children", path);
  const auto feature = numbers<std::int64_t>(tree, "split_indices", path);
  const auto cond = numbers<float>(tree, "split_conditions", path);
  const auto dleft = numbers<std::int64_t>(tree, "default_left", path);
  const auto gain = numbers<double>(tree, "loss_changes", path);
  const std::size_t n = left.size();
  if (n == 0 || right.size() != n || feature.size() != n || cond.size() != n || dleft.size() != n || gain.size() != n)
    fail(ErrorCode::invalid_argument, std::string(field), "{}: node arrays are empty or of different lengths", path);
  if (const Doc* st = tree.find("split_type"))
    for (const Doc& t : st->items)
      if (t.number(path) != 0) fail(ErrorCode::invalid_argument, std::string(field), "{}: categorical splits are not supported", path);
  // From the root, a split's children get two adjacent slots when it is reached.
  const std::uint32_t base = std::uint32_t(f.nodes.size());
  f.roots.push_back(base);
  f.nodes.push_back({});
  std::vector<std::uint32_t> slot(n, UINT32_MAX);
  slot[0] = base;
  std::vector<std::pair<std::int64_t, std::uint32_t>> todo{{0, 0}};  // (xgboost node, depth)
  std::uint32_t deepest = 0, seen = 0;
  while (!todo.empty()) {
    const auto [i, d] = todo.back();
    todo.pop_back();
    if (++seen > n) fail(ErrorCode::invalid_argument, std::string(field), "{}: the node links form a cycle", path);
    deepest = std::max(deepest, d);
    if (left[i] < 0) {
      f.nodes[slot[i]] = {cond[i], 0, slot[i], 0, 1};
      continue;
    }
    const std::int64_t l = left[i], r = right[i];
    if (l >= std::int64_t(n) || r < 0 || r >= std::int64_t(n) || slot[l] != UINT32_MAX || slot[r] != UINT32_MAX)
      fail(ErrorCode::invalid_argument, std::string(field), "{}: node {} has bad children", path, i);
    if (feature[i] < 0 || std::size_t(feature[i]) >= f.num_features)
      fail(ErrorCode::invalid_argument, std::string(field), "{}: node {} splits on feature {} of {}", path, i, feature[i], f.num_features);
    const std::uint32_t at = std::uint32_t(f.nodes.size());
    f.nodes.push_back({});
    f.nodes.push_back({});
    slot[l] = at, slot[r] = at + 1;
    f.nodes[slot[i]] = {cond[i], std::int32_t(feature[i]), at, 1, std::uint8_t(dleft[i] != 0)};
    f.total_gain[std::size_t(feature[i])] += gain[i];
    ++f.split_count[std::size_t(feature[i])];
    todo.push_back({l, d + 1});
    todo.push_back({r, d + 1});
  }
  if (deepest > 255) fail(ErrorCode::invalid_argument, std::string(field), "{}: deeper than 255 levels", path);
  f.depth.push_back(std::uint8_t(deepest));
}

// The complete-tree layout (forest.hpp) from the flattened nodes.
void build_complete(Forest& f) {
  const std::size_t deepest = f.depth.empty() ? 0 : *std::max_element(f.depth.begin(), f.depth.end());
  if (deepest > Forest::kCompleteDepth) return;
  for (std::size_t t = 0; t < f.roots.size(); ++t) {
    const std::size_t D = f.depth[t], splits = (std::size_t(1) << D) - 1;
    f.split_base.push_back(std::uint32_t(f.split_feature.size()));
    f.leaf_base.push_back(std::uint32_t(f.leaf_value.size()));
    f.split_feature.resize(f.split_feature.size() + splits, 0);
    f.split_threshold.resize(f.split_threshold.size() + splits, 0.0f);
    f.leaf_value.resize(f.leaf_value.size() + (std::size_t(1) << D), 0.0f);
    // Walk (node, complete position, level); a leaf above D fills every position below it.
    struct Item {
      std::uint32_t node;
      std::size_t pos, level;
    };
    std::vector<Item> todo{{f.roots[t], 0, 0}};
    while (!todo.empty()) {
      const Item it = todo.back();
      todo.pop_back();
      const ForestNode& n = f.nodes[it.node];
      if (it.level == D) {
        f.leaf_value[f.leaf_base[t] + (it.pos - splits)] = n.value;
        continue;
      }
      const bool split = n.split;
      f.split_feature[f.split_base[t] + it.pos] = split ? n.feature : 0;
      f.split_threshold[f.split_base[t] + it.pos] = split ? n.value : 0.0f;  // a copied leaf: both halves agree
      todo.push_back({split ? n.left : it.node, 2 * it.pos + 1, it.level + 1});
      todo.push_back({split ? n.left + 1 : it.node, 2 * it.pos + 2, it.level + 1});
    }
  }
  f.complete = true;
}

#if defined(__x86_64__)
// GCC 12 warns inside its own AVX-512 intrinsics (an undefined pass-through operand it creates).
#if !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
// The complete-tree walk, kLanes rows in four zmm registers: per level three gathers (split feature,
// threshold, feature value) and a masked add; four independent chains hide the gathers' latency and
// the margins stay in registers across all trees. Float adds in tree order, as the scalar path, so
// both give the same bits. One-output forests only.
constexpr std::size_t kVectors = 4, kLanes = 16 * kVectors;

__attribute__((target("avx512f"))) inline __m512i gather_i(__m512i idx, const std::int32_t* base) {
  return _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), __mmask16(0xFFFF), idx, base, 4);
}
__attribute__((target("avx512f"))) inline __m512 gather_f(__m512i idx, const float* base) {
  return _mm512_mask_i32gather_ps(_mm512_setzero_ps(), __mmask16(0xFFFF), idx, base, 4);
}

__attribute__((target("avx512f"))) void complete_avx512(const Forest& f, const float* x, std::size_t stride, float* margin) {
  const __m512i lanes = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                           _mm512_set1_epi32(int(stride)));
  const __m512i one = _mm512_set1_epi32(1);
  __m512 acc[kVectors];
  for (auto& a : acc) a = _mm512_set1_ps(f.base_margin);
  for (std::size_t t = 0; t < f.roots.size(); ++t) {
    const std::size_t D = f.depth[t];
    const std::int32_t* feat = f.split_feature.data() + f.split_base[t];
    const float* thr = f.split_threshold.data() + f.split_base[t];
    const float* leaves = f.leaf_value.data() + f.leaf_base[t];
    __m512i idx[kVectors];
    for (auto& i : idx) i = _mm512_setzero_si512();
    if (D <= 4) {
      // At most 15 splits and 16 leaves: each fits one register, and a permute looks a node up.
      const __mmask16 splits = __mmask16((1u << ((1u << D) - 1)) - 1), leaf_mask = __mmask16((1u << (1u << D)) - 1);
      const __m512i fr = _mm512_maskz_loadu_epi32(splits, feat);
      const __m512 tr = _mm512_maskz_loadu_ps(splits, thr);
      const __m512 lr = _mm512_maskz_loadu_ps(leaf_mask, leaves);
      for (std::size_t d = 0; d < D; ++d)
        for (std::size_t v = 0; v < kVectors; ++v) {
          const __m512 xv = gather_f(_mm512_add_epi32(lanes, _mm512_permutexvar_epi32(idx[v], fr)), x + v * 16 * stride);
          const __mmask16 ge = _mm512_cmp_ps_mask(xv, _mm512_permutexvar_ps(idx[v], tr), _CMP_GE_OQ);
          idx[v] = _mm512_add_epi32(_mm512_add_epi32(idx[v], idx[v]), one);
          idx[v] = _mm512_mask_add_epi32(idx[v], ge, idx[v], one);
        }
      const __m512i first_leaf = _mm512_set1_epi32(int((1u << D) - 1));
      for (std::size_t v = 0; v < kVectors; ++v)
        acc[v] = _mm512_add_ps(acc[v], _mm512_permutexvar_ps(_mm512_sub_epi32(idx[v], first_leaf), lr));
      continue;
    }
    for (std::size_t d = 0; d < D; ++d)
      for (std::size_t v = 0; v < kVectors; ++v) {
        const __m512i fv = gather_i(idx[v], feat);
        const __m512 tv = gather_f(idx[v], thr);
        const __m512 xv = gather_f(_mm512_add_epi32(lanes, fv), x + v * 16 * stride);
        const __mmask16 ge = _mm512_cmp_ps_mask(xv, tv, _CMP_GE_OQ);
        idx[v] = _mm512_add_epi32(_mm512_add_epi32(idx[v], idx[v]), one);
        idx[v] = _mm512_mask_add_epi32(idx[v], ge, idx[v], one);
      }
    const float* from_first = leaves - ((std::size_t(1) << D) - 1);
    for (std::size_t v = 0; v < kVectors; ++v) acc[v] = _mm512_add_ps(acc[v], gather_f(idx[v], from_first));
  }
  for (std::size_t v = 0; v < kVectors; ++v) _mm512_storeu_ps(margin + 16 * v, acc[v]);
}

#if !defined(__clang__)
#pragma GCC diagnostic pop
#endif

bool have_avx512() {
  static const bool yes = __builtin_cpu_supports("avx512f");
  return yes;
}
#endif

inline float leaf(const Forest& f, std::uint32_t root, const float* x) {
  const ForestNode* n = f.nodes.data();
  std::uint32_t i = root;
  while (n[i].split) {
    const float v = x[n[i].feature];
    const bool right = std::isnan(v) ? !n[i].default_left : !(v < n[i].value);
    i = n[i].left + right;
  }
  return n[i].value;
}

// Margins to the objective's outputs (width() per row).
double finish(const Forest& f, const float* m, double* out, double* probs) {
  switch (f.link) {
    case Link::identity: return out[0] = m[0];
    case Link::exp: return out[0] = std::exp(double(m[0]));
    case Link::sigmoid: {
      const double p = 1.0 / (1.0 + std::exp(-double(m[0])));
      if (probs) probs[0] = 1 - p, probs[1] = p;
      return out[0] = p;
    }
    case Link::softprob:
    case Link::softmax: {
      const float top = *std::max_element(m, m + f.num_class);
      double s = 0;
      double tmp[64];
      double* p = f.link == Link::softprob ? out : (probs ? probs : tmp);
      for (std::size_t k = 0; k < f.num_class; ++k) s += p[k] = std::exp(double(m[k] - top));
      for (std::size_t k = 0; k < f.num_class; ++k) p[k] /= s;
      if (probs && p != probs) std::copy(p, p + f.num_class, probs);
      const std::size_t best = std::size_t(std::max_element(m, m + f.num_class) - m);
      if (f.link == Link::softmax) return out[0] = double(best);
      return p[best];
    }
  }
  return 0;
}

}  // namespace

std::vector<double> Forest::importance() const {
  std::vector<double> v(total_gain.size(), 0.0);
  double s = 0;
  for (std::size_t j = 0; j < v.size(); ++j) s += v[j] = split_count[j] ? total_gain[j] / split_count[j] : 0.0;
  if (s > 0)
    for (double& x : v) x /= s;
  return v;
}

Forest load_xgboost(std::string_view bytes, std::string_view field) {
  // JSON and UBJSON objects both open with '{'; JSON's first member starts with a quote.
  const std::size_t first = bytes.find_first_not_of(" \t\r\n");
  const std::size_t second = first == std::string_view::npos ? first : bytes.find_first_not_of(" \t\r\n", first + 1);
  const bool json = second != std::string_view::npos && bytes[first] == '{' && bytes[second] == '"';
  const Doc doc = json ? parse_json_doc(bytes, field) : parse_ubjson_doc(bytes, field);
  const std::string f0(field);
  const Doc& learner = doc.at("learner", f0);
  const Doc& param = learner.at("learner_model_param", f0 + ".learner");
  const Doc& booster = learner.at("gradient_booster", f0 + ".learner");
  const Doc& name = booster.at("name", f0 + ".learner.gradient_booster");
  if (name.s != "gbtree") fail(ErrorCode::invalid_argument, f0, "booster '{}' is not supported (gbtree is)", name.s);
  Forest f;
  f.objective = learner.at("objective", f0 + ".learner").at("name", f0 + ".learner.objective").s;
  f.link = link_of(f.objective, field);
  const double nf = param.at("num_feature", f0).number(f0 + ".num_feature");
  if (!(nf >= 1 && nf <= 1e6)) fail(ErrorCode::invalid_argument, f0, "num_feature must be in [1, 1e6]");
  f.num_features = std::size_t(nf);
  const double nc = param.at("num_class", f0).number(f0 + ".num_class");
  if (!(nc >= 0 && nc <= 64)) fail(ErrorCode::invalid_argument, f0, "num_class must be in [0, 64]");
  f.num_class = nc >= 2 ? std::size_t(nc) : 1;
  if ((f.link == Link::softprob || f.link == Link::softmax) != (f.num_class > 1))
    fail(ErrorCode::invalid_argument, f0, "objective {} with num_class {}", f.objective, nc);
  if (const Doc* t = param.find("num_target"); t && t->number(f0) > 1)
    fail(ErrorCode::invalid_argument, f0, "multi-target models are not supported");
  f.base_margin = base_margin(f.objective, param.at("base_score", f0).number(f0 + ".base_score"));
  if (const Doc* names = learner.find("feature_names"))
    for (const Doc& n : names->items) f.feature_names.push_back(n.s);
  if (!f.feature_names.empty() && f.feature_names.size() != f.num_features)
    fail(ErrorCode::invalid_argument, f0, "{} feature names for {} features", f.feature_names.size(), f.num_features);
  f.total_gain.assign(f.num_features, 0.0);
  f.split_count.assign(f.num_features, 0);
  const Doc& model = booster.at("model", f0 + ".learner.gradient_booster");
  const auto& trees = model.at("trees", f0 + ".model").array(f0 + ".model.trees");
  const auto& info = model.at("tree_info", f0 + ".model").array(f0 + ".model.tree_info");
  if (info.size() != trees.size()) fail(ErrorCode::invalid_argument, f0, "tree_info has {} entries for {} trees", info.size(), trees.size());
  for (std::size_t t = 0; t < trees.size(); ++t) {
    const std::string path = f0 + ".trees[" + std::to_string(t) + "]";
    add_tree(f, trees[t], path, field);
    const double c = info[t].number(path);
    if (!(c >= 0 && c < double(f.num_class))) fail(ErrorCode::invalid_argument, std::string(field), "{}: class {} of {}", path, c, f.num_class);
    f.tree_class.push_back(std::uint32_t(c));
  }
  build_complete(f);
  return f;
}

double predict_one(const Forest& f, const float* x, double* probs) {
  float m[64];
  std::fill(m, m + f.num_class, f.base_margin);
  if (f.num_class == 1) {
    float s = f.base_margin;
    for (std::uint32_t r : f.roots) s += leaf(f, r, x);
    m[0] = s;
  } else {
    for (std::size_t t = 0; t < f.roots.size(); ++t) m[f.tree_class[t]] += leaf(f, f.roots[t], x);
  }
  double out[64];
  return finish(f, m, out, probs);
}

void predict(const Forest& f, const float* x, std::size_t rows, std::size_t stride, double* out) {
  constexpr std::size_t kBlock = 64;  // rows walking a tree together: independent loads overlap
  const std::size_t w = f.width(), C = f.num_class;
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, (rows + kBlock - 1) / kBlock, 8), [&](const auto& range) {
    std::vector<float> m(kBlock * C);
    std::uint32_t idx[kBlock];
    const ForestNode* nodes = f.nodes.data();
    for (std::size_t b = range.begin(); b < range.end(); ++b) {
      const std::size_t r0 = b * kBlock, n = std::min(kBlock, rows - r0);
      std::fill(m.begin(), m.end(), f.base_margin);
      bool finite = f.complete;
      for (std::size_t r = 0; r < n && finite; ++r)
        for (std::size_t j = 0; j < f.num_features; ++j) finite &= !std::isnan(x[(r0 + r) * stride + j]);
#if defined(__x86_64__)
      if (finite && C == 1 && n == kLanes && have_avx512() && std::size_t(f.num_features) <= stride &&
          (kLanes - 1) * stride + f.num_features < (std::size_t(1) << 31)) {
        complete_avx512(f, x + r0 * stride, stride, m.data());
        for (std::size_t r = 0; r < n; ++r) finish(f, &m[r], out + (r0 + r) * w, nullptr);
        continue;
      }
#endif
      if (finite) {  // complete trees: D branch-free steps per row, 32 rows in flight
        const std::int32_t* feat = f.split_feature.data();
        const float* thr = f.split_threshold.data();
        for (std::size_t t = 0; t < f.roots.size(); ++t) {
          const std::size_t D = f.depth[t], sb = f.split_base[t], lb = f.leaf_base[t], c = f.tree_class[t];
          for (std::size_t r = 0; r < n; ++r) idx[r] = 0;
          for (std::size_t d = 0; d < D; ++d)
            for (std::size_t r = 0; r < n; ++r) {
              const std::size_t i = sb + idx[r];
              idx[r] = 2 * idx[r] + 1 + std::uint32_t(x[(r0 + r) * stride + std::size_t(feat[i])] >= thr[i]);
            }
          const std::size_t first_leaf = (std::size_t(1) << D) - 1;
          for (std::size_t r = 0; r < n; ++r) m[r * C + c] += f.leaf_value[lb + idx[r] - first_leaf];
        }
        for (std::size_t r = 0; r < n; ++r) finish(f, &m[r * C], out + (r0 + r) * w, nullptr);
        continue;
      }
      for (std::size_t t = 0; t < f.roots.size(); ++t) {
        for (std::size_t r = 0; r < n; ++r) idx[r] = f.roots[t];
        for (std::uint8_t d = 0; d < f.depth[t]; ++d)
          for (std::size_t r = 0; r < n; ++r) {
            const ForestNode& nd = nodes[idx[r]];
            const float v = x[(r0 + r) * stride + std::size_t(nd.feature)];
            const bool right = std::isnan(v) ? !nd.default_left : !(v < nd.value);
            idx[r] = nd.left + (right & nd.split);
          }
        const std::size_t c = f.tree_class[t];
        for (std::size_t r = 0; r < n; ++r) m[r * C + c] += nodes[idx[r]].value;
      }
      for (std::size_t r = 0; r < n; ++r) finish(f, &m[r * C], out + (r0 + r) * w, nullptr);
    }
  });
}

}  // namespace sextant::ml
