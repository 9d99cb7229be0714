// libFuzzer: base64 decoding, and base64 matrices ({"rows","cols","data_base64"}) through read_matrix:
// sizes that do not fit, padding in the wrong place, NaN/Inf bytes, rows × cols that overflow.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <simdjson.h>

#include "sextant/core/error.hpp"
#include "sextant/core/base64.hpp"
#include "sextant/service/fields.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sextant;
  if (size < 2) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 2, size - 2);
  if (auto n = base64_decoded_size(text)) {
    std::vector<unsigned char> out(*n);
    base64_decode(text, out.data());
  }
  // The first two bytes choose the declared shape.
  const unsigned rows = data[0] % 17, cols = data[1] % 13;
  net::Request req;
  req.body = R"({"matrix":{"rows":)" + std::to_string(rows) + R"(,"cols":)" + std::to_string(cols) + R"(,"data_base64":")";
  for (char c : text) req.body += (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20) ? 'A' : c;
  req.body += "\"}}";
  req.body.reserve(req.body.size() + simdjson::SIMDJSON_PADDING);
  std::optional<Matrix> m;
  service::Fields in;
  in.opt("matrix", m, net::Nulls::as_nan);
  try {
    in.read(req, "/fuzz");
    if (m && m->rows() * m->cols() != rows * cols) __builtin_trap();  // a decoded matrix has its declared shape
  } catch (const Error&) {
  } catch (const simdjson::simdjson_error&) {
  }
  return 0;
}
