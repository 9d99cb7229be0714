// libFuzzer: factor expressions through the parser, the compiler (canonical form, which must parse back
// to the same node) and the batch evaluator on a small two-instrument panel, every row and the last
// one. Anything but an Error with a code is a finding, and so is a canonical form that does not round-trip.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "sextant/core/error.hpp"
#include "sextant/features/compiler.hpp"
#include "sextant/features/evaluate.hpp"

namespace {

const sextant::features::FieldPanel& panel() {
  static const sextant::features::FieldPanel p = [] {
    sextant::features::FieldPanel f;
    f.rows = 12;
    f.instruments = {"A", "B"};
    for (const char* name : {"open", "high", "low", "close", "volume", "sector"}) {
      auto& v = f.fields[name];
      for (std::size_t i = 0; i < 24; ++i) v.push_back(name[0] == 's' ? double(i % 2) : 10 + std::sin(double(i) * 0.9) + (i % 5 == 3 ? NAN : 0));
    }
    return f;
  }();
  return p;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sextant::features;
  const std::string source(reinterpret_cast<const char*>(data), size);
  try {
    Program p;
    const NodeId id = p.add(source);
    const std::string canonical = p.canonical(id);
    if (p.add(canonical) != id) std::abort();  // the canonical form is not canonical
    EvalOptions all, last;
    last.last_only = true;
    const auto a = evaluate(p, std::span<const NodeId>(&id, 1), panel(), all);
    const auto b = evaluate(p, std::span<const NodeId>(&id, 1), panel(), last);
    if (a.cells() != 24 || b.cells() != 2) std::abort();
  } catch (const sextant::Error&) {
  }
  return 0;
}
