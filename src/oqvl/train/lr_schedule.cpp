#include "oqvl/train/lr_schedule.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace oqvl::train {

double LrSchedule::at(std::int64_t step) const {
  double factor;
  if (step < warmup_steps) {
    factor = static_cast<double>(step) / static_cast<double>(std::max<std::int64_t>(1, warmup_steps));
  } else if (shape == "constant") {
    factor = 1.0;
  } else {
    const double progress = static_cast<double>(step - warmup_steps) /
                            static_cast<double>(std::max<std::int64_t>(1, total_steps - warmup_steps));
    factor = std::max(0.0, 0.5 * (1.0 + std::cos(std::numbers::pi * progress)));
    factor = min_ratio + (1.0 - min_ratio) * factor;
  }
  return peak * factor;
}

std::int64_t warmup_steps_for(std::int64_t total_steps, double ratio, std::int64_t warmup_steps) {
  if (warmup_steps >= 0) return warmup_steps;
  return static_cast<std::int64_t>(static_cast<double>(total_steps) * ratio);
}

}  // namespace oqvl::train
