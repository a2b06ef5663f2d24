#include "oqvl/model/io/torch_save.h"

#include <caffe2/serialize/inline_container.h>

#include <cstring>
#include <map>
#include <stdexcept>
#include <memory>

#include "oqvl/core/error.h"
#include "oqvl/core/files.h"
#include "oqvl/model/io/torch_save_pickle.h"

namespace oqvl::model {

namespace fs = std::filesystem;

namespace {

torch::ScalarType storage_dtype(StorageElement element) {
  switch (element) {
    case StorageElement::kFloat32: return torch::kFloat32;
    case StorageElement::kFloat64: return torch::kFloat64;
    case StorageElement::kFloat16: return torch::kFloat16;
    case StorageElement::kBFloat16: return torch::kBFloat16;
    case StorageElement::kInt64: return torch::kInt64;
    case StorageElement::kInt32: return torch::kInt32;
    case StorageElement::kInt16: return torch::kInt16;
    case StorageElement::kInt8: return torch::kInt8;
    case StorageElement::kUInt8: return torch::kUInt8;
    case StorageElement::kBool: return torch::kBool;
  }
  throw std::logic_error("storage_dtype: unknown StorageElement");
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

  const PickledStateDict pickled = read_state_dict_pickle(pickle, file);

  // A storage record as a tensor over the map: checked to be stored uncompressed and in bounds.
  auto storage = [&](const PickledTensor& t) {
    const std::string name = "data/" + t.storage_key;
    const auto dtype = storage_dtype(t.storage_type->element);
    std::size_t offset = 0, size = 0, header = 0;
    try {
      if (!reader->hasRecord(name)) fail("'{}': tensor storage record '{}' is missing", file, name);
      offset = reader->getRecordOffset(name);
      size = reader->getRecordSize(name);
      header = reader->getRecordHeaderOffset(name);
    } catch (const c10::Error& e) {
      fail("'{}': cannot locate storage record '{}': {}", file, name, e.what_without_backtrace());
    }
    if (header > bytes.size() || bytes.size() - header < 30 || le32(bytes.data() + header) != 0x04034b50u)
      fail("'{}': storage record '{}' has no valid zip header", file, name);
    if (le16(bytes.data() + header + 8) != 0)
      fail("'{}': storage record '{}' is compressed (torch.save never compresses; re-save the file)", file,
           name);
    // The pickle reader checked that numel x element size fits 64 bits.
    const std::size_t elem = t.storage_type->element_size;
    if (static_cast<std::size_t>(t.storage_numel) * elem != size)
      fail("'{}': storage '{}' holds {} bytes, expected {} elements of {} bytes", file, name, size,
           t.storage_numel, elem);
    if (offset > bytes.size() || size > bytes.size() - offset)
      fail("'{}': storage record '{}' reaches past the end of the file (truncated?)", file, name);
    if (reinterpret_cast<std::uintptr_t>(bytes.data() + offset) % elem != 0)
      fail("'{}': storage record '{}' is not aligned", file, name);
    auto keep = map;  // the tensor owns a reference to the map
    return torch::from_blob(
        const_cast<std::uint8_t*>(bytes.data() + offset), {t.storage_numel}, [keep](void*) {},
        torch::TensorOptions().dtype(dtype));
  };

  TorchSaveContents out;
  out.skipped = pickled.skipped;
  std::map<std::string, torch::Tensor> storages;  // a storage shared by several tensors is one tensor
  for (const auto& t : pickled.tensors) {
    auto it = storages.find(t.storage_key);
    if (it == storages.end()) it = storages.emplace(t.storage_key, storage(t)).first;
    // The pickle reader checked that the view lies inside the storage's elements.
    out.tensors.emplace(t.name, it->second.as_strided(t.sizes, t.strides, t.offset));
  }
  return out;
}

}  // namespace oqvl::model
