#include "oqvl/model/io/hf_weights.h"

#include <set>
#include <string>

#include "oqvl/core/error.h"
#include "oqvl/core/json.h"
#include "oqvl/model/io/torch_save.h"

namespace oqvl::model {

namespace fs = std::filesystem;

StateDict load_hf_folder_weights(const fs::path& dir) {
  if (fs::exists(dir / "model.safetensors") || fs::exists(dir / "model.safetensors.index.json"))
    return load_safetensors(dir);
  if (fs::exists(dir / "pytorch_model.bin")) return load_torch_save(dir / "pytorch_model.bin").tensors;
  const fs::path index = dir / "pytorch_model.bin.index.json";
  if (fs::exists(index)) {
    const auto j = read_json_file(index, "weight index");
    if (!j.contains("weight_map") || !j["weight_map"].is_object())
      fail("'{}' has no \"weight_map\" object", index.string());
    std::set<std::string> shards;
    for (const auto& [name, shard] : j["weight_map"].items()) shards.insert(shard.get<std::string>());
    StateDict all;
    for (const auto& shard : shards)
      for (auto& [name, t] : load_torch_save(dir / shard).tensors) all[name] = t;
    return all;
  }
  fail("'{}' holds no model.safetensors, model.safetensors.index.json, pytorch_model.bin or "
       "pytorch_model.bin.index.json",
       dir.string());
}

}  // namespace oqvl::model
