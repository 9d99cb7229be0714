// Recursive-descent parser of the expression grammar in expr.hpp.
#include <charconv>
#include <cmath>

#include "sextant/features/expr.hpp"

namespace sextant::features {

ExpressionError::ExpressionError(std::size_t position, const std::string& message)
    : Error(ErrorCode::invalid_argument, "at position " + std::to_string(position) + ": " + message, "expression"),
      position_(position) {}

namespace {

constexpr std::size_t kMaxSource = 64 * 1024;
constexpr int kMaxDepth = 256;

bool is_name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_name_char(char c) { return is_name_start(c) || (c >= '0' && c <= '9') || c == '.'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Quotes a short piece of the source for a message; bytes outside printable ASCII are shown as \xNN,
// so a message stays valid UTF-8 whatever the input.
std::string quote(std::string_view s) {
  std::string out = "'";
  for (char c : s.substr(0, 24)) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f) {
      out += c;
    } else {
      static constexpr char hex[] = "0123456789abcdef";
      out += "\\x";
      out += hex[u >> 4];
      out += hex[u & 15];
    }
  }
  return out + (s.size() > 24 ? "...'" : "'");
}

class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  ExprPtr parse_all() {
    skip_space();
    if (at_end()) throw ExpressionError(0, "the expression is empty");
    ExprPtr e = expr();
    skip_space();
    if (!at_end()) throw ExpressionError(i_, "unexpected " + quote(s_.substr(i_)) + " after a complete expression");
    return e;
  }

 private:
  std::string_view s_;
  std::size_t i_ = 0;
  int depth_ = 0;

  bool at_end() const { return i_ >= s_.size(); }
  void skip_space() {
    while (!at_end() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
  }
  // Consumes `tok` when it comes next (after spaces).
  bool eat(std::string_view tok) {
    skip_space();
    if (s_.substr(i_, tok.size()) != tok) return false;
    i_ += tok.size();
    return true;
  }
  // A one-character operator that is not the start of a two-character one (`<` but not `<=`).
  bool eat_single(char c, char not_followed_by) {
    skip_space();
    if (at_end() || s_[i_] != c) return false;
    if (i_ + 1 < s_.size() && s_[i_ + 1] == not_followed_by) return false;
    ++i_;
    return true;
  }

  static ExprPtr call(std::string name, std::vector<ExprPtr> args, std::size_t pos) {
    auto e = std::make_shared<Expr>();
    e->kind = ExprKind::call;
    e->name = std::move(name);
    e->args = std::move(args);
    e->position = pos;
    return e;
  }
  static ExprPtr binary(const char* name, ExprPtr a, ExprPtr b) {
    const std::size_t pos = a->position;
    return call(name, {std::move(a), std::move(b)}, pos);
  }

  struct Depth {
    Parser& p;
    explicit Depth(Parser& parser) : p(parser) {
      if (++p.depth_ > kMaxDepth) throw ExpressionError(p.i_, "the expression is nested deeper than 256 levels");
    }
    ~Depth() { --p.depth_; }
  };

  ExprPtr expr() {
    Depth guard(*this);
    ExprPtr c = logic_or();
    if (eat("?")) {
      ExprPtr a = expr();
      skip_space();
      if (!eat(":")) throw ExpressionError(i_, "expected ':' of a conditional 'c ? a : b'");
      ExprPtr b = expr();
      const std::size_t pos = c->position;
      return call("If", {std::move(c), std::move(a), std::move(b)}, pos);
    }
    return c;
  }
  ExprPtr logic_or() {
    ExprPtr e = logic_and();
    while (eat("||") || eat_single('|', '|')) e = binary("Or", e, logic_and());
    return e;
  }
  ExprPtr logic_and() {
    ExprPtr e = comparison();
    while (eat("&&") || eat_single('&', '&')) e = binary("And", e, comparison());
    return e;
  }
  ExprPtr comparison() {
    ExprPtr e = sum();
    if (eat("<=")) return binary("Le", e, sum());
    if (eat(">=")) return binary("Ge", e, sum());
    if (eat("==")) return binary("Eq", e, sum());
    if (eat("!=")) return binary("Ne", e, sum());
    if (eat("<")) return binary("Lt", e, sum());
    if (eat(">")) return binary("Gt", e, sum());
    return e;
  }
  ExprPtr sum() {
    ExprPtr e = term();
    for (;;) {
      if (eat("+")) e = binary("Add", e, term());
      else if (eat("-")) e = binary("Sub", e, term());
      else return e;
    }
  }
  ExprPtr term() {
    ExprPtr e = power();
    for (;;) {
      if (eat("*")) e = binary("Mul", e, power());
      else if (eat("/")) e = binary("Div", e, power());
      else return e;
    }
  }
  // The paper's x^y; left-associative, binding tighter than * and / but looser than unary minus.
  ExprPtr power() {
    ExprPtr e = unary();
    while (eat("^")) e = binary("Power", e, unary());
    return e;
  }
  ExprPtr unary() {
    Depth guard(*this);
    skip_space();
    const std::size_t pos = i_;
    if (eat("-")) {
      ExprPtr e = unary();
      if (e->kind == ExprKind::number) {  // a literal: -5 is the number, not Neg(5)
        auto n = std::make_shared<Expr>(*e);
        n->number = -n->number;
        n->position = pos;
        return n;
      }
      return call("Neg", {std::move(e)}, pos);
    }
    if (eat("+")) return unary();
    if (eat_single('!', '=')) return call("Not", {unary()}, pos);
    return primary();
  }
  ExprPtr primary() {
    skip_space();
    const std::size_t pos = i_;
    if (at_end()) throw ExpressionError(i_, "the expression ends where an operand was expected");
    const char c = s_[i_];
    if (c == '(') {
      ++i_;
      ExprPtr e = expr();
      if (!eat(")")) throw ExpressionError(i_, at_end() ? "missing ')' to close the '(' at position " + std::to_string(pos)
                                                        : "expected ')' but found " + quote(s_.substr(i_)));
      return e;
    }
    if (is_digit(c) || (c == '.' && i_ + 1 < s_.size() && is_digit(s_[i_ + 1]))) return number();
    if (c == '$') {
      ++i_;
      if (at_end() || !is_name_start(s_[i_])) throw ExpressionError(i_, "'$' must be followed by a field name, e.g. $close");
      const std::size_t start = i_;
      while (!at_end() && (is_name_char(s_[i_]) && s_[i_] != '.')) ++i_;
      auto e = std::make_shared<Expr>();
      e->kind = ExprKind::field;
      e->name = std::string(s_.substr(start, i_ - start));
      e->position = pos;
      return e;
    }
    if (is_name_start(c)) {
      const std::size_t start = i_;
      while (!at_end() && is_name_char(s_[i_])) ++i_;
      std::string name(s_.substr(start, i_ - start));
      skip_space();
      if (at_end() || s_[i_] != '(')
        throw ExpressionError(start, "'" + name + "' is not followed by '(': fields are written with '$' ($" + name + ")");
      ++i_;
      std::vector<ExprPtr> args;
      if (!eat(")")) {
        for (;;) {
          args.push_back(expr());
          if (eat(")")) break;
          if (!eat(",")) throw ExpressionError(i_, at_end() ? "missing ')' to close the call of " + name
                                                            : "expected ',' or ')' in the call of " + name + " but found " + quote(s_.substr(i_)));
        }
      }
      return call(std::move(name), std::move(args), pos);
    }
    throw ExpressionError(i_, "unexpected " + quote(s_.substr(i_)));
  }
  ExprPtr number() {
    const std::size_t pos = i_;
    double v = 0;
    auto [end, ec] = std::from_chars(s_.data() + i_, s_.data() + s_.size(), v);
    if (ec == std::errc::result_out_of_range) throw ExpressionError(pos, "the number is out of the double range");
    if (ec != std::errc()) throw ExpressionError(pos, "malformed number");
    i_ = std::size_t(end - s_.data());
    if (!at_end() && is_name_start(s_[i_])) throw ExpressionError(i_, "unexpected " + quote(s_.substr(i_)) + " after a number");
    auto e = std::make_shared<Expr>();
    e->kind = ExprKind::number;
    e->number = v;
    e->position = pos;
    return e;
  }
};

}  // namespace

ExprPtr parse(std::string_view source) {
  if (source.size() > kMaxSource) throw ExpressionError(kMaxSource, "the expression is longer than 64 KiB");
  return Parser(source).parse_all();
}

}  // namespace sextant::features
