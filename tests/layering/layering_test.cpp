// The layering of src/ and include/ (src/README.md): dependencies point one way,
//   core <- accel <- engine libraries <- net <- bus <- service, engine adapters <- app,
// and an engine library is pure computation: no net, no service, no bus but its plain vocabulary
// (bus/topics.hpp, bus/publisher.hpp), no simdjson, Beast or Asio. Every #include of every file is
// checked; the mutation examples show a bad include failing the check.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace sextant::test {
namespace {

namespace fs = std::filesystem;

// Each component's level; a file may include components at its own level or below.
const std::map<std::string, int> kLevel = {{"core", 0},   {"accel", 1},     {"data", 2}, {"analytics", 2},
                                           {"risk", 2},   {"portfolio", 2}, {"features", 2}, {"ml", 2},
                                           {"net", 3},    {"bus", 4},       {"service", 5}, {"stream", 5},
                                           {"validate", 5}, {"app", 6}};
// Engine libraries that may use another's library (the edges docs/architecture.md gives a reason for).
const std::multimap<std::string, std::string> kEngineEdges = {{"risk", "analytics"}, {"portfolio", "analytics"}, {"features", "analytics"},
                                                               {"ml", "portfolio"}, {"ml", "features"}};
// The bus headers an engine library may include: plain structs and an interface, no JSON, no network.
const char* kBusVocabulary[] = {"sextant/bus/topics.hpp", "sextant/bus/publisher.hpp"};

// Model files are JSON documents (XGBoost's own format, and Sextant's saved models): ml's document
// reader is the one engine-library file that parses JSON.
const char* kModelReaders[] = {"src/ml/doc.cpp"};

bool is_engine(const std::string& c) { return kLevel.count(c) && kLevel.at(c) == 2 && c != "data"; }

// An engine's adapter files (its routes.cpp and the JSON helpers beside it) belong to the service layer.
bool is_adapter(const fs::path& p) {
  const std::string name = p.filename().string();
  return name.rfind("routes", 0) == 0 || name.find("_json.") != std::string::npos;
}

// The component of a repository path: src/<c>/..., include/sextant/<c>/...; empty for anything else.
std::string component_of(const fs::path& rel) {
  auto it = rel.begin();
  if (it == rel.end()) return {};
  if (*it == "src") return ++it == rel.end() ? std::string() : it->string();
  if (*it == "include" && ++it != rel.end() && *it == "sextant") return ++it == rel.end() ? std::string() : it->string();
  return {};
}

struct Violation {
  std::string file, include, why;
};

std::vector<Violation> check_file(const fs::path& rel, const std::string& text) {
  std::vector<Violation> out;
  const std::string comp = component_of(rel);
  if (!kLevel.count(comp)) return out;
  const bool library = is_engine(comp) && !is_adapter(rel);
  const int level = is_engine(comp) && !library ? kLevel.at("service") : kLevel.at(comp);
  static const std::regex include_re(R"(^\s*#\s*include\s*[<"]([^>"]+)[>"])");
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::smatch m;
    if (!std::regex_search(line, m, include_re)) continue;
    const std::string inc = m[1];
    auto bad = [&](std::string why) { out.push_back({rel.string(), inc, std::move(why)}); };
    if (library) {
      const bool reader = std::find(std::begin(kModelReaders), std::end(kModelReaders), rel.string()) != std::end(kModelReaders);
      if ((inc.rfind("simdjson", 0) == 0 && !reader) || inc.rfind("boost/beast", 0) == 0 || inc.rfind("boost/asio", 0) == 0)
        bad("an engine library is pure computation: no JSON parser, no sockets");
      if (inc.rfind("sextant/bus/", 0) == 0 && std::find(std::begin(kBusVocabulary), std::end(kBusVocabulary), inc) == std::end(kBusVocabulary))
        bad("an engine library publishes through bus/publisher.hpp, never the bus itself");
    }
    if (inc.rfind("sextant/", 0) != 0) continue;
    const std::string target = component_of(fs::path("include") / inc);
    if (!kLevel.count(target)) {
      bad("no such component");
      continue;
    }
    if (target == comp) continue;
    const bool vocabulary = std::find(std::begin(kBusVocabulary), std::end(kBusVocabulary), inc) != std::end(kBusVocabulary);
    if (vocabulary && kLevel.at(comp) >= kLevel.at("accel")) continue;
    if (library && is_engine(target)) {
      bool edge = false;
      for (auto [a, b] = kEngineEdges.equal_range(comp); a != b; ++a) edge |= a->second == target;
      if (!edge) bad("an engine library may use another only along a documented edge");
      continue;
    }
    if (kLevel.at(target) > level) bad("includes a layer above its own (" + comp + " -> " + target + ")");
  }
  return out;
}

std::vector<Violation> check_tree(const fs::path& root) {
  std::vector<Violation> out;
  for (const char* top : {"src", "include"})
    for (const auto& e : fs::recursive_directory_iterator(root / top)) {
      const auto ext = e.path().extension();
      if (!e.is_regular_file() || (ext != ".cpp" && ext != ".hpp" && ext != ".cu")) continue;
      std::ifstream f(e.path());
      std::stringstream ss;
      ss << f.rdbuf();
      auto v = check_file(fs::relative(e.path(), root), ss.str());
      out.insert(out.end(), v.begin(), v.end());
    }
  return out;
}

std::string describe(const std::vector<Violation>& v) {
  std::string s;
  for (const auto& x : v) s += x.file + ": #include <" + x.include + ">: " + x.why + "\n";
  return s;
}

TEST(Layering, TheTreeKeepsTheOrder) {
  const fs::path root = SEXTANT_SOURCE_DIR;
  ASSERT_TRUE(fs::exists(root / "src" / "risk" / "var.cpp")) << root;
  auto v = check_tree(root);
  EXPECT_TRUE(v.empty()) << describe(v);
}

// Mutation examples: each bad include, added to a real file, fails the check.
TEST(Layering, ABadIncludeFailsTheCheck) {
  const fs::path root = SEXTANT_SOURCE_DIR;
  std::ifstream f(root / "src/risk/var.cpp");
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string var = ss.str();
  ASSERT_TRUE(check_file("src/risk/var.cpp", var).empty());
  for (const char* inc : {"#include \"sextant/net/json.hpp\"", "#include <simdjson.h>", "#include <boost/beast/http.hpp>",
                          "#include \"sextant/bus/bus.hpp\"", "#include \"sextant/service/fields.hpp\"",
                          "#include \"sextant/portfolio/qp.hpp\"", "#include \"sextant/app/serve.hpp\""})
    EXPECT_FALSE(check_file("src/risk/var.cpp", var + inc + "\n").empty()) << inc;
  // Up the order from below the engines, and from net to the bus or the service layer.
  EXPECT_FALSE(check_file("include/sextant/core/matrix.hpp", "#include \"sextant/accel/ops.hpp\"\n").empty());
  EXPECT_FALSE(check_file("src/accel/cpu.cpp", "#include \"sextant/risk/var.hpp\"\n").empty());
  EXPECT_FALSE(check_file("src/net/json.cpp", "#include \"sextant/bus/bus.hpp\"\n").empty());
  EXPECT_FALSE(check_file("src/bus/inproc.cpp", "#include \"sextant/service/route.hpp\"\n").empty());
  // What is allowed: an adapter uses net and the bus; a library the bus vocabulary and its edges.
  EXPECT_TRUE(check_file("src/risk/routes.cpp", "#include \"sextant/net/json.hpp\"\n#include \"sextant/bus/codec.hpp\"\n").empty());
  EXPECT_TRUE(check_file("src/risk/margin.cpp", "#include \"sextant/bus/publisher.hpp\"\n#include \"sextant/analytics/covariance.hpp\"\n").empty());
}

}  // namespace
}  // namespace sextant::test
