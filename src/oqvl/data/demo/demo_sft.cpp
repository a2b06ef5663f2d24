#include "oqvl/data/demo/demo_sft.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "oqvl/data/demo/demo_data.h"

namespace oqvl::data {

std::string demo_sft_jsonl(const FashionMnistSplit& train, std::uint64_t count) {
  std::string out;
  for (std::uint64_t i = 0; i < count; ++i) {
    const auto key = demo_sample_key(i);
    // ordered_json: keys in the order a reader expects, not sorted.
    const nlohmann::ordered_json line = {
        {"id", key},
        {"image", key},
        {"conversations",
         {{{"from", "human"}, {"value", kDemoSftPrompt}},
          {{"from", "gpt"}, {"value", kFashionMnistClasses.at(train.labels.at(i))}}}}};
    out += line.dump();
    out += '\n';
  }
  return out;
}

}  // namespace oqvl::data
