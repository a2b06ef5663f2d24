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

struct DTypeInfo {
  const char* name;
  torch::ScalarType type;
};
constexpr DTypeInfo kDTypes[] = {
    {"F32", torch::kFloat32}, {"F16", torch::kFloat16}, {"BF16", torch::kBFloat16}, {"F64", torch::kFloat64},
    {"I64", torch::kInt64},   {"I32", torch::kInt32},   {"I16", torch::kInt16},     {"I8", torch::kInt8},
    {"U8", torch::kUInt8},    {"BOOL", torch::kBool},
};

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
  SafetensorsHeader header = parse_safetensors_header(map_->bytes(), path.string());
  data_start_ = header.data_start;
  entries_ = std::move(header.entries);
  metadata_ = std::move(header.metadata);
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    // The header's dtype names and sizes must be torch's (a table in each file).
    if (static_cast<std::size_t>(c10::elementSize(torch_dtype(entries_[i].dtype))) !=
        safetensors_element_size(entries_[i].dtype)) {
      fail("internal: safetensors dtype '{}' has two sizes", entries_[i].dtype);
    }
    index_[entries_[i].name] = i;
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

  auto by_shard = parse_safetensors_index(read_file(file), file.string());
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
