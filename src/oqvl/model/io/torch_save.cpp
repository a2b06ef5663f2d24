#include "oqvl/model/io/torch_save.h"

#include <caffe2/serialize/inline_container.h>

#include <cstring>
#include <map>
#include <memory>

#include "oqvl/core/error.h"
#include "oqvl/core/files.h"
#include "oqvl/model/io/torch_save_pickle.h"

namespace oqvl::model {

namespace fs = std::filesystem;

namespace {

torch::ScalarType storage_dtype(const std::string& storage_type) {
  static const std::map<std::string, torch::ScalarType> types = {
      {"torch.FloatStorage", torch::kFloat32}, {"torch.DoubleStorage", torch::kFloat64},
      {"torch.HalfStorage", torch::kFloat16},  {"torch.BFloat16Storage", torch::kBFloat16},
      {"torch.LongStorage", torch::kInt64},    {"torch.IntStorage", torch::kInt32},
      {"torch.ShortStorage", torch::kInt16},   {"torch.CharStorage", torch::kInt8},
      {"torch.ByteStorage", torch::kUInt8},    {"torch.BoolStorage", torch::kBool},
      {"torch.UntypedStorage", torch::kUInt8}};
  // read_state_dict_pickle accepts only the types torch_storage_element_size knows: these.
  return types.at(storage_type);
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
    const auto dtype = storage_dtype(t.storage_type);
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
    const auto elem = static_cast<std::size_t>(c10::elementSize(dtype));
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
