#include "oqvl/data/curate/filter_rules.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <map>

#include <fmt/ranges.h>

#include "oqvl/core/error.h"

namespace oqvl::data {

enum class NodeKind { kOr, kAnd, kNot, kCompare, kUidIn, kHasCaption, kHasImage, kImageDecodable };
enum class CompareOp { kGe, kGt, kLe, kLt, kEq, kNe };

struct RuleSet::Node {
  NodeKind kind = NodeKind::kCompare;
  int left = -1, right = -1;  // children (kNot uses left)
  std::string name;           // kCompare: the property or column; kUidIn: the file
  CompareOp op = CompareOp::kGe;
  double value = 0;
  int depth = 1;      // levels below and including this node (eval recurses this deep)
  int property = -1;  // kCompare: a SampleProperty, or -1 when a score column
  int score = -1;     // kCompare: index into score_columns_
  int uid_set = -1;   // kUidIn
};

namespace {

// Parsing and evaluation recurse once per level of nesting, so a rule of 100,000 '(' or 'not'
// overflowed the stack (tests/fuzz/corpus/filter_rules/regress-deep-nesting); real rules nest a
// few levels, and a long chain of or-ed terms is a deep tree too.
constexpr int kMaxRuleDepth = 256;

constexpr std::pair<std::string_view, SampleProperty> kProperties[] = {
    {"caption_words", SampleProperty::kCaptionWords},
    {"caption_chars", SampleProperty::kCaptionChars},
    {"image_width", SampleProperty::kImageWidth},
    {"image_height", SampleProperty::kImageHeight},
    {"image_min_side", SampleProperty::kImageMinSide},
    {"image_max_side", SampleProperty::kImageMaxSide},
    {"image_aspect_ratio", SampleProperty::kImageAspectRatio},
};

RuleSet::Node make_node(NodeKind kind, int left = -1, int right = -1) {
  RuleSet::Node node;
  node.kind = kind;
  node.left = left;
  node.right = right;
  return node;
}

struct Token {
  enum Kind { kName, kNumber, kOp, kLParen, kRParen, kPath, kEnd } kind;
  std::string text;
  std::size_t pos;
};

class Parser {
 public:
  Parser(std::string_view source, std::vector<RuleSet::Node>& nodes) : src_(source), nodes_(nodes) {}

  // Parses the whole expression; returns the top-level conjuncts as (node, source text).
  std::vector<std::pair<int, std::string>> parse_rules() {
    advance();
    std::vector<std::pair<int, std::string>> conjuncts;
    // Top level: and_expr-like, but an "or" turns the whole thing into one rule.
    std::vector<std::pair<int, std::size_t>> parts;  // node, start position
    std::size_t start = tok_.pos;
    parts.push_back({parse_unary(), start});
    while (is_word("and")) {
      advance();
      start = tok_.pos;
      parts.push_back({parse_unary(), start});
    }
    if (is_word("or")) {
      // a and b or c: "and" binds tighter, so fold the parts into one and-node first.
      int left = fold_and(parts);
      while (is_word("or")) {
        advance();
        left = add(make_node(NodeKind::kOr, left, parse_and()));
      }
      expect_end();
      return {{left, trim(src_)}};
    }
    expect_end();
    for (std::size_t i = 0; i < parts.size(); ++i) {
      std::size_t end = i + 1 < parts.size() ? src_.rfind("and", parts[i + 1].second) : src_.size();
      conjuncts.push_back({parts[i].first, trim(src_.substr(parts[i].second, end - parts[i].second))});
    }
    return conjuncts;
  }

 private:
  static std::string trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return std::string(s);
  }

  int add(RuleSet::Node node) {
    for (int child : {node.left, node.right})
      if (child >= 0) node.depth = std::max(node.depth, nodes_[child].depth + 1);
    if (node.depth > kMaxRuleDepth) too_deep();
    nodes_.push_back(std::move(node));
    return static_cast<int>(nodes_.size() - 1);
  }

  int fold_and(const std::vector<std::pair<int, std::size_t>>& parts) {
    int left = parts[0].first;
    for (std::size_t i = 1; i < parts.size(); ++i)
      left = add(make_node(NodeKind::kAnd, left, parts[i].first));
    return left;
  }

  [[noreturn]] void error(std::size_t pos, std::string_view what) {
    // A rule of a few lines is shown whole; a machine-made one of kilobytes, its start.
    const std::string_view shown = src_.size() <= 200 ? src_ : src_.substr(0, 200);
    fail("rule '{}{}': {} at column {} (near '{}')", shown, shown.size() < src_.size() ? "..." : "", what,
         pos + 1, src_.substr(std::min(pos, src_.size()), 12));
  }

  [[noreturn]] void too_deep() {
    error(tok_.pos, fmt::format("the rule nests deeper than {} levels (each 'not', '(' and chained "
                                "'or' is a level)",
                                kMaxRuleDepth));
  }

  bool is_word(std::string_view w) const { return tok_.kind == Token::kName && tok_.text == w; }

  void expect_end() {
    if (tok_.kind != Token::kEnd) error(tok_.pos, "unexpected '" + tok_.text + "'");
  }

  void advance(bool path = false) {
    while (at_ < src_.size() && std::isspace(static_cast<unsigned char>(src_[at_]))) ++at_;
    tok_.pos = at_;
    tok_.text.clear();
    if (at_ >= src_.size()) {
      tok_.kind = Token::kEnd;
      return;
    }
    char c = src_[at_];
    if (path) {
      tok_.kind = Token::kPath;
      if (c == '\'' || c == '"') {
        std::size_t close = src_.find(c, at_ + 1);
        if (close == std::string_view::npos) error(at_, "unterminated quoted path");
        tok_.text = src_.substr(at_ + 1, close - at_ - 1);
        at_ = close + 1;
      } else {
        std::size_t end = at_;
        while (end < src_.size() && !std::isspace(static_cast<unsigned char>(src_[end])) && src_[end] != ')')
          ++end;
        tok_.text = src_.substr(at_, end - at_);
        at_ = end;
      }
      return;
    }
    if (c == '(' || c == ')') {
      tok_.kind = c == '(' ? Token::kLParen : Token::kRParen;
      tok_.text = c;
      ++at_;
    } else if (c == '>' || c == '<' || c == '=' || c == '!') {
      tok_.kind = Token::kOp;
      std::size_t n = at_ + 1 < src_.size() && src_[at_ + 1] == '=' ? 2 : 1;
      tok_.text = src_.substr(at_, n);
      at_ += n;
    } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      tok_.kind = Token::kName;
      std::size_t end = at_;
      while (end < src_.size() && (std::isalnum(static_cast<unsigned char>(src_[end])) || src_[end] == '_' ||
                                   src_[end] == '.' || src_[end] == '-'))
        ++end;
      tok_.text = src_.substr(at_, end - at_);
      at_ = end;
    } else if (std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '+' || c == '.') {
      tok_.kind = Token::kNumber;
      std::size_t end = at_ + 1;
      while (end < src_.size() &&
             (std::isalnum(static_cast<unsigned char>(src_[end])) || src_[end] == '.' ||
              ((src_[end] == '-' || src_[end] == '+') && (src_[end - 1] == 'e' || src_[end - 1] == 'E'))))
        ++end;
      tok_.text = src_.substr(at_, end - at_);
      at_ = end;
    } else {
      error(at_, fmt::format("unexpected character '{}'", c));
    }
  }

  int parse_or() {
    int left = parse_and();
    while (is_word("or")) {
      advance();
      left = add(make_node(NodeKind::kOr, left, parse_and()));
    }
    return left;
  }

  int parse_and() {
    int left = parse_unary();
    while (is_word("and")) {
      advance();
      left = add(make_node(NodeKind::kAnd, left, parse_unary()));
    }
    return left;
  }

  int parse_unary() {
    // Checked before recursing: nodes are added on the way back up, too late for the stack.
    if (++nesting_ > kMaxRuleDepth) too_deep();
    struct Leave {
      int& n;
      ~Leave() { --n; }
    } leave{nesting_};
    if (is_word("not")) {
      advance();
      return add(make_node(NodeKind::kNot, parse_unary()));
    }
    if (tok_.kind == Token::kLParen) {
      advance();
      int inner = parse_or();
      if (tok_.kind != Token::kRParen) error(tok_.pos, "expected ')'");
      advance();
      return inner;
    }
    return parse_atom();
  }

  int parse_atom() {
    if (tok_.kind != Token::kName) error(tok_.pos, "expected a name, 'not' or '('");
    if (tok_.text == "and" || tok_.text == "or" || tok_.text == "in") {
      error(tok_.pos, "expected a name, 'not' or '('");
    }
    Token name = tok_;
    advance();
    if (is_word("in")) {
      if (name.text != "uid") error(name.pos, "only 'uid in FILE' is supported");
      advance(/*path=*/true);
      if (tok_.kind != Token::kPath || tok_.text.empty()) error(tok_.pos, "expected a uid file after 'in'");
      RuleSet::Node node = make_node(NodeKind::kUidIn);
      node.name = tok_.text;
      advance();
      return add(std::move(node));
    }
    if (tok_.kind == Token::kOp) {
      static const std::map<std::string, CompareOp> kOps = {{">=", CompareOp::kGe}, {">", CompareOp::kGt},
                                                            {"<=", CompareOp::kLe}, {"<", CompareOp::kLt},
                                                            {"==", CompareOp::kEq}, {"!=", CompareOp::kNe}};
      auto op = kOps.find(tok_.text);
      if (op == kOps.end()) error(tok_.pos, "unknown operator '" + tok_.text + "'");
      advance();
      if (tok_.kind != Token::kNumber) error(tok_.pos, "expected a number");
      RuleSet::Node node = make_node(NodeKind::kCompare);
      node.name = name.text;
      node.op = op->second;
      std::string_view num = tok_.text;
      if (!num.empty() && num.front() == '+') num.remove_prefix(1);
      auto [end, ec] = std::from_chars(num.data(), num.data() + num.size(), node.value);
      if (ec != std::errc() || end != num.data() + num.size() || !std::isfinite(node.value)) {
        error(tok_.pos, "'" + tok_.text + "' is not a number");
      }
      advance();
      return add(std::move(node));
    }
    if (name.text == "has_caption") return add(make_node(NodeKind::kHasCaption));
    if (name.text == "has_image") return add(make_node(NodeKind::kHasImage));
    if (name.text == "image_decodable") return add(make_node(NodeKind::kImageDecodable));
    error(name.pos, "'" + name.text +
                        "' is not a predicate (has_caption, has_image, image_decodable); "
                        "compare it with a number: NAME >= VALUE");
  }

  std::string_view src_;
  std::vector<RuleSet::Node>& nodes_;
  std::size_t at_ = 0;
  int nesting_ = 0;  // parse_unary calls in progress
  Token tok_{Token::kEnd, "", 0};
};

bool compare(double a, CompareOp op, double b) {
  if (std::isnan(a)) return false;  // a missing value satisfies no comparison (not even !=)
  switch (op) {
    case CompareOp::kGe: return a >= b;
    case CompareOp::kGt: return a > b;
    case CompareOp::kLe: return a <= b;
    case CompareOp::kLt: return a < b;
    case CompareOp::kEq: return a == b;
    case CompareOp::kNe: return a != b;
  }
  return false;
}

}  // namespace

RuleSet::RuleSet() = default;
RuleSet::~RuleSet() = default;
RuleSet::RuleSet(RuleSet&&) noexcept = default;
RuleSet& RuleSet::operator=(RuleSet&&) noexcept = default;

RuleSet RuleSet::parse(const std::vector<std::string>& expressions) {
  RuleSet set;
  for (const std::string& expr : expressions) {
    Parser parser(expr, set.nodes_);
    for (auto& [root, text] : parser.parse_rules()) set.rules_.push_back({std::move(text), root});
  }
  return set;
}

void RuleSet::bind(const std::vector<ScoreTable>& tables,
                   const std::function<const UidSet&(const std::string&)>& load_uids) {
  score_columns_.clear();
  uid_sets_.clear();
  for (Node& node : nodes_) {
    switch (node.kind) {
      case NodeKind::kUidIn:
        needs_uid_ = true;
        node.uid_set = static_cast<int>(uid_sets_.size());
        uid_sets_.push_back(&load_uids(node.name));
        break;
      case NodeKind::kHasCaption: needs_caption_ = true; break;
      case NodeKind::kHasImage: needs_probe_ = true; break;
      case NodeKind::kImageDecodable: needs_probe_ = needs_decode_ = true; break;
      case NodeKind::kCompare: {
        for (const auto& [name, prop] : kProperties) {
          if (node.name == name) node.property = static_cast<int>(prop);
        }
        if (node.property >= 0) {
          if (node.name.starts_with("caption")) {
            needs_caption_ = true;
          } else {
            needs_probe_ = true;
          }
          break;
        }
        std::vector<std::pair<int, int>> found;
        for (std::size_t t = 0; t < tables.size(); ++t) {
          int c = tables[t].column_index(node.name);
          if (c >= 0) found.push_back({static_cast<int>(t), c});
        }
        if (found.empty()) {
          std::vector<std::string> avail;
          for (const auto& t : tables)
            avail.push_back(fmt::format("{} ({})", t.path(), fmt::join(t.columns(), ", ")));
          std::vector<std::string> props;
          for (const auto& p : kProperties) props.emplace_back(p.first);
          fail("rule needs '{}', which is neither a built-in property ({}) nor a column of a score "
               "table{}{}",
               node.name, fmt::join(props, ", "), tables.empty() ? " (no --scores given)" : ": ",
               fmt::join(avail, "; "));
        }
        if (found.size() > 1) {
          fail("column '{}' is in two score tables ({} and {}): rename one", node.name,
               tables[found[0].first].path(), tables[found[1].first].path());
        }
        for (std::size_t i = 0; i < score_columns_.size(); ++i) {
          if (score_columns_[i].name == node.name) node.score = static_cast<int>(i);
        }
        if (node.score < 0) {
          node.score = static_cast<int>(score_columns_.size());
          score_columns_.push_back({found[0].first, found[0].second, node.name});
          if (tables[found[0].first].keyed_by_uid()) needs_uid_ = true;
        }
        break;
      }
      default: break;
    }
  }
}

bool RuleSet::holds(std::size_t i, const SampleFacts& facts) const { return eval(rules_[i].root, facts); }

bool RuleSet::eval(int index, const SampleFacts& f) const {
  const Node& n = nodes_[index];
  switch (n.kind) {
    case NodeKind::kOr: return eval(n.left, f) || eval(n.right, f);
    case NodeKind::kAnd: return eval(n.left, f) && eval(n.right, f);
    case NodeKind::kNot: return !eval(n.left, f);
    case NodeKind::kHasCaption: return f.has_caption;
    case NodeKind::kHasImage: return f.has_image;
    case NodeKind::kImageDecodable: return f.image_decodable;
    case NodeKind::kUidIn: return f.uid && uid_sets_[n.uid_set]->contains(*f.uid);
    case NodeKind::kCompare:
      return compare(n.property >= 0 ? f.property[n.property] : f.scores[n.score], n.op, n.value);
  }
  return false;
}

}  // namespace oqvl::data
