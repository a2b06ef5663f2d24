#include "oqvl/model/io/safetensors.h"

#include <fmt/format.h>

#include <cstring>
#include <nlohmann/json.hpp>

#include "oqvl/core/error.h"
#include "oqvl/core/files.h"

namespace oqvl::model {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// The header is JSON text; anything near this size is not a real checkpoint header.
constexpr std::uint64_t kMaxHeaderBytes = 100ull << 20;

struct DTypeInfo {
  const char* name;
  torch::ScalarType type;
};
constexpr DTypeInfo kDTypes[] = {
    {"F32", torch::kFloat32}, {"F16", torch::kFloat16}, {"BF16", torch::kBFloat16}, {"F64", torch::kFloat64},
    {"I64", torch::kInt64},   {"I32", torch::kInt32},   {"I16", torch::kInt16},     {"I8", torch::kInt8},
    {"U8", torch::kUInt8},    {"BOOL", torch::kBool},
};

std::uint64_t read_le64(const std::uint8_t* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

}  // namespace

std::string safetensors_dtype(torch::ScalarType type) {
  for (const auto& d : kDTypes) {
    if (d.type == type) return d.name;
  }
  fail("dtype {} cannot be stored in safetensors by oqvl", c10::toString(type));
}

torch::ScalarType torch_dtype(const std::string& name) {
  for (const auto& d : kDTypes) {
    if (name == d.name) return d.type;
  }
  fail("unsupported safetensors dtype '{}'", name);
}

SafetensorsFile::SafetensorsFile(const fs::path& path)
    : path_(path), map_(std::make_unique<MappedFile>(path)) {
  const std::string where = path.string();
  auto bytes = map_->bytes();
  if (bytes.size() < 8) fail("'{}' is not a safetensors file (shorter than 8 bytes)", where);
  std::uint64_t header_len = read_le64(bytes.data());
  if (header_len > kMaxHeaderBytes || header_len > bytes.size() - 8) {
    fail("'{}' is not a safetensors file (header length {} for a {}-byte file)", where, header_len,
         bytes.size());
  }
  data_start_ = 8 + header_len;
  const std::uint64_t data_size = bytes.size() - data_start_;
  json header;
  try {
    header = json::parse(map_->view().substr(8, header_len));
  } catch (const json::exception& e) {
    fail("'{}': safetensors header is not valid JSON ({})", where, e.what());
  }
  if (!header.is_object()) fail("'{}': safetensors header is not a JSON object", where);

  for (const auto& [name, value] : header.items()) {
    if (name == "__metadata__") {
      if (!value.is_object()) fail("'{}': __metadata__ is not an object", where);
      for (const auto& [k, v] : value.items()) {
        if (!v.is_string()) fail("'{}': __metadata__ value of '{}' is not a string", where, k);
        metadata_[k] = v.get<std::string>();
      }
      continue;
    }
    SafetensorsEntry e;
    e.name = name;
    try {
      e.dtype = value.at("dtype").get<std::string>();
      e.shape = value.at("shape").get<std::vector<std::int64_t>>();
      auto offsets = value.at("data_offsets").get<std::vector<std::uint64_t>>();
      if (offsets.size() != 2) throw std::runtime_error("data_offsets needs 2 numbers");
      e.begin = offsets[0];
      e.end = offsets[1];
    } catch (const std::exception& ex) {
      fail("'{}': tensor '{}': malformed header entry ({})", where, name, ex.what());
    }
    torch::ScalarType type;
    try {
      type = torch_dtype(e.dtype);
    } catch (const Error&) {
      fail("'{}': tensor '{}': unsupported dtype '{}'", where, name, e.dtype);
    }
    std::uint64_t numel = 1;
    for (auto d : e.shape) {
      if (d < 0) fail("'{}': tensor '{}': negative dimension", where, name);
      numel *= static_cast<std::uint64_t>(d);
    }
    std::uint64_t need = numel * c10::elementSize(type);
    if (e.end < e.begin || e.end - e.begin != need) {
      fail("'{}': tensor '{}': {} bytes in data_offsets [{}, {}) but shape and {} need {}", where, name,
           e.end - e.begin, e.begin, e.end, e.dtype, need);
    }
    if (e.end > data_size) {
      fail("'{}': tensor '{}' ends at byte {} of a {}-byte data section (truncated file?)", where, name,
           e.end, data_size);
    }
    index_[name] = entries_.size();
    entries_.push_back(std::move(e));
  }
  // The reference format packs tensors back to back: overlapping ranges mean a corrupt header.
  std::vector<const SafetensorsEntry*> by_offset;
  for (const auto& e : entries_) by_offset.push_back(&e);
  std::sort(by_offset.begin(), by_offset.end(), [](auto* a, auto* b) { return a->begin < b->begin; });
  for (std::size_t i = 1; i < by_offset.size(); ++i) {
    if (by_offset[i]->begin < by_offset[i - 1]->end) {
      fail("'{}': tensors '{}' and '{}' overlap", where, by_offset[i - 1]->name, by_offset[i]->name);
    }
  }
}

SafetensorsFile::~SafetensorsFile() = default;

bool SafetensorsFile::contains(const std::string& name) const { return index_.count(name) > 0; }

const SafetensorsEntry& SafetensorsFile::entry(const std::string& name) const {
  auto it = index_.find(name);
  if (it == index_.end()) fail("'{}' has no tensor '{}'", path_.string(), name);
  return entries_[it->second];
}

torch::Tensor SafetensorsFile::tensor(const std::string& name) const {
  const SafetensorsEntry& e = entry(name);
  torch::Tensor out = torch::empty(e.shape, torch::TensorOptions().dtype(torch_dtype(e.dtype)));
  // Safetensors data is little-endian, as this (x86/ARM) host is.
  std::memcpy(out.data_ptr(), map_->bytes().data() + data_start_ + e.begin, e.end - e.begin);
  return out;
}

StateDict SafetensorsFile::load_all() const {
  StateDict out;
  for (const auto& e : entries_) out.emplace(e.name, tensor(e.name));
  return out;
}

StateDict load_safetensors(const fs::path& path) {
  fs::path file = path;
  if (fs::is_directory(path)) {
    if (fs::exists(path / "model.safetensors.index.json")) {
      file = path / "model.safetensors.index.json";
    } else if (fs::exists(path / "model.safetensors")) {
      file = path / "model.safetensors";
    } else {
      fail("'{}' holds neither model.safetensors nor model.safetensors.index.json", path.string());
    }
  }
  if (file.extension() != ".json") return SafetensorsFile(file).load_all();

  json index;
  try {
    index = json::parse(read_file(file));
  } catch (const json::exception& e) {
    fail("'{}' is not valid JSON ({})", file.string(), e.what());
  }
  if (!index.contains("weight_map") || !index["weight_map"].is_object()) {
    fail("'{}' has no weight_map object (not a safetensors index)", file.string());
  }
  std::map<std::string, std::vector<std::string>> by_shard;
  for (const auto& [name, shard] : index["weight_map"].items()) {
    if (!shard.is_string()) fail("'{}': weight_map entry '{}' is not a file name", file.string(), name);
    by_shard[shard.get<std::string>()].push_back(name);
  }
  StateDict out;
  for (const auto& [shard, names] : by_shard) {
    fs::path shard_path = file.parent_path() / shard;
    if (!fs::exists(shard_path)) {
      fail("'{}' names shard '{}', which does not exist", file.string(), shard_path.string());
    }
    SafetensorsFile f(shard_path);
    for (const auto& name : names) {
      if (!f.contains(name)) {
        fail("'{}' says tensor '{}' is in '{}', but it is not there", file.string(), name,
             shard_path.string());
      }
      out.emplace(name, f.tensor(name));
    }
  }
  return out;
}

void save_safetensors(const fs::path& path, const StateDict& tensors,
                      const std::map<std::string, std::string>& metadata) {
  json header = json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::vector<torch::Tensor> data;
  std::uint64_t offset = 0;
  for (const auto& [name, t] : tensors) {
    if (name == "__metadata__") fail("a tensor cannot be named __metadata__");
    torch::Tensor c = t.detach().to(torch::kCPU).contiguous();
    std::uint64_t n = c.numel() * c.element_size();
    header[name] = {{"dtype", safetensors_dtype(c.scalar_type())},
                    {"shape", c.sizes().vec()},
                    {"data_offsets", {offset, offset + n}}};
    offset += n;
    data.push_back(std::move(c));
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  unsigned char len[8];
  for (int i = 0; i < 8; ++i) len[i] = static_cast<unsigned char>(text.size() >> (8 * i));
  AtomicFile out(path);
  out.write(len, 8);
  out.write(text);
  for (const auto& c : data) out.write(c.data_ptr(), c.numel() * c.element_size());
  out.commit();
}

}  // namespace oqvl::model
