#pragma once
// The factor expression language: syntax trees and the parser.
//
//   expr    := or ('?' expr ':' expr)?            conditional, same as If(c, a, b)
//   or      := and ('||' and)*                    also `|`
//   and     := cmp ('&&' cmp)*                    also `&`
//   cmp     := sum (('<'|'<='|'>'|'>='|'=='|'!=') sum)?
//   sum     := term (('+'|'-') term)*
//   term    := power (('*'|'/') power)*
//   power   := unary ('^' unary)*                 x^y, the paper's power
//   unary   := ('-'|'+'|'!') unary | primary
//   primary := number | '$'name | name '(' args? ')' | '(' expr ')'
//
// Names of functions are resolved later (operators.hpp), so the parser knows no operator; each node
// keeps the byte offset it starts at, and every error names one.
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sextant/core/error.hpp"

namespace sextant::features {

struct Expr;
using ExprPtr = std::shared_ptr<const Expr>;

enum class ExprKind { number, field, call };

struct Expr {
  ExprKind kind = ExprKind::number;
  double number = 0;          //!< number
  std::string name;           //!< field (without '$') or function as written; infix operators use their Qlib names (Add, Gt...)
  std::vector<ExprPtr> args;  //!< call
  std::size_t position = 0;   //!< byte offset in the source
};

//! A syntax or resolution error: Error(invalid_argument, field "expression") whose message starts
//! "at position P: ".
class ExpressionError : public Error {
 public:
  ExpressionError(std::size_t position, const std::string& message);
  std::size_t position() const noexcept { return position_; }

 private:
  std::size_t position_;
};

//! Parses one expression. Throws ExpressionError on a syntax error, an expression over 64 KiB or one
//! nested deeper than 256 levels.
ExprPtr parse(std::string_view source);

}  // namespace sextant::features
