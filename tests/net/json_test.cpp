#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "sextant/core/error.hpp"
#include "sextant/core/base64.hpp"
#include "sextant/net/json.hpp"
#include "sextant/net/server.hpp"

namespace sextant::net {
namespace {

Request body(std::string s) {
  Request r;
  r.body = std::move(s);
  r.body.reserve(r.body.size() + simdjson::SIMDJSON_PADDING);
  return r;
}

ErrorCode code_of(const std::function<void()>& f, std::string* field = nullptr) {
  try {
    f();
  } catch (const Error& e) {
    if (field) *field = e.field();
    return e.code();
  }
  ADD_FAILURE() << "expected an Error";
  return ErrorCode::internal;
}

Matrix matrix_of(const std::string& json, Nulls nulls = Nulls::reject) {
  Request r = body(json);
  Body b(r);
  for (auto kv : b.root()) return read_matrix(kv.value(), "m", nulls);
  throw std::runtime_error("no field");
}

TEST(JsonRead, ArrayOfRowsAndObjectFormGiveTheSameMatrix) {
  Matrix a = matrix_of(R"({"m":[[1,2,3],[4,5,6.5]]})");
  Matrix b = matrix_of(R"({"m":{"rows":2,"cols":3,"data":[1,2,3,4,5,6.5]}})");
  ASSERT_EQ(a.rows(), 2u);
  ASSERT_EQ(a.cols(), 3u);
  for (std::size_t i = 0; i < 6; ++i) EXPECT_EQ(a.data()[i], b.data()[i]);
  EXPECT_EQ(a(1, 2), 6.5);
}

TEST(JsonRead, RaggedRowsNameTheRow) {
  std::string field;
  EXPECT_EQ(code_of([] { matrix_of(R"({"m":[[1,2],[3]]})"); }, &field), ErrorCode::dimension_mismatch);
  EXPECT_EQ(field, "m[1]");
  EXPECT_EQ(code_of([] { matrix_of(R"({"m":{"rows":2,"cols":2,"data":[1,2,3]}})"); }, &field),
            ErrorCode::dimension_mismatch);
  EXPECT_EQ(field, "m");
}

TEST(JsonRead, WrongTypesAndNullsAreNamed) {
  std::string field;
  EXPECT_EQ(code_of([] { matrix_of(R"({"m":[[1,"x"]]})"); }, &field), ErrorCode::invalid_argument);
  EXPECT_EQ(field, "m");
  EXPECT_EQ(code_of([] { matrix_of(R"({"m":[1,2]})"); }, &field), ErrorCode::invalid_argument);
  EXPECT_EQ(field, "m[0]");
  EXPECT_EQ(code_of([] { matrix_of(R"({"m":[[1,null]]})"); }, &field), ErrorCode::non_finite);
  Matrix with_nan = matrix_of(R"({"m":[[1,null]]})", Nulls::as_nan);
  EXPECT_TRUE(std::isnan(with_nan(0, 1)));
}

TEST(JsonRead, MalformedBodiesAreInvalidJson) {
  EXPECT_EQ(code_of([] { Request r = body(""); Body b(r); }), ErrorCode::invalid_json);
  EXPECT_EQ(code_of([] { Request r = body("[1,2]"); Body b(r); }), ErrorCode::invalid_json);
  EXPECT_EQ(code_of([] { matrix_of(R"({"m":[[1,2],)"); }), ErrorCode::invalid_json);
}

TEST(JsonRead, ScalarsCheckRanges) {
  Request r = body(R"({"n":5,"x":1.5,"s":"abc","b":true})");
  Body b(r);
  for (auto kv : b.root()) {
    std::string_view k = kv.unescaped_key();
    if (k == "n") {
      EXPECT_EQ(code_of([&] { read_int(kv.value(), "n", 6, 10); }), ErrorCode::invalid_argument);
    } else if (k == "x") {
      EXPECT_EQ(read_number(kv.value(), "x"), 1.5);
    } else if (k == "s") {
      EXPECT_EQ(read_string(kv.value(), "s"), "abc");
    } else {
      EXPECT_TRUE(read_bool(kv.value(), "b"));
    }
  }
}

TEST(JsonWrite, ShortestRoundTripNumbersAndEscapes) {
  JsonWriter w;
  std::vector<double> v{0.1, 1e-300, -2.5, std::nan(""), 3.0};
  w.begin_object().field("a", "q\"uo\\te\n").key("v").array(v).field("n", std::int64_t(-4));
  w.field("ok", true).key("z").null().end_object();
  EXPECT_EQ(w.str(), R"({"a":"q\"uo\\te\n","v":[0.1,1e-300,-2.5,null,3],"n":-4,"ok":true,"z":null})");
  // Round trip: every double written parses back to the same bits.
  JsonWriter w2;
  double x = 0.1 + 0.2;
  w2.begin_object().field("x", x).end_object();
  Request r = body(w2.str());
  Body b(r);
  for (auto kv : b.root()) EXPECT_EQ(read_number(kv.value(), "x"), x);
}

TEST(JsonWrite, MatrixIsArrayOfRows) {
  Matrix m(2, 2);
  m(0, 0) = 1;
  m(0, 1) = 2;
  m(1, 0) = 3;
  m(1, 1) = 4;
  JsonWriter w;
  w.matrix(m);
  EXPECT_EQ(w.str(), "[[1,2],[3,4]]");
}

// Large matrices are formatted by row blocks in parallel: the text must be the same as row by row.
TEST(JsonWrite, LargeMatrixRoundTripsInRowOrder) {
  const std::size_t rows = 301, cols = 200;  // 60,200 numbers: the parallel path
  Matrix m(rows, cols + 3);
  for (std::size_t i = 0; i < rows; ++i)
    for (std::size_t j = 0; j < cols + 3; ++j) m(i, j) = std::sin(double(i * 7919 + j)) * std::pow(10.0, double(j % 9) - 4);
  m(150, 17) = std::nan("");
  const MatrixView view(m.data(), rows, cols, m.cols());  // strided: the last 3 columns are not written
  JsonWriter w;
  w.begin_object().key("m").matrix(view).field("after", 1).end_object();
  std::string rowwise = "[";
  for (std::size_t i = 0; i < rows; ++i) {
    JsonWriter row;
    row.array(std::span<const double>(view.row(i), cols));
    rowwise += (i ? "," : "") + row.str();
  }
  rowwise += "]";
  EXPECT_EQ(w.str(), "{\"m\":" + rowwise + ",\"after\":1}");
  Matrix back = matrix_of(w.str(), Nulls::as_nan);
  ASSERT_EQ(back.rows(), rows);
  ASSERT_EQ(back.cols(), cols);
  for (std::size_t i = 0; i < rows; ++i)
    for (std::size_t j = 0; j < cols; ++j)
      if (i == 150 && j == 17) EXPECT_TRUE(std::isnan(back(i, j)));
      else ASSERT_EQ(back(i, j), view(i, j)) << i << "," << j;
}

TEST(Base64, RfcVectorsRoundTrip) {
  const std::pair<std::string, std::string> cases[] = {{"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},
                                                       {"foo", "Zm9v"}, {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="},
                                                       {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, coded] : cases) {
    EXPECT_EQ(base64_encode(plain.data(), plain.size()), coded);
    ASSERT_EQ(base64_decoded_size(coded), plain.size()) << coded;
    std::string back(plain.size(), '\0');
    EXPECT_EQ(base64_decode(coded, reinterpret_cast<unsigned char*>(back.data())), std::string_view::npos);
    EXPECT_EQ(back, plain);
  }
  std::string all(256, '\0');
  for (int i = 0; i < 256; ++i) all[i] = char(i);
  const std::string coded = base64_encode(all.data(), all.size());
  std::string back(all.size(), '\0');
  EXPECT_EQ(base64_decode(coded, reinterpret_cast<unsigned char*>(back.data())), std::string_view::npos);
  EXPECT_EQ(back, all);
}

TEST(Base64, MalformedTextIsLocated) {
  EXPECT_FALSE(base64_decoded_size("Zm9"));       // not a multiple of 4
  EXPECT_FALSE(base64_decoded_size("Z==="));      // three '='
  unsigned char out[6];
  EXPECT_EQ(base64_decode("Zg=a", out), 2u);      // '=' inside
  EXPECT_EQ(base64_decode("Zg==Zm9v", out), 2u);  // padding before the last group
  EXPECT_EQ(base64_decode("Zm9vZ=8=", out), 5u);
  EXPECT_EQ(base64_decode("Zm9vY!Fy", out), 5u);
  EXPECT_EQ(base64_decode("Zm9\nYmFy", out), 3u);
  EXPECT_EQ(base64_decode("Zm9vY-==", out), 5u);
}

std::string base64_matrix(const Matrix& m) {
  return R"({"m":{"rows":)" + std::to_string(m.rows()) + R"(,"cols":)" + std::to_string(m.cols()) +
         R"(,"data_base64":")" + base64_encode(m.data(), m.size() * sizeof(double)) + "\"}}";
}

TEST(JsonRead, Base64MatrixIsTheSameBits) {
  Matrix m(3, 4);
  const double values[] = {0.0123, -0.0, 1e308, 4.9e-324, -2.5, 1.0 / 3.0, 7, 0.1, -1e-300, 2.2250738585072014e-308, 42, -0.5};
  std::copy(std::begin(values), std::end(values), m.data());
  Matrix back = matrix_of(base64_matrix(m));
  ASSERT_EQ(back.rows(), 3u);
  ASSERT_EQ(back.cols(), 4u);
  EXPECT_EQ(std::memcmp(back.data(), m.data(), m.size() * sizeof(double)), 0);
  // The same matrix as JSON text reads to the same values.
  JsonWriter w;
  w.begin_object().key("m").matrix(m).end_object();
  Matrix text = matrix_of(w.str());
  for (std::size_t i = 0; i < m.size(); ++i) EXPECT_EQ(text.data()[i], m.data()[i]) << i;
}

TEST(JsonRead, Base64FaultsNameTheField) {
  Matrix m(2, 3, 0.01);
  std::string field;
  m(1, 2) = std::nan("");
  EXPECT_EQ(code_of([&] { matrix_of(base64_matrix(m)); }, &field), ErrorCode::non_finite);
  EXPECT_EQ(field, "m.data_base64");
  EXPECT_TRUE(std::isnan(matrix_of(base64_matrix(m), Nulls::as_nan)(1, 2)));  // missing values allowed
  m(1, 2) = std::numeric_limits<double>::infinity();
  EXPECT_EQ(code_of([&] { matrix_of(base64_matrix(m), Nulls::as_nan); }, &field), ErrorCode::non_finite);
  m(1, 2) = 0.01;
  const std::string good = base64_encode(m.data(), m.size() * sizeof(double));
  EXPECT_EQ(code_of([&] { matrix_of(R"({"m":{"rows":3,"cols":3,"data_base64":")" + good + "\"}}"); }, &field),
            ErrorCode::dimension_mismatch);
  EXPECT_EQ(field, "m.data_base64");
  // 2^31 × 2^31 × 8 wraps to 0 bytes in 64 bits: the size check must not.
  EXPECT_EQ(code_of([&] { matrix_of(R"({"m":{"rows":2147483648,"cols":2147483648,"data_base64":""}})"); }, &field),
            ErrorCode::dimension_mismatch);
  std::string bad = good;
  bad[5] = '*';
  EXPECT_EQ(code_of([&] { matrix_of(R"({"m":{"rows":2,"cols":3,"data_base64":")" + bad + "\"}}"); }, &field),
            ErrorCode::invalid_argument);
  EXPECT_EQ(field, "m.data_base64");
  EXPECT_EQ(code_of([&] { matrix_of(R"({"m":{"rows":2,"cols":3,"data_base64":"abc"}})"); }, &field),
            ErrorCode::invalid_argument);
  EXPECT_EQ(code_of([&] { matrix_of(R"({"m":{"rows":2,"cols":3,"data_base64":[1,2]}})"); }, &field),
            ErrorCode::invalid_argument);
  EXPECT_EQ(field, "m.data_base64");
  EXPECT_EQ(code_of([&] { matrix_of(R"({"m":{"rows":1,"cols":1,"data":[1],"data_base64":"AAAAAAAA8D8="}})"); }, &field),
            ErrorCode::invalid_argument);
  EXPECT_EQ(field, "m");
  EXPECT_EQ(matrix_of(R"({"m":{"rows":1,"cols":1,"data_base64":"AAAAAAAA8D8="}})")(0, 0), 1.0);
}

TEST(JsonWrite, Base64MatrixFormatReadsBackToTheSameBits) {
  Matrix m(4, 5);
  for (std::size_t i = 0; i < m.size(); ++i) m.data()[i] = std::sin(double(i)) * 1e-3;
  m(2, 3) = std::nan("");
  const MatrixView strided(m.data(), 4, 3, 5);
  JsonWriter w(64, MatrixFormat::base64);
  w.begin_object().key("m").matrix(strided).field("k", 1).end_object();
  EXPECT_EQ(w.str().rfind(R"({"m":{"rows":4,"cols":3,"data_base64":")", 0), 0u) << w.str();
  EXPECT_NE(w.str().find(R"("},"k":1})"), std::string::npos) << w.str();
  const Matrix back = matrix_of(w.str(), Nulls::as_nan);
  ASSERT_EQ(back.rows(), 4u);
  ASSERT_EQ(back.cols(), 3u);
  for (std::size_t i = 0; i < 4; ++i)
    for (std::size_t j = 0; j < 3; ++j) {
      const double got = back(i, j), want = strided(i, j);
      EXPECT_EQ(std::memcmp(&got, &want, sizeof(double)), 0) << i << "," << j;
    }
  EXPECT_EQ(parse_matrix_format("rows", "f"), MatrixFormat::rows);
  std::string field;
  EXPECT_EQ(code_of([] { parse_matrix_format("xml", "matrix_format"); }, &field), ErrorCode::invalid_argument);
  EXPECT_EQ(field, "matrix_format");
}

TEST(ErrorMapping, CodesBecomeStatusesAndBodies) {
  auto res = error_response(std::make_exception_ptr(Error(ErrorCode::not_positive_definite, "covariance is not PSD", "covariance")));
  EXPECT_EQ(res.status, 400);
  EXPECT_EQ(res.body, R"({"error":{"code":"SME_NOT_POSITIVE_DEFINITE","message":"covariance is not PSD","field":"covariance"}})");
  EXPECT_EQ(error_response(std::make_exception_ptr(Error(ErrorCode::infeasible, "x"))).status, 422);
  EXPECT_EQ(error_response(std::make_exception_ptr(Error(ErrorCode::memory_limit, "x"))).status, 413);
  EXPECT_EQ(error_response(std::make_exception_ptr(Error(ErrorCode::timeout, "x"))).status, 504);
  EXPECT_EQ(error_response(std::make_exception_ptr(std::bad_alloc())).status, 413);
  EXPECT_EQ(error_response(std::make_exception_ptr(std::runtime_error("bug"))).status, 500);
}

}  // namespace
}  // namespace sextant::net
