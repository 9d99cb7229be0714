#pragma once
// The compiler: a set of expressions becomes one DAG of canonical nodes.
//
// Canonicalisation: names resolve to one operator (delay -> Ref, x < y -> Gt(y, x), -x -> Mul(-1, x)),
// constant subtrees fold, Ref(x, 0) is x, non-integral windows of the paper's operators are floored,
// and commutative operators order their arguments. Nodes are interned by (operator, parameters,
// inputs), so two spellings of one factor are one node, and a subexpression shared by many factors
// (Mean($close, 20) under 380,000 of them) is computed once.
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "sextant/features/expr.hpp"
#include "sextant/features/operators.hpp"

namespace sextant::features {

using NodeId = std::uint32_t;

struct Node {
  Op op = Op::constant;
  std::vector<NodeId> inputs;
  std::vector<double> params;  //!< constants: window, lag, quantile q, the constant's value; TA params
  std::string field;           //!< Op::field: its name
  const analytics::ta::FunctionDef* ta = nullptr;
  //! Rows of history before a row that its value depends on (the longest path of windows and lags).
  std::size_t warmup = 0;
  //! Depends on every earlier row (EMA, recursive TA-Lib functions): only full history gives its value.
  bool unbounded = false;
  bool cross_sectional = false;  //!< itself or an input is cross-sectional (needs several instruments)
};

//! Fields that are derived when the data does not supply them.
struct FieldDefaults {
  //! Fields the data supplies; an expression's `$vwap` or `$returns` not among them is derived:
  //! vwap = (high + low + close) / 3, returns = close / Ref(close, 1) - 1.
  std::vector<std::string> supplied = {"open", "high", "low", "close", "volume"};
};

class Program {
 public:
  explicit Program(FieldDefaults defaults = {});
  Program(const Program& other);
  Program& operator=(const Program& other);
  Program(Program&& other) noexcept;
  Program& operator=(Program&& other) noexcept;

  //! Compiles one expression into the DAG and returns its node. Throws ExpressionError (with the
  //! position) on a syntax error, an unknown function, a wrong argument count or kind, a window <= 0.
  NodeId add(std::string_view expression);

  const std::vector<Node>& nodes() const { return nodes_; }
  const Node& node(NodeId id) const { return nodes_[id]; }
  //! The node's canonical form: the same text for every spelling of the same factor, and it parses
  //! back to the same node.
  std::string canonical(NodeId id) const;
  //! Input fields the nodes read, sorted.
  std::vector<std::string> fields() const;

 private:
  NodeId lower(const Expr& e);
  NodeId intern(Node n);
  NodeId constant(double v);
  NodeId call(const Expr& e);
  NodeId field(const Expr& e);

  // Nodes by structure (operator, parameters, inputs, field, function): the interning table.
  struct NodeHash {
    const std::vector<Node>* nodes;
    using is_transparent = void;
    std::size_t operator()(const Node& n) const;
    std::size_t operator()(NodeId id) const { return (*this)((*nodes)[id]); }
  };
  struct NodeEq {
    const std::vector<Node>* nodes;
    using is_transparent = void;
    bool operator()(const Node& a, const Node& b) const;
    bool operator()(NodeId a, NodeId b) const { return (*this)((*nodes)[a], (*nodes)[b]); }
    bool operator()(const Node& a, NodeId b) const { return (*this)(a, (*nodes)[b]); }
    bool operator()(NodeId a, const Node& b) const { return (*this)((*nodes)[a], b); }
  };

  FieldDefaults defaults_;
  std::vector<Node> nodes_;
  std::unordered_set<NodeId, NodeHash, NodeEq> index_;
};

}  // namespace sextant::features
