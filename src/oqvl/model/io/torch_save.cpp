#include "oqvl/model/io/torch_save.h"

#include <caffe2/serialize/inline_container.h>

#include <cstring>
#include <map>
#include <memory>
#include <unordered_map>
#include <utility>

#include "oqvl/core/error.h"
#include "oqvl/core/files.h"

namespace oqvl::model {

namespace fs = std::filesystem;

namespace {

// A Python value as far as a state-dict pickle needs one.
struct PyValue;
using Py = std::shared_ptr<PyValue>;
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
  std::int64_t i = 0;
  double f = 0;
  std::string s;                        // str, bytes, "module.name" of a global, the callable of an kOther
  std::vector<Py> items;                // tuple, list, reduce arguments of kOther
  std::vector<std::pair<Py, Py>> dict;  // insertion order
  torch::Tensor tensor;                 // kStorage (1-D, its dtype) or kTensor
};

Py make(PyValue::Kind kind) {
  auto v = std::make_shared<PyValue>();
  v->kind = kind;
  return v;
}

torch::ScalarType storage_dtype(const std::string& global, const std::string& file) {
  static const std::map<std::string, torch::ScalarType> types = {
      {"torch.FloatStorage", torch::kFloat32}, {"torch.DoubleStorage", torch::kFloat64},
      {"torch.HalfStorage", torch::kFloat16},  {"torch.BFloat16Storage", torch::kBFloat16},
      {"torch.LongStorage", torch::kInt64},    {"torch.IntStorage", torch::kInt32},
      {"torch.ShortStorage", torch::kInt16},   {"torch.CharStorage", torch::kInt8},
      {"torch.ByteStorage", torch::kUInt8},    {"torch.BoolStorage", torch::kBool},
      {"torch.UntypedStorage", torch::kUInt8}};
  auto it = types.find(global);
  if (it == types.end()) fail("'{}': unsupported tensor storage type '{}'", file, global);
  return it->second;
}

// Interprets the pickle of a torch.save archive (protocol 2, as torch.save writes; the opcodes of
// protocols 3-5 that can appear in such a stream are accepted too).
class PickleReader {
 public:
  PickleReader(std::string_view bytes, std::string file,
               std::function<torch::Tensor(const std::string& key, torch::ScalarType, std::int64_t)> storage)
      : in_(bytes), file_(std::move(file)), storage_(std::move(storage)) {}

  Py run() {
    for (;;) {
      const auto op = u8();
      switch (op) {
        case 0x80: u8(); break;     // PROTO
        case 0x95: take(8); break;  // FRAME (length only)
        case '}': push(make(PyValue::Kind::kDict)); break;
        case ']': push(make(PyValue::Kind::kList)); break;
        case ')': push(make(PyValue::Kind::kTuple)); break;
        case '(': marks_.push_back(stack_.size()); break;
        case 't': {
          auto v = make(PyValue::Kind::kTuple);
          v->items = pop_mark();
          push(v);
          break;
        }
        case 0x85:
        case 0x86:
        case 0x87: {  // TUPLE1..3
          const std::size_t n = op - 0x84;
          if (stack_.size() < n) bad("stack underflow");
          auto v = make(PyValue::Kind::kTuple);
          v->items.assign(stack_.end() - n, stack_.end());
          stack_.resize(stack_.size() - n);
          push(v);
          break;
        }
        case 'N': push(make(PyValue::Kind::kNone)); break;
        case 0x88:
        case 0x89: {
          auto v = make(PyValue::Kind::kBool);
          v->i = op == 0x88;
          push(v);
          break;
        }
        case 'K': push_int(u8()); break;
        case 'M': push_int(uint_le(2)); break;
        case 'J': push_int(static_cast<std::int32_t>(uint_le(4))); break;
        case 0x8a: {  // LONG1: n-byte two's complement little endian
          const auto n = u8();
          if (n > 8) bad("integer wider than 64 bits");
          std::uint64_t u = n ? uint_le(n) : 0;
          if (n && n < 8 && (u >> (8 * n - 1)) & 1) u |= ~std::uint64_t{0} << (8 * n);
          push_int(static_cast<std::int64_t>(u));
          break;
        }
        case 'G': {  // BINFLOAT, big endian
          auto b = take(8);
          std::uint64_t u = 0;
          for (int k = 0; k < 8; ++k) u = (u << 8) | static_cast<unsigned char>(b[k]);
          auto v = make(PyValue::Kind::kFloat);
          std::memcpy(&v->f, &u, 8);
          push(v);
          break;
        }
        case 'X': push_str(PyValue::Kind::kStr, uint_le(4)); break;
        case 0x8c: push_str(PyValue::Kind::kStr, u8()); break;
        case 0x8d: push_str(PyValue::Kind::kStr, uint_le(8)); break;
        case 'B': push_str(PyValue::Kind::kBytes, uint_le(4)); break;
        case 'C': push_str(PyValue::Kind::kBytes, u8()); break;
        case 'c': {  // GLOBAL module\nname\n
          auto module = line();
          auto name = line();
          push_global(module + "." + name);
          break;
        }
        case 0x93: {  // STACK_GLOBAL
          auto name = pop(), module = pop();
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
          push(reduce(fn, args));
          break;
        }
        case 0x81: {  // NEWOBJ cls args
          auto args = pop();
          auto cls = pop();
          auto v = make(PyValue::Kind::kOther);
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

 private:
  [[noreturn]] void bad(const std::string& what) const {
    fail("'{}': cannot read the checkpoint's pickle at byte {}: {}", file_, pos_, what);
  }
  std::string_view take(std::size_t n) {
    if (n > in_.size() - pos_) bad("unexpected end of the pickle");
    auto s = in_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  unsigned u8() { return static_cast<unsigned char>(take(1)[0]); }
  std::uint64_t uint_le(int n) {
    auto b = take(n);
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
  void push(Py v) { stack_.push_back(std::move(v)); }
  void push_int(std::int64_t i) {
    auto v = make(PyValue::Kind::kInt);
    v->i = i;
    push(v);
  }
  void push_str(PyValue::Kind kind, std::uint64_t n) {
    auto v = make(kind);
    v->s = std::string(take(n));
    push(v);
  }
  void push_global(std::string name) {
    auto v = make(PyValue::Kind::kGlobal);
    v->s = std::move(name);
    push(v);
  }
  Py pop() {
    if (stack_.empty() || (!marks_.empty() && stack_.size() <= marks_.back())) bad("stack underflow");
    auto v = std::move(stack_.back());
    stack_.pop_back();
    return v;
  }
  const Py& top() const {
    if (stack_.empty()) bad("stack underflow");
    return stack_.back();
  }
  std::vector<Py> pop_mark() {
    if (marks_.empty()) bad("no MARK");
    std::vector<Py> items(stack_.begin() + marks_.back(), stack_.end());
    stack_.resize(marks_.back());
    marks_.pop_back();
    return items;
  }
  Py memo(std::uint64_t k) const {
    auto it = memo_.find(k);
    if (it == memo_.end()) bad("memo key " + std::to_string(k) + " was never stored");
    return it->second;
  }
  const Py& dict_of(const Py& v) const {
    if (v->kind != PyValue::Kind::kDict) bad("SETITEM on something that is not a dict");
    return v;
  }
  const Py& list_of(const Py& v) const {
    if (v->kind != PyValue::Kind::kList) bad("APPEND on something that is not a list");
    return v;
  }
  std::vector<std::int64_t> ints(const Py& tuple) const {
    if (tuple->kind != PyValue::Kind::kTuple) bad("expected a tuple of ints");
    std::vector<std::int64_t> out;
    for (const auto& v : tuple->items) {
      if (v->kind != PyValue::Kind::kInt) bad("expected a tuple of ints");
      out.push_back(v->i);
    }
    return out;
  }

  // ('storage', torch.<Type>Storage, key, location, numel)
  Py persistent(const Py& pid) {
    if (pid->kind != PyValue::Kind::kTuple || pid->items.size() < 5 || pid->items[0]->s != "storage" ||
        pid->items[1]->kind != PyValue::Kind::kGlobal || pid->items[4]->kind != PyValue::Kind::kInt)
      bad("unsupported persistent id (expected a tensor storage)");
    const auto dtype = storage_dtype(pid->items[1]->s, file_);
    const auto& key = pid->items[2];
    if (key->kind != PyValue::Kind::kStr && key->kind != PyValue::Kind::kInt) bad("bad storage key");
    const std::string name = key->kind == PyValue::Kind::kStr ? key->s : std::to_string(key->i);
    auto it = storages_.find(name);
    if (it != storages_.end()) return it->second;
    auto v = make(PyValue::Kind::kStorage);
    v->tensor = storage_(name, dtype, pid->items[4]->i);
    storages_.emplace(name, v);
    return v;
  }

  Py reduce(const Py& fn, const Py& args) {
    if (fn->kind != PyValue::Kind::kGlobal || args->kind != PyValue::Kind::kTuple) {
      auto v = make(PyValue::Kind::kOther);
      return v;
    }
    const std::string& name = fn->s;
    const auto& a = args->items;
    if (name == "collections.OrderedDict" || name == "builtins.dict") {
      auto d = make(PyValue::Kind::kDict);
      if (!a.empty() && (a[0]->kind == PyValue::Kind::kList || a[0]->kind == PyValue::Kind::kTuple)) {
        for (const auto& pair : a[0]->items) {
          if (pair->kind != PyValue::Kind::kTuple || pair->items.size() != 2) bad("bad OrderedDict items");
          d->dict.emplace_back(pair->items[0], pair->items[1]);
        }
      }
      return d;
    }
    if (name == "torch._utils._rebuild_tensor_v2" || name == "torch._utils._rebuild_tensor") {
      // (storage, storage_offset, size, stride, ...)
      if (a.size() < 4 || a[0]->kind != PyValue::Kind::kStorage || a[1]->kind != PyValue::Kind::kInt)
        bad("bad arguments to " + name);
      const auto size = ints(a[2]), stride = ints(a[3]);
      const auto& storage = a[0]->tensor;
      std::int64_t last = a[1]->i;  // index of the last element the view touches
      for (std::size_t d = 0; d < size.size(); ++d) {
        if (size[d] == 0) last = -1;
        if (last >= 0) last += (size[d] - 1) * stride[d];
      }
      if (a[1]->i < 0 || last >= storage.numel()) bad("a tensor view reaches past its storage");
      auto v = make(PyValue::Kind::kTensor);
      v->tensor = storage.as_strided(size, stride, a[1]->i);
      return v;
    }
    if (name == "torch._utils._rebuild_parameter" || name == "torch._utils._rebuild_parameter_with_state") {
      if (a.empty() || a[0]->kind != PyValue::Kind::kTensor) bad("bad arguments to " + name);
      return a[0];
    }
    if (name == "torch.jit._pickle.restore_type_tag") {  // libtorch's pickle_save: (value, type string)
      if (a.empty()) bad("bad arguments to " + name);
      return a[0];
    }
    if (name == "torch._tensor._rebuild_from_type_v2") {  // (func, type, args, state)
      if (a.size() < 3) bad("bad arguments to " + name);
      return reduce(a[0], a[2]);
    }
    auto v = make(PyValue::Kind::kOther);
    v->s = name;
    return v;
  }

  std::string_view in_;
  std::size_t pos_ = 0;
  std::string file_;
  std::function<torch::Tensor(const std::string&, torch::ScalarType, std::int64_t)> storage_;
  std::vector<Py> stack_;
  std::vector<std::size_t> marks_;
  std::unordered_map<std::uint64_t, Py> memo_;
  std::map<std::string, Py> storages_;
};

void flatten(const Py& dict, const std::string& prefix, TorchSaveContents& out, const std::string& file) {
  for (const auto& [k, v] : dict->dict) {
    std::string key;
    if (k->kind == PyValue::Kind::kStr) {
      key = k->s;
    } else if (k->kind == PyValue::Kind::kInt) {
      key = std::to_string(k->i);
    } else {
      fail("'{}': dict '{}' has a key that is not a string", file, prefix.empty() ? "<top>" : prefix);
    }
    const std::string name = prefix.empty() ? key : prefix + "." + key;
    if (v->kind == PyValue::Kind::kDict) {
      flatten(v, name, out, file);
    } else if (v->kind == PyValue::Kind::kTensor) {
      if (!out.tensors.emplace(name, v->tensor).second)
        fail("'{}': two tensors flatten to the same name '{}'", file, name);
    } else {
      out.skipped.push_back(name);
    }
  }
}

std::uint16_t le16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] | (p[1] << 8)); }
std::uint32_t le32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) | (static_cast<std::uint32_t>(p[1]) << 8) |
         (static_cast<std::uint32_t>(p[2]) << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
}

}  // namespace

TorchSaveContents load_torch_save(const fs::path& path) {
  const std::string file = path.string();
  if (!fs::is_regular_file(path)) fail("'{}' does not exist or is not a file", file);
  auto map = std::make_shared<MappedFile>(path);
  const auto bytes = map->bytes();
  if (bytes.size() >= 2 && bytes[0] == 0x80 && bytes[1] <= 5)
    fail("'{}' is in the legacy (pre-PyTorch 1.6, non-zip) torch.save format, which is not supported; "
         "re-save it in Python with torch.save(torch.load(path), new_path)",
         file);
  if (bytes.size() < 4 || le32(bytes.data()) != 0x04034b50u)
    fail("'{}' is not a torch.save file (no zip signature)", file);

  std::unique_ptr<caffe2::serialize::PyTorchStreamReader> reader;
  std::string pickle;
  try {
    reader = std::make_unique<caffe2::serialize::PyTorchStreamReader>(file);
    if (reader->hasRecord("byteorder")) {
      auto [ptr, n] = reader->getRecord("byteorder");
      std::string order(static_cast<const char*>(ptr.get()), n);
      if (order != "little") fail("'{}' was saved on a '{}'-endian machine (not supported)", file, order);
    }
    if (!reader->hasRecord("data.pkl")) fail("'{}' has no data.pkl record (not a torch.save file)", file);
    auto [ptr, n] = reader->getRecord("data.pkl");
    pickle.assign(static_cast<const char*>(ptr.get()), n);
  } catch (const c10::Error& e) {
    std::string why = e.what_without_backtrace();
    why = why.substr(0, why.find(". "));  // miniz's first sentence; the rest is generic advice
    fail("'{}' is not a readable torch.save archive (truncated or corrupt?): {}", file, why);
  }

  // A storage record as a tensor over the map: checked to be stored uncompressed and in bounds.
  auto storage = [&](const std::string& key, torch::ScalarType dtype, std::int64_t numel) {
    const std::string name = "data/" + key;
    std::size_t offset = 0, size = 0, header = 0;
    try {
      if (!reader->hasRecord(name)) fail("'{}': tensor storage record '{}' is missing", file, name);
      offset = reader->getRecordOffset(name);
      size = reader->getRecordSize(name);
      header = reader->getRecordHeaderOffset(name);
    } catch (const c10::Error& e) {
      fail("'{}': cannot locate storage record '{}': {}", file, name, e.what_without_backtrace());
    }
    if (header + 30 > bytes.size() || le32(bytes.data() + header) != 0x04034b50u)
      fail("'{}': storage record '{}' has no valid zip header", file, name);
    if (le16(bytes.data() + header + 8) != 0)
      fail("'{}': storage record '{}' is compressed (torch.save never compresses; re-save the file)", file,
           name);
    const auto elem = static_cast<std::size_t>(c10::elementSize(dtype));
    if (numel < 0 || static_cast<std::size_t>(numel) * elem != size)
      fail("'{}': storage '{}' holds {} bytes, expected {} elements of {} bytes", file, name, size, numel,
           elem);
    if (offset > bytes.size() || size > bytes.size() - offset)
      fail("'{}': storage record '{}' reaches past the end of the file (truncated?)", file, name);
    if (reinterpret_cast<std::uintptr_t>(bytes.data() + offset) % elem != 0)
      fail("'{}': storage record '{}' is not aligned", file, name);
    auto keep = map;  // the tensor owns a reference to the map
    return torch::from_blob(
        const_cast<std::uint8_t*>(bytes.data() + offset), {numel}, [keep](void*) {},
        torch::TensorOptions().dtype(dtype));
  };

  Py root = PickleReader(pickle, file, storage).run();
  if (root->kind != PyValue::Kind::kDict)
    fail("'{}' does not hold a dict at the top level (a checkpoint is a dict of tensors)", file);
  TorchSaveContents out;
  flatten(root, "", out, file);
  return out;
}

}  // namespace oqvl::model
