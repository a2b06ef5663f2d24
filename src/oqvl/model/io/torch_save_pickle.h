// The untrusted half of a torch.save checkpoint, without libtorch: its data.pkl pickle,
// interpreted into a flat list of tensor descriptions (storage record, dtype, view) and checked in
// full before any tensor is made. Torch-free so that tests/fuzz/ runs it under ASan+UBSan
// (torch_save.h reads the zip and makes the tensors on top of it).
//
// The interpreter understands the opcodes torch.save emits (protocol 2; the opcodes of protocols
// 3-5 that can appear in such a stream too) for dicts, OrderedDicts, tuples, lists, scalars,
// strings and tensors (_rebuild_tensor_v2, _rebuild_parameter, _rebuild_from_type_v2). Values
// live in an arena freed as a whole, so a pickle that makes a container hold itself leaks nothing.
// Errors: oqvl::Error naming the file and the byte offset for a malformed pickle; naming the
// tensor for a view that reaches past its storage; and for a pickle beyond PickleLimits (deep
// nesting, too many values, a tree that flattens to more names than the limits allow, as a small
// pickle that reuses one dict at every level of a binary tree does).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "oqvl/core/input_limits.h"

namespace oqvl::model {

// The defaults are the run's input limits (core/input_limits.h, `oqvl --limit pickle-depth=N`...).
struct PickleLimits {
  // Dicts inside dicts (and rebuild calls inside rebuild calls): a real checkpoint nests 2-4 deep.
  std::size_t max_depth = static_cast<std::size_t>(input_limits().pickle_depth);
  // Values the interpreter creates plus leaves the flattened tree has: a 1.5B checkpoint ~2,000.
  std::size_t max_values = static_cast<std::size_t>(input_limits().pickle_values);
  // Total bytes of the flattened names: a 1.5B checkpoint's are ~100 KB.
  std::size_t max_name_bytes = static_cast<std::size_t>(input_limits().pickle_name_bytes);
  // Dimensions of one tensor.
  std::size_t max_dims = 64;
};

// The element types of the torch storages oqvl reads (torch_save.cpp maps them to dtypes).
enum class StorageElement {
  kFloat32,
  kFloat64,
  kFloat16,
  kBFloat16,
  kInt64,
  kInt32,
  kInt16,
  kInt8,
  kUInt8,
  kBool
};

struct StorageType {
  std::string_view name;  // the pickle's class name: "torch.FloatStorage", ...
  StorageElement element;
  std::size_t element_size;  // bytes
};

// The storage type of a class name ("torch.FloatStorage"; torch.UntypedStorage is bytes), or
// nullptr for one oqvl does not read. The one list of the names.
const StorageType* find_storage_type(std::string_view name);

struct PickledTensor {
  std::string name;                           // path of dict keys joined with '.'
  std::string storage_key;                    // the archive's record "data/<storage_key>"
  const StorageType* storage_type = nullptr;  // never null in a PickledStateDict
  std::int64_t storage_numel = 0;  // elements the storage record holds (numel x element size fits 64 bits)
  std::int64_t offset = 0;         // the view: as_strided(sizes, strides, offset), inside the storage
  std::vector<std::int64_t> sizes;
  std::vector<std::int64_t> strides;
};

struct PickledStateDict {
  std::vector<PickledTensor> tensors;  // in the pickle's order; names unique
  std::vector<std::string> skipped;    // paths of leaves that are not tensors (numbers, None, lists...)
};

// Interprets `pickle` (a torch.save archive's data.pkl); its top level must be a dict. `file`
// names the checkpoint in errors.
PickledStateDict read_state_dict_pickle(std::string_view pickle, std::string_view file,
                                        const PickleLimits& limits = {});

}  // namespace oqvl::model
