// safetensors I/O (the Hugging Face weight format): an 8-byte little-endian header length, a JSON
// header {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {str: str}}, then the
// raw little-endian tensor bytes. Reading memory-maps the file and validates the header fully
// before any tensor is touched (safetensors_header.h, torch-free); sharded checkpoints
// (model.safetensors.index.json) are followed.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "oqvl/model/io/safetensors_header.h"

namespace oqvl {
class MappedFile;
}

namespace oqvl::model {

// Tensors by name; std::map so iteration (and files written from it) has a stable order.
using StateDict = std::map<std::string, torch::Tensor>;

// One .safetensors file, memory-mapped. Errors (oqvl::Error) name the file and the tensor.
class SafetensorsFile {
 public:
  explicit SafetensorsFile(const std::filesystem::path& path);
  ~SafetensorsFile();
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  const std::vector<SafetensorsEntry>& entries() const { return entries_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  bool contains(const std::string& name) const;
  const SafetensorsEntry& entry(const std::string& name) const;
  // A CPU tensor owning a copy of the bytes, in the file's dtype.
  torch::Tensor tensor(const std::string& name) const;
  StateDict load_all() const;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  std::unique_ptr<MappedFile> map_;
  std::uint64_t data_start_ = 0;
  std::vector<SafetensorsEntry> entries_;
  std::map<std::string, std::size_t> index_;
  std::map<std::string, std::string> metadata_;
};

// Loads every tensor of a checkpoint: a .safetensors file, a *.safetensors.index.json (sharded:
// its weight_map names the shard of each tensor), or a folder holding model.safetensors or
// model.safetensors.index.json.
StateDict load_safetensors(const std::filesystem::path& path);

// Writes `tensors` (any device; contiguous CPU copies are written) atomically, names in sorted
// order, header padded with spaces to 8 bytes as the reference writer does.
void save_safetensors(const std::filesystem::path& path, const StateDict& tensors,
                      const std::map<std::string, std::string>& metadata = {});

// The safetensors dtype string of a torch dtype, and back; oqvl::Error for unsupported ones.
std::string safetensors_dtype(torch::ScalarType type);
torch::ScalarType torch_dtype(const std::string& safetensors_dtype);

}  // namespace oqvl::model
