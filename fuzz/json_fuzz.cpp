// libFuzzer: request bodies through the JSON reader and service::Fields, as a handler reads them
// (numbers, integers in a range, strings, vectors, matrices in every form, nested objects and arrays of
// objects, unknown fields). Anything but an Error with a code is a finding.
#include <cstddef>
#include <cstdint>
#include <string>

#include <simdjson.h>

#include "sextant/core/error.hpp"
#include "sextant/service/fields.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sextant;
  net::Request req;
  req.body.reserve(size + simdjson::SIMDJSON_PADDING);
  req.body.assign(reinterpret_cast<const char*>(data), size);
  double number = 0;
  std::optional<std::int64_t> count;
  std::string name;
  std::vector<double> vector;
  std::vector<std::string> names;
  std::optional<Matrix> matrix, with_nulls;
  std::map<std::string, double> map;
  std::vector<std::pair<std::string, std::string>> pairs;
  std::vector<double> mins;
  service::Fields in;
  in.opt("number", number).opt("count", count, service::IntRange{-5, 1'000'000}).opt("name", name);
  in.opt("vector", vector).opt("names", names).opt("matrix", matrix).opt("nulls", with_nulls, net::Nulls::as_nan);
  in.opt("map", map).opt("pairs", pairs).alias("old", "number");
  in.object("nested", [&](service::Fields& f) { f.opt("number", number).opt("matrix", matrix); });
  in.objects("list", [&](service::Fields& f, std::size_t) { f.req("min", mins.emplace_back()); });
  try {
    in.read(req, "/fuzz");
  } catch (const Error&) {
    // a clear error naming the field: the expected outcome for bad input
  } catch (const simdjson::simdjson_error&) {
    // malformed JSON the service layer turns into a 400
  }
  return 0;
}
