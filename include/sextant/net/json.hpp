#pragma once
// JSON for the service layer: reading with simdjson On-Demand, writing with fmt.
// This is the one place that formats JSON (DESIGN §2).
//
// Reading: Body::parse() gives the root object; the read_* helpers turn values into numbers,
// vectors and matrices and throw Error(invalid_argument | dimension_mismatch | non_finite) naming
// the field (e.g. "returns[3]") on anything malformed.
// Writing: JsonWriter appends to a std::string; doubles are written shortest-round-trip, and
// NaN/Inf as null (JSON has no such numbers).
#include <simdjson.h>

#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sextant/core/matrix.hpp"
#include "sextant/net/http.hpp"

namespace sextant::net {

namespace od = simdjson::ondemand;

//! A parsed request body. Holds the parser (one per thread, reused) and the document.
class Body {
 public:
  //! Parses req.body; throws Error(invalid_json) when it is empty or not a JSON object.
  explicit Body(const Request& req);
  od::object& root() { return root_; }

 private:
  od::document doc_;
  od::object root_;
};

enum class Nulls { reject, as_nan };

double read_number(od::value v, std::string_view field);
std::int64_t read_int(od::value v, std::string_view field, std::int64_t lo, std::int64_t hi);
bool read_bool(od::value v, std::string_view field);
std::string read_string(od::value v, std::string_view field);
std::vector<double> read_vector(od::value v, std::string_view field, Nulls nulls = Nulls::reject);
std::vector<std::string> read_strings(od::value v, std::string_view field);
//! v as an object or an array to iterate; Error(invalid_argument) naming the field when it is not one.
od::object read_object(od::value v, std::string_view field);
od::array read_array(od::value v, std::string_view field);
//! Either [[row],[row],...] (every row the same length) or {"rows":R,"cols":C,"data":[R·C values]}.
Matrix read_matrix(od::value v, std::string_view field, Nulls nulls = Nulls::reject);

//! How JsonWriter::matrix writes: arrays of rows, or {"rows","cols","data_base64"} (NaN stays NaN there,
//! where rows write null). Requests choose it with "matrix_format".
enum class MatrixFormat { rows, base64 };
//! "rows" or "base64"; Error(invalid_argument) naming `field` otherwise.
MatrixFormat parse_matrix_format(std::string_view s, std::string_view field);

//! Streams JSON into a string. Commas are inserted automatically.
class JsonWriter {
 public:
  explicit JsonWriter(std::size_t reserve = 256) { out_.reserve(reserve); }
  JsonWriter(std::size_t reserve, MatrixFormat format) : matrix_format_(format) { out_.reserve(reserve); }
  void set_matrix_format(MatrixFormat f) { matrix_format_ = f; }
  void reserve(std::size_t bytes) { out_.reserve(bytes); }

  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  JsonWriter& key(std::string_view k);
  JsonWriter& value(double v);
  JsonWriter& value(std::int64_t v);
  JsonWriter& value(std::uint64_t v);
  JsonWriter& value(int v) { return value(static_cast<std::int64_t>(v)); }
  JsonWriter& value(bool v);
  JsonWriter& value(std::string_view v);
  JsonWriter& value(const char* v) { return value(std::string_view(v)); }
  JsonWriter& null();
  JsonWriter& array(std::span<const double> v);
  JsonWriter& array(const std::vector<std::string>& v);
  //! Row-major array of rows, or the base64 object (see MatrixFormat).
  JsonWriter& matrix(MatrixView m);
  //! Splices already-serialised JSON as one value.
  JsonWriter& raw(std::string_view json);

  template <class T>
  JsonWriter& field(std::string_view k, const T& v) {
    key(k);
    return value(v);
  }

  std::string& str() { return out_; }
  std::string take() { return std::move(out_); }

 private:
  void comma();
  std::string out_;
  std::vector<bool> first_;  // per open container: nothing written yet
  bool after_key_ = false;
  MatrixFormat matrix_format_ = MatrixFormat::rows;
};

//! s cut to at most max_bytes, on a UTF-8 character boundary.
std::string_view clip(std::string_view s, std::size_t max_bytes);
//! {"error":{"code":..,"message":..,"field":..}}, the message cut at 600 bytes and the field at 200.
std::string error_body(std::string_view code, std::string_view message, std::string_view field);

}  // namespace sextant::net
