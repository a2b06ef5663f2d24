#include "oqvl/model/io/torch_save_pickle.h"

#include <cstring>
#include <deque>
#include <map>
#include <set>
#include <unordered_map>
#include <utility>

#include "oqvl/core/error.h"

namespace oqvl::model {

namespace {

// A Python value as far as a state-dict pickle needs one. Owned by the reader's arena.
struct PyValue {
  enum class Kind {
    kNone,
    kBool,
    kInt,
    kFloat,
    kStr,
    kBytes,
    kTuple,
    kList,
    kDict,
    kGlobal,
    kStorage,
    kTensor,
    kOther
  };
  Kind kind = Kind::kNone;
  std::int64_t i = 0;  // int, bool; kStorage: numel; kTensor: offset
  double f = 0;
  std::string s;             // str, bytes, "module.name" of a global, the callable of a kOther; kStorage: key
  const StorageType* storage_type = nullptr;        // kStorage
  std::vector<PyValue*> items;                      // tuple, list
  std::vector<std::pair<PyValue*, PyValue*>> dict;  // insertion order
  const PyValue* storage = nullptr;                 // kTensor
  std::vector<std::int64_t> sizes, strides;         // kTensor
};
using Py = PyValue*;
using Kind = PyValue::Kind;

class PickleReader {
 public:
  PickleReader(std::string_view bytes, std::string_view file, const PickleLimits& limits)
      : in_(bytes), file_(file), limits_(limits) {}

  Py run() {
    for (;;) {
      const auto op = u8();
      switch (op) {
        case 0x80: u8(); break;     // PROTO
        case 0x95: take(8); break;  // FRAME (length only)
        case '}': push(make(Kind::kDict)); break;
        case ']': push(make(Kind::kList)); break;
        case ')': push(make(Kind::kTuple)); break;
        case '(': marks_.push_back(stack_.size()); break;
        case 't': {
          auto v = make(Kind::kTuple);
          v->items = pop_mark();
          push(v);
          break;
        }
        case 0x85:
        case 0x86:
        case 0x87: {  // TUPLE1..3
          const std::size_t n = op - 0x84;
          if (stack_.size() < n + floor()) bad("stack underflow");
          auto v = make(Kind::kTuple);
          v->items.assign(stack_.end() - static_cast<std::ptrdiff_t>(n), stack_.end());
          stack_.resize(stack_.size() - n);
          push(v);
          break;
        }
        case 'N': push(make(Kind::kNone)); break;
        case 0x88:
        case 0x89: {
          auto v = make(Kind::kBool);
          v->i = op == 0x88;
          push(v);
          break;
        }
        case 'K': push_int(u8()); break;
        case 'M': push_int(static_cast<std::int64_t>(uint_le(2))); break;
        case 'J': push_int(static_cast<std::int32_t>(uint_le(4))); break;
        case 0x8a: {  // LONG1: n-byte two's complement little endian
          const auto n = u8();
          if (n > 8) bad("integer wider than 64 bits");
          std::uint64_t u = n ? uint_le(static_cast<int>(n)) : 0;
          if (n && n < 8 && (u >> (8 * n - 1)) & 1) u |= ~std::uint64_t{0} << (8 * n);
          push_int(static_cast<std::int64_t>(u));
          break;
        }
        case 'G': {  // BINFLOAT, big endian
          auto b = take(8);
          std::uint64_t u = 0;
          for (int k = 0; k < 8; ++k) u = (u << 8) | static_cast<unsigned char>(b[k]);
          auto v = make(Kind::kFloat);
          std::memcpy(&v->f, &u, 8);
          push(v);
          break;
        }
        case 'X': push_str(Kind::kStr, uint_le(4)); break;
        case 0x8c: push_str(Kind::kStr, u8()); break;
        case 0x8d: push_str(Kind::kStr, uint_le(8)); break;
        case 'B': push_str(Kind::kBytes, uint_le(4)); break;
        case 'C': push_str(Kind::kBytes, u8()); break;
        case 'c': {  // GLOBAL module\nname\n
          auto module = line();
          auto name = line();
          push_global(module + "." + name);
          break;
        }
        case 0x93: {  // STACK_GLOBAL
          auto name = pop();
          auto module = pop();
          push_global(module->s + "." + name->s);
          break;
        }
        case 'q': memo_[u8()] = top(); break;
        case 'r': memo_[uint_le(4)] = top(); break;
        case 0x94: memo_[memo_.size()] = top(); break;
        case 'h': push(memo(u8())); break;
        case 'j': push(memo(uint_le(4))); break;
        case 'R': {
          auto args = pop();
          auto fn = pop();
          push(reduce(fn, args, 0));
          break;
        }
        case 0x81: {  // NEWOBJ cls args
          pop();
          auto cls = pop();
          auto v = make(Kind::kOther);
          v->s = cls->s;
          push(v);
          break;
        }
        case 'b': pop(); break;  // BUILD: object state (an OrderedDict's _metadata) is not needed
        case 'Q': push(persistent(pop())); break;
        case 's': {
          auto v = pop();
          auto k = pop();
          dict_of(top())->dict.emplace_back(k, v);
          break;
        }
        case 'u': {
          auto items = pop_mark();
          if (items.size() % 2) bad("SETITEMS with an odd number of items");
          auto d = dict_of(top());
          for (std::size_t k = 0; k < items.size(); k += 2) d->dict.emplace_back(items[k], items[k + 1]);
          break;
        }
        case 'a': {
          auto v = pop();
          list_of(top())->items.push_back(v);
          break;
        }
        case 'e': {
          auto items = pop_mark();
          auto l = list_of(top());
          l->items.insert(l->items.end(), items.begin(), items.end());
          break;
        }
        case '.': return pop();
        default: bad(fmt::format("unsupported pickle opcode 0x{:02x}", op));
      }
    }
  }

  // The values made so far count against the same limit as the flattened leaves.
  std::size_t values_made() const { return values_.size(); }

 private:
  [[noreturn]] void bad(const std::string& what) const {
    fail("'{}': cannot read the checkpoint's pickle at byte {}: {}", file_, pos_, what);
  }
  Py make(Kind kind) {
    if (values_.size() >= limits_.max_values)
      bad(fmt::format("more than {} values (oqvl --limit pickle-values=N raises it)", limits_.max_values));
    values_.emplace_back().kind = kind;
    return &values_.back();
  }
  std::string_view take(std::uint64_t n) {
    if (n > in_.size() - pos_) bad("unexpected end of the pickle");
    auto s = in_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  unsigned u8() { return static_cast<unsigned char>(take(1)[0]); }
  std::uint64_t uint_le(int n) {
    auto b = take(static_cast<std::uint64_t>(n));
    std::uint64_t u = 0;
    for (int k = n - 1; k >= 0; --k) u = (u << 8) | static_cast<unsigned char>(b[k]);
    return u;
  }
  std::string line() {
    auto end = in_.find('\n', pos_);
    if (end == std::string_view::npos) bad("unterminated GLOBAL");
    std::string s(in_.substr(pos_, end - pos_));
    pos_ = end + 1;
    return s;
  }
  // Values below the innermost MARK belong to an outer frame: popping them is an underflow.
  std::size_t floor() const { return marks_.empty() ? 0 : marks_.back(); }
  void push(Py v) { stack_.push_back(v); }
  void push_int(std::int64_t i) {
    auto v = make(Kind::kInt);
    v->i = i;
    push(v);
  }
  void push_str(Kind kind, std::uint64_t n) {
    auto v = make(kind);
    v->s = std::string(take(n));
    push(v);
  }
  void push_global(std::string name) {
    auto v = make(Kind::kGlobal);
    v->s = std::move(name);
    push(v);
  }
  Py pop() {
    if (stack_.size() <= floor()) bad("stack underflow");
    auto v = stack_.back();
    stack_.pop_back();
    return v;
  }
  Py top() const {
    if (stack_.size() <= floor()) bad("stack underflow");
    return stack_.back();
  }
  std::vector<Py> pop_mark() {
    if (marks_.empty()) bad("no MARK");
    std::vector<Py> items(stack_.begin() + static_cast<std::ptrdiff_t>(marks_.back()), stack_.end());
    stack_.resize(marks_.back());
    marks_.pop_back();
    return items;
  }
  Py memo(std::uint64_t k) const {
    auto it = memo_.find(k);
    if (it == memo_.end()) bad("memo key " + std::to_string(k) + " was never stored");
    return it->second;
  }
  Py dict_of(Py v) const {
    if (v->kind != Kind::kDict) bad("SETITEM on something that is not a dict");
    return v;
  }
  Py list_of(Py v) const {
    if (v->kind != Kind::kList) bad("APPEND on something that is not a list");
    return v;
  }
  std::vector<std::int64_t> dims(Py tuple, const char* what) const {
    if (tuple->kind != Kind::kTuple) bad(fmt::format("a tensor's {} is not a tuple of ints", what));
    if (tuple->items.size() > limits_.max_dims)
      bad(fmt::format("a tensor with more than {} dimensions", limits_.max_dims));
    std::vector<std::int64_t> out;
    for (const auto* v : tuple->items) {
      if (v->kind != Kind::kInt || v->i < 0)
        bad(fmt::format("a tensor's {} is not a tuple of ints >= 0", what));
      out.push_back(v->i);
    }
    return out;
  }

  // ('storage', torch.<Type>Storage, key, location, numel)
  Py persistent(Py pid) {
    if (pid->kind != Kind::kTuple || pid->items.size() < 5 || pid->items[0]->kind != Kind::kStr ||
        pid->items[0]->s != "storage" || pid->items[1]->kind != Kind::kGlobal ||
        pid->items[4]->kind != Kind::kInt)
      bad("unsupported persistent id (expected a tensor storage)");
    const StorageType* type = find_storage_type(pid->items[1]->s);
    if (!type) fail("'{}': unsupported tensor storage type '{}'", file_, pid->items[1]->s);
    const std::size_t elem = type->element_size;
    const auto* key = pid->items[2];
    if (key->kind != Kind::kStr && key->kind != Kind::kInt) bad("bad storage key");
    const std::string name = key->kind == Kind::kStr ? key->s : std::to_string(key->i);
    const std::int64_t numel = pid->items[4]->i;
    std::uint64_t bytes = 0;
    if (numel < 0 || __builtin_mul_overflow(static_cast<std::uint64_t>(numel), elem, &bytes))
      bad(fmt::format("storage '{}' declares {} elements", name, numel));
    auto it = storages_.find(name);
    if (it != storages_.end()) return it->second;  // a storage shared by several tensors
    auto v = make(Kind::kStorage);
    v->s = name;
    v->storage_type = type;
    v->i = numel;
    storages_.emplace(name, v);
    return v;
  }

  Py reduce(Py fn, Py args, std::size_t depth) {
    if (depth > limits_.max_depth)
      bad(fmt::format("rebuild calls nested deeper than {} (oqvl --limit pickle-depth=N raises it)",
                      limits_.max_depth));
    if (fn->kind != Kind::kGlobal || args->kind != Kind::kTuple) return make(Kind::kOther);
    const std::string& name = fn->s;
    const auto& a = args->items;
    if (name == "collections.OrderedDict" || name == "builtins.dict") {
      auto d = make(Kind::kDict);
      if (!a.empty() && (a[0]->kind == Kind::kList || a[0]->kind == Kind::kTuple)) {
        for (const auto* pair : a[0]->items) {
          if (pair->kind != Kind::kTuple || pair->items.size() != 2) bad("bad OrderedDict items");
          d->dict.emplace_back(pair->items[0], pair->items[1]);
        }
      }
      return d;
    }
    if (name == "torch._utils._rebuild_tensor_v2" || name == "torch._utils._rebuild_tensor") {
      // (storage, storage_offset, size, stride, ...)
      if (a.size() < 4 || a[0]->kind != Kind::kStorage || a[1]->kind != Kind::kInt || a[1]->i < 0)
        bad("bad arguments to " + name);
      auto sizes = dims(a[2], "size");
      auto strides = dims(a[3], "stride");
      if (sizes.size() != strides.size()) bad("a tensor's size and stride differ in length");
      // The view touches [offset, last]; an empty one touches nothing.
      std::uint64_t last = static_cast<std::uint64_t>(a[1]->i);
      bool empty = false;
      for (std::size_t d = 0; d < sizes.size(); ++d) {
        if (sizes[d] == 0) empty = true;
        std::uint64_t reach = 0;
        if (sizes[d] > 0 && (__builtin_mul_overflow(static_cast<std::uint64_t>(sizes[d] - 1),
                                                    static_cast<std::uint64_t>(strides[d]), &reach) ||
                             __builtin_add_overflow(last, reach, &last)))
          bad("a tensor view whose extent overflows 64 bits");
      }
      if (!empty && last >= static_cast<std::uint64_t>(a[0]->i))
        bad("a tensor view reaches past its storage");
      auto v = make(Kind::kTensor);
      v->storage = a[0];
      v->i = a[1]->i;
      v->sizes = std::move(sizes);
      v->strides = std::move(strides);
      return v;
    }
    if (name == "torch._utils._rebuild_parameter" || name == "torch._utils._rebuild_parameter_with_state") {
      if (a.empty() || a[0]->kind != Kind::kTensor) bad("bad arguments to " + name);
      return a[0];
    }
    if (name == "torch.jit._pickle.restore_type_tag") {  // libtorch's pickle_save: (value, type string)
      if (a.empty()) bad("bad arguments to " + name);
      return a[0];
    }
    if (name == "torch._tensor._rebuild_from_type_v2") {  // (func, type, args, state)
      if (a.size() < 3) bad("bad arguments to " + name);
      return reduce(a[0], a[2], depth + 1);
    }
    auto v = make(Kind::kOther);
    v->s = name;
    return v;
  }

  std::string_view in_;
  std::size_t pos_ = 0;
  std::string_view file_;
  const PickleLimits& limits_;
  std::deque<PyValue> values_;  // the arena: stable addresses, freed together
  std::vector<Py> stack_;
  std::vector<std::size_t> marks_;
  std::unordered_map<std::uint64_t, Py> memo_;
  std::map<std::string, Py> storages_;
};

class Flattener {
 public:
  Flattener(std::string_view file, const PickleLimits& limits, std::size_t values_made)
      : file_(file), limits_(limits), count_(values_made) {}

  void flatten(const PyValue* dict, const std::string& prefix, std::size_t depth, PickledStateDict& out) {
    if (depth > limits_.max_depth)
      fail(
          "'{}': dicts nested deeper than {} (does a dict hold itself? oqvl --limit pickle-depth=N raises it)",
          file_, limits_.max_depth);
    for (const auto& [k, v] : dict->dict) {
      std::string key;
      if (k->kind == Kind::kStr) {
        key = k->s;
      } else if (k->kind == Kind::kInt) {
        key = std::to_string(k->i);
      } else {
        fail("'{}': dict '{}' has a key that is not a string", file_, prefix.empty() ? "<top>" : prefix);
      }
      std::string name = prefix.empty() ? key : prefix + "." + key;
      // Every entry counts, dicts too: one dict reused at each level of a tree doubles the walk.
      if (++count_ > limits_.max_values || (name_bytes_ += name.size()) > limits_.max_name_bytes)
        fail("'{}': the checkpoint's tree flattens to more than {} values or {} bytes of names "
             "(oqvl --limit pickle-values=N, pickle-name-bytes=N raise them)",
             file_, limits_.max_values, limits_.max_name_bytes);
      if (v->kind == Kind::kDict) {
        flatten(v, name, depth + 1, out);
        continue;
      }
      if (v->kind != Kind::kTensor) {
        out.skipped.push_back(std::move(name));
        continue;
      }
      if (!names_.insert(name).second) fail("'{}': two tensors flatten to the same name '{}'", file_, name);
      PickledTensor t;
      t.name = std::move(name);
      t.storage_key = v->storage->s;
      t.storage_type = v->storage->storage_type;
      t.storage_numel = v->storage->i;
      t.offset = v->i;
      t.sizes = v->sizes;
      t.strides = v->strides;
      out.tensors.push_back(std::move(t));
    }
  }

 private:
  std::string_view file_;
  const PickleLimits& limits_;
  std::size_t count_;
  std::size_t name_bytes_ = 0;
  std::set<std::string> names_;
};

}  // namespace

const StorageType* find_storage_type(std::string_view name) {
  using E = StorageElement;
  static constexpr StorageType kTypes[] = {
      {"torch.FloatStorage", E::kFloat32, 4}, {"torch.DoubleStorage", E::kFloat64, 8},
      {"torch.HalfStorage", E::kFloat16, 2},  {"torch.BFloat16Storage", E::kBFloat16, 2},
      {"torch.LongStorage", E::kInt64, 8},    {"torch.IntStorage", E::kInt32, 4},
      {"torch.ShortStorage", E::kInt16, 2},   {"torch.CharStorage", E::kInt8, 1},
      {"torch.ByteStorage", E::kUInt8, 1},    {"torch.BoolStorage", E::kBool, 1},
      {"torch.UntypedStorage", E::kUInt8, 1}};
  for (const StorageType& t : kTypes)
    if (t.name == name) return &t;
  return nullptr;
}

PickledStateDict read_state_dict_pickle(std::string_view pickle, std::string_view file,
                                        const PickleLimits& limits) {
  PickleReader reader(pickle, file, limits);
  const PyValue* root = reader.run();
  if (root->kind != Kind::kDict)
    fail("'{}' does not hold a dict at the top level (a checkpoint is a dict of tensors)", file);
  PickledStateDict out;
  Flattener(file, limits, reader.values_made()).flatten(root, "", 0, out);
  return out;
}

}  // namespace oqvl::model
