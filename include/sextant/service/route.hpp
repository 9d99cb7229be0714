#pragma once
// The one route helper: a handler reads its request, calls the library and writes its answer's fields;
// json_route times it, stamps calculation_time_ms and backend (DESIGN §4), closes the object and
// answers JSON. Errors thrown by the handler become JSON errors in net (the only place codes meet HTTP).
#include <functional>
#include <string>
#include <vector>

#include "sextant/net/http.hpp"
#include "sextant/net/json.hpp"

namespace sextant::service {

//! Why values of an answer are null: {"code","message","columns"?,"fields"?} in its "warnings" list.
struct Warning {
  std::string code;     //!< "constant_columns", "zero_volatility", ...
  std::string message;
  std::vector<std::size_t> columns;  //!< the input columns concerned, when there are any
  std::vector<std::string> fields;   //!< the answer's fields that are null because of it
};

struct Reply {
  net::JsonWriter json;  //!< the answer's root object, already open
  int status = 200;
  std::vector<Warning> warnings;  //!< written as "warnings" when not empty
};

using JsonHandler = std::function<void(const net::Request&, Reply&)>;

enum class Stamp { yes, no };

//! A response's size before it is computed: `values` numbers at ~22 bytes as text, 8 in base64. A small
//! request can ask for a huge answer (rolling correlation: windows × N²; every factor of the catalogue
//! at every row); past `limit` (the body limit) it is Error(payload_too_large) naming `field`.
void require_response_size(double values, net::MatrixFormat format, std::uint64_t limit, const char* field, const char* what);

//! Runs `h` with an open root object; checks the request's deadline after it, and with Stamp::yes adds
//! calculation_time_ms and backend.
net::Handler json_route(JsonHandler h, Stamp stamp = Stamp::yes);

}  // namespace sextant::service
