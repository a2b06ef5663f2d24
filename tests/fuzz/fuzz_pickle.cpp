// The torch.save pickle reader (model/io/torch_save_pickle.h, torch-free): the input is a
// data.pkl. Every tensor it accepts must be a view inside its storage's declared elements, of a
// storage type with a known element size, under a unique name.
#include <cstdint>
#include <set>

#include "fuzz_util.h"
#include "oqvl/model/io/torch_save_pickle.h"

using namespace oqvl;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::expect_ok_or_error([&] {
    auto sd = model::read_state_dict_pickle(fuzz::text(data, size), "checkpoint.pt");
    std::set<std::string> names;
    for (const auto& t : sd.tensors) {
      if (!names.insert(t.name).second) std::abort();
      if (!t.storage_type || model::find_storage_type(t.storage_type->name) != t.storage_type) std::abort();
      if (t.sizes.size() != t.strides.size() || t.offset < 0 || t.storage_numel < 0) std::abort();
      bool empty = false;
      long double last = static_cast<long double>(t.offset);
      for (std::size_t d = 0; d < t.sizes.size(); ++d) {
        if (t.sizes[d] < 0 || t.strides[d] < 0) std::abort();
        if (t.sizes[d] == 0) empty = true;
        else last += static_cast<long double>(t.sizes[d] - 1) * static_cast<long double>(t.strides[d]);
      }
      if (!empty && last >= static_cast<long double>(t.storage_numel)) std::abort();
    }
  });
  return 0;
}
