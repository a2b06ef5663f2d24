// The learning-rate schedule of the paper's code (docs/recipe.md §7.1): Hugging Face's
// get_cosine_schedule_with_warmup — linear warmup from 0, then a half cosine to 0 — with an
// optional floor (min_lr_ratio) and a constant variant. Stateless: the rate is a function of the
// optimizer step, so resuming needs only the step.
#pragma once

#include <cstdint>
#include <string>

namespace oqvl::train {

struct LrSchedule {
  double peak = 0;
  std::int64_t warmup_steps = 0;
  std::int64_t total_steps = 1;
  std::string shape = "cosine";  // cosine | constant
  double min_ratio = 0;

  // The rate used for optimizer step `step` (0-based: the first update uses step 0, which is
  // 0 during warmup, as the reference scheduler's first value is).
  double at(std::int64_t step) const;
};

// warmup = int(total * ratio) as the reference computes it, unless warmup_steps >= 0.
std::int64_t warmup_steps_for(std::int64_t total_steps, double ratio, std::int64_t warmup_steps);

}  // namespace oqvl::train
