#include "sextant/net/json.hpp"

#include <fmt/compile.h>
#include <fmt/format.h>
#include <tbb/parallel_for.h>

#include <bit>
#include <iterator>
#include <optional>

#include "sextant/core/error.hpp"
#include "sextant/core/base64.hpp"

namespace sextant::net {

namespace {

thread_local od::parser t_parser;

[[noreturn]] void bad_type(std::string_view field, std::string_view want) {
  fail(ErrorCode::invalid_argument, std::string(field), "'{}' must be {}", field, want);
}

// Runs f, turning simdjson's exceptions into errors that name the field.
template <class F>
auto guarded(std::string_view field, std::string_view want, F&& f) {
  try {
    return f();
  } catch (const simdjson::simdjson_error& e) {
    // simdjson reports 1e400 as a number error: say so, not that the field has the wrong shape.
    if (e.error() == simdjson::NUMBER_ERROR || e.error() == simdjson::NUMBER_OUT_OF_RANGE)
      fail(ErrorCode::non_finite, std::string(field),
           "'{}' holds a number out of the double range (beyond ±1.8e308) or not a valid JSON number", field);
    if (e.error() == simdjson::INCORRECT_TYPE) bad_type(field, want);
    fail(ErrorCode::invalid_json, std::string(field), "malformed JSON at '{}': {}", field, e.what());
  }
}

// Shortest round-trip digits (fmt's Dragonbox), or null: JSON has no NaN or Inf. Formatting into a
// stack buffer with a compiled format string is ~1.8x faster here than format_to(back_inserter(out)).
void append_number(std::string& out, double v) {
  if (!std::isfinite(v)) {
    out.append("null");
    return;
  }
  char buf[32];
  out.append(buf, fmt::format_to(buf, FMT_COMPILE("{}"), v));
}

// Rows [r0, r1) of m as [a,b,...],[c,d,...] (a comma before each row but row 0 of m).
void append_rows(std::string& out, MatrixView m, std::size_t r0, std::size_t r1) {
  for (std::size_t i = r0; i < r1; ++i) {
    if (i) out.push_back(',');
    out.push_back('[');
    for (std::size_t j = 0; j < m.cols; ++j) {
      if (j) out.push_back(',');
      append_number(out, m(i, j));
    }
    out.push_back(']');
  }
}

// Matrices from this many numbers up are formatted by row blocks on TBB's threads (~100 ns a number
// on one core of the CI machine: 0.1 s for a 1,000 × 1,000 correlation matrix).
constexpr std::size_t kParallelWriteNumbers = 1 << 15;

double element(od::value v, std::string_view field, std::size_t i, Nulls nulls) {
  if (v.is_null()) {
    if (nulls == Nulls::as_nan) return std::nan("");
    fail(ErrorCode::non_finite, std::string(field), "'{}' has null at position {}; missing values are not allowed here",
         field, i);
  }
  double d = v.get_double();
  return d;
}

}  // namespace

Body::Body(const Request& req) {
  if (req.body.empty()) fail(ErrorCode::invalid_json, "", "request body is empty; expected a JSON object");
  try {
    if (req.body.capacity() >= req.body.size() + simdjson::SIMDJSON_PADDING)
      doc_ = t_parser.iterate(req.body.data(), req.body.size(), req.body.capacity());
    else
      doc_ = t_parser.iterate(simdjson::padded_string_view(req.body, req.body.capacity()));
    root_ = doc_.get_object();
  } catch (const simdjson::simdjson_error& e) {
    fail(ErrorCode::invalid_json, "", "request body is not a JSON object: {}", e.what());
  }
}

double read_number(od::value v, std::string_view field) {
  return guarded(field, "a number", [&] {
    double d = v.get_double();
    if (!std::isfinite(d)) fail(ErrorCode::non_finite, std::string(field), "'{}' must be finite", field);
    return d;
  });
}

std::int64_t read_int(od::value v, std::string_view field, std::int64_t lo, std::int64_t hi) {
  return guarded(field, "an integer", [&] {
    std::int64_t x = v.get_int64();
    if (x < lo || x > hi)
      fail(ErrorCode::invalid_argument, std::string(field), "'{}' must be in [{}, {}], got {}", field, lo, hi, x);
    return x;
  });
}

bool read_bool(od::value v, std::string_view field) {
  return guarded(field, "true or false", [&] { return bool(v.get_bool()); });
}

std::string read_string(od::value v, std::string_view field) {
  return guarded(field, "a string", [&] { return std::string(std::string_view(v.get_string())); });
}

std::vector<double> read_vector(od::value v, std::string_view field, Nulls nulls) {
  return guarded(field, "an array of numbers", [&] {
    std::vector<double> out;
    std::size_t i = 0;
    for (auto e : v.get_array()) out.push_back(element(e.value(), field, i++, nulls));
    return out;
  });
}

std::vector<std::string> read_strings(od::value v, std::string_view field) {
  return guarded(field, "an array of strings", [&] {
    std::vector<std::string> out;
    for (auto e : v.get_array()) out.emplace_back(std::string_view(e.get_string()));
    return out;
  });
}

od::object read_object(od::value v, std::string_view field) {
  return guarded(field, "an object", [&] { return od::object(v.get_object()); });
}

od::array read_array(od::value v, std::string_view field) {
  return guarded(field, "an array", [&] { return od::array(v.get_array()); });
}

namespace {

// The bytes of `text` as rows × cols little-endian float64 values. Binary data can hold what JSON
// text cannot: Inf is refused always, NaN unless missing values are allowed (they are null in text).
Matrix matrix_from_base64(std::string_view text, std::size_t rows, std::size_t cols, const std::string& f, Nulls nulls) {
  static_assert(std::endian::native == std::endian::little, "data_base64 is read as native little-endian doubles");
  const std::optional<std::size_t> bytes = base64_decoded_size(text);
  if (!bytes)
    fail(ErrorCode::invalid_argument, f,
         "'{}' is not base64: its length must be a multiple of 4, with at most two '=' of padding at the end", f);
  // By division: rows · cols · 8 can overflow for declared sizes up to 2^31 each.
  const std::size_t values = *bytes / sizeof(double);
  if (*bytes % sizeof(double) != 0 || (cols == 0 ? values != 0 : values % cols != 0 || values / cols != rows))
    fail(ErrorCode::dimension_mismatch, f, "'{}' decodes to {} bytes; {}×{} float64 values need {}×{}×8", f, *bytes,
         rows, cols, rows, cols);
  Matrix m = Matrix::uninitialized(rows, cols);
  const std::size_t bad = base64_decode(text, reinterpret_cast<unsigned char*>(m.data()));
  if (bad != std::string_view::npos)
    fail(ErrorCode::invalid_argument, f,
         "'{}' is not base64: character {} is not one of A-Z a-z 0-9 + / ('=' only as padding at the end)", f, bad);
  for (std::size_t i = 0; i < m.size(); ++i) {
    const double x = m.data()[i];
    if (!std::isfinite(x) && !(std::isnan(x) && nulls == Nulls::as_nan))
      fail(ErrorCode::non_finite, f, "'{}' holds {} at row {}, column {}; values must be finite{}", f, x, i / cols,
           i % cols, nulls == Nulls::as_nan ? " (NaN marks a missing value)" : "");
  }
  return m;
}

}  // namespace

Matrix read_matrix(od::value v, std::string_view field, Nulls nulls) {
  if (guarded(field, "a matrix", [&] { return v.type() == od::json_type::object; })) {
    // {"rows":R,"cols":C,"data":[...]} or {"rows":R,"cols":C,"data_base64":"..."}
    std::int64_t rows = -1, cols = -1;
    std::vector<double> data;
    std::optional<std::string_view> base64;
    bool have_data = false;
    std::string f(field);
    guarded(field, "an object {rows, cols, data}", [&] {
      for (auto kv : v.get_object()) {
        std::string_view k = kv.unescaped_key();
        if (k == "rows") rows = read_int(kv.value(), f + ".rows", 0, 1ll << 31);
        else if (k == "cols") cols = read_int(kv.value(), f + ".cols", 0, 1ll << 31);
        else if (k == "data") {
          data = read_vector(kv.value(), f + ".data", nulls);
          have_data = true;
        } else if (k == "data_base64") {
          base64 = guarded(f + ".data_base64", "a base64 string", [&] { return std::string_view(kv.value().get_string()); });
        } else {
          fail(ErrorCode::invalid_argument, f, "'{}' has unknown key '{}' (expected rows, cols, data or data_base64)",
               field, k);
        }
      }
      return 0;
    });
    if (rows < 0 || cols < 0 || (!have_data && !base64))
      fail(ErrorCode::invalid_argument, f, "'{}' in object form needs 'rows', 'cols' and 'data' (or 'data_base64')",
           field);
    if (have_data && base64)
      fail(ErrorCode::invalid_argument, f, "'{}' has both 'data' and 'data_base64'; send one", field);
    if (base64) return matrix_from_base64(*base64, std::size_t(rows), std::size_t(cols), f + ".data_base64", nulls);
    if (std::size_t(rows) * std::size_t(cols) != data.size())
      fail(ErrorCode::dimension_mismatch, f, "'{}' declares {}×{} = {} values but data has {}", field, rows, cols,
           rows * cols, data.size());
    Matrix m = Matrix::uninitialized(std::size_t(rows), std::size_t(cols));
    std::copy(data.begin(), data.end(), m.data());
    return m;
  }
  return guarded(field, "an array of rows or {rows, cols, data}", [&] {
    // Rows are appended to one flat buffer as they stream past; the width is fixed by row 0.
    AlignedVector flat;
    std::size_t rows = 0, cols = 0;
    for (auto row_v : v.get_array()) {
      od::value row = row_v.value();
      std::size_t c = 0;
      if (row.type() != od::json_type::array)
        fail(ErrorCode::invalid_argument, fmt::format("{}[{}]", field, rows), "'{}[{}]' must be an array of numbers",
             field, rows);
      for (auto e : row.get_array()) {
        flat.push_back(element(e.value(), field, rows * (cols ? cols : 1) + c, nulls));
        ++c;
      }
      if (rows == 0) cols = c;
      else if (c != cols)
        fail(ErrorCode::dimension_mismatch, fmt::format("{}[{}]", field, rows),
             "'{}' is ragged: row {} has {} values, row 0 has {}", field, rows, c, cols);
      ++rows;
    }
    Matrix m = Matrix::uninitialized(rows, cols);
    std::copy(flat.begin(), flat.end(), m.data());
    return m;
  });
}

// ---- writer -------------------------------------------------------------------------------------

void JsonWriter::comma() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!first_.empty()) {
    if (!first_.back()) out_.push_back(',');
    first_.back() = false;
  }
}

JsonWriter& JsonWriter::begin_object() {
  comma();
  out_.push_back('{');
  first_.push_back(true);
  return *this;
}
JsonWriter& JsonWriter::end_object() {
  out_.push_back('}');
  first_.pop_back();
  return *this;
}
JsonWriter& JsonWriter::begin_array() {
  comma();
  out_.push_back('[');
  first_.push_back(true);
  return *this;
}
JsonWriter& JsonWriter::end_array() {
  out_.push_back(']');
  first_.pop_back();
  return *this;
}
JsonWriter& JsonWriter::key(std::string_view k) {
  value(k);
  out_.push_back(':');
  after_key_ = true;
  return *this;
}
JsonWriter& JsonWriter::value(double v) {
  comma();
  append_number(out_, v);
  return *this;
}
JsonWriter& JsonWriter::value(std::int64_t v) {
  comma();
  fmt::format_to(std::back_inserter(out_), "{}", v);
  return *this;
}
JsonWriter& JsonWriter::value(std::uint64_t v) {
  comma();
  fmt::format_to(std::back_inserter(out_), "{}", v);
  return *this;
}
JsonWriter& JsonWriter::value(bool v) {
  comma();
  out_.append(v ? "true" : "false");
  return *this;
}
JsonWriter& JsonWriter::null() {
  comma();
  out_.append("null");
  return *this;
}
namespace {

// The length of the well-formed UTF-8 sequence at s[i] (RFC 3629: no overlongs, no surrogates, at most
// U+10FFFF), or 0 when the bytes there are not one.
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0u; };
  const unsigned c = b(0);
  const auto cont = [&](std::size_t k) { return (b(k) & 0xC0) == 0x80; };
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    const unsigned lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
    return b(1) >= lo && b(1) <= hi && cont(2) ? 3 : 0;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    const unsigned lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
    return b(1) >= lo && b(1) <= hi && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

}  // namespace

// Strings are written as valid UTF-8 whatever they hold: a byte that does not start a well-formed
// sequence (a raw request path, say) becomes U+FFFD, so every answer is valid JSON text.
JsonWriter& JsonWriter::value(std::string_view s) {
  comma();
  out_.push_back('"');
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    switch (c) {
      case '"': out_.append("\\\""); break;
      case '\\': out_.append("\\\\"); break;
      case '\n': out_.append("\\n"); break;
      case '\r': out_.append("\\r"); break;
      case '\t': out_.append("\\t"); break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          fmt::format_to(std::back_inserter(out_), "\\u{:04x}", int(c));
        } else if (static_cast<unsigned char>(c) < 0x80) {
          out_.push_back(c);
        } else if (const std::size_t n = utf8_sequence(s, i)) {
          out_.append(s.substr(i, n));
          i += n - 1;
        } else {
          out_.append("\\ufffd");
        }
    }
  }
  out_.push_back('"');
  return *this;
}
JsonWriter& JsonWriter::array(std::span<const double> v) {
  begin_array();
  for (double d : v) value(d);
  return end_array();
}
JsonWriter& JsonWriter::array(const std::vector<std::string>& v) {
  begin_array();
  for (const auto& s : v) value(std::string_view(s));
  return end_array();
}
MatrixFormat parse_matrix_format(std::string_view s, std::string_view field) {
  if (s == "rows") return MatrixFormat::rows;
  if (s == "base64") return MatrixFormat::base64;
  fail(ErrorCode::invalid_argument, std::string(field), "'{}' must be \"rows\" or \"base64\", got \"{}\"", field, s);
}

JsonWriter& JsonWriter::matrix(MatrixView m) {
  comma();
  if (matrix_format_ == MatrixFormat::base64) {
    fmt::format_to(std::back_inserter(out_), R"({{"rows":{},"cols":{},"data_base64":")", m.rows, m.cols);
    if (m.ld == m.cols || m.rows <= 1) {
      base64_append(out_, m.data, m.size() * sizeof(double));
    } else {  // a strided view: its rows made contiguous first
      Matrix dense = Matrix::copy_of(m);
      base64_append(out_, dense.data(), dense.size() * sizeof(double));
    }
    out_.append("\"}");
    return *this;
  }
  out_.reserve(out_.size() + m.size() * 22 + 2 * m.rows + 2);
  out_.push_back('[');
  if (m.size() < kParallelWriteNumbers || m.rows < 2) {
    append_rows(out_, m, 0, m.rows);
  } else {  // row blocks formatted apart, then joined in order
    const std::size_t blocks = std::min<std::size_t>(m.rows, 64), per = (m.rows + blocks - 1) / blocks;
    std::vector<std::string> parts(blocks);
    tbb::parallel_for(std::size_t(0), blocks, [&](std::size_t b) {
      const std::size_t r0 = std::min(m.rows, b * per), r1 = std::min(m.rows, r0 + per);
      parts[b].reserve((r1 - r0) * (m.cols * 22 + 3));
      append_rows(parts[b], m, r0, r1);
    });
    for (const std::string& part : parts) out_.append(part);
  }
  out_.push_back(']');
  return *this;
}
JsonWriter& JsonWriter::raw(std::string_view json) {
  comma();
  out_.append(json);
  return *this;
}

std::string_view clip(std::string_view s, std::size_t max_bytes) {
  if (s.size() <= max_bytes) return s;
  std::size_t n = max_bytes;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;  // not inside a character
  return s.substr(0, n);
}

std::string error_body(std::string_view code, std::string_view message, std::string_view field) {
  // Messages and fields quote the request; a 5 MB key must not come back as a 10 MB error.
  constexpr std::size_t kMaxMessage = 600, kMaxField = 200;
  JsonWriter w(128 + std::min(message.size(), kMaxMessage) + std::min(field.size(), kMaxField));
  w.begin_object().key("error").begin_object().field("code", code);
  const std::string_view m = clip(message, kMaxMessage), f = clip(field, kMaxField);
  w.field("message", m.size() < message.size() ? std::string(m) + "… (cut)" : std::string(m));
  if (!field.empty()) w.field("field", f.size() < field.size() ? std::string(f) + "…" : std::string(f));
  w.end_object().end_object();
  return w.take();
}

}  // namespace sextant::net
