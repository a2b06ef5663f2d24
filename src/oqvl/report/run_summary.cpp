#include "oqvl/report/run_summary.h"

#include <cmath>
#include <limits>

namespace oqvl::report {

RunSummary summarize(const MetricsLog& log) {
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  RunSummary s;
  s.final_loss = s.min_loss = s.final_lr = s.final_epoch = s.elapsed_s = kNaN;
  s.mean_tokens_per_s = s.mean_images_per_s = s.mean_data_wait = kNaN;
  const auto& rows = log.train;
  s.rows = static_cast<std::int64_t>(rows.size());
  if (rows.empty()) {
    s.tokens = kNaN;
    return s;
  }
  s.first_step = rows.front().step;
  s.last_step = rows.back().step;
  s.final_loss = rows.back().loss;
  s.final_lr = rows.back().lr;
  s.final_epoch = rows.back().epoch;
  s.elapsed_s = rows.back().elapsed_s;

  // Time-weighted sums: value * seconds of the window each row covers.
  double tps_sum = 0, tps_time = 0, ips_sum = 0, ips_time = 0, wait_sum = 0, wait_time = 0;
  double previous_elapsed = 0;
  std::int64_t previous_step = 0;
  for (const TrainRow& r : rows) {
    if (std::isfinite(r.loss)) {
      if (!(s.min_loss <= r.loss)) {  // also true while min_loss is NaN
        s.min_loss = r.loss;
        s.min_loss_step = r.step;
      }
    } else {
      ++s.non_finite_losses;
    }
    const double window = r.elapsed_s - previous_elapsed;
    const bool timed = std::isfinite(window) && window > 0;
    if (timed && std::isfinite(r.tokens_per_s)) {
      s.tokens += r.tokens_per_s * window;
      tps_sum += r.tokens_per_s * window;
      tps_time += window;
    } else if (std::isfinite(r.tokens)) {
      s.tokens += r.tokens * static_cast<double>(r.step - previous_step);
    }
    if (timed && std::isfinite(r.images_per_s)) {
      ips_sum += r.images_per_s * window;
      ips_time += window;
    }
    if (timed && std::isfinite(r.data_wait)) {
      wait_sum += r.data_wait * window;
      wait_time += window;
    }
    if (std::isfinite(r.elapsed_s)) previous_elapsed = r.elapsed_s;
    previous_step = r.step;
  }
  if (tps_time > 0) s.mean_tokens_per_s = tps_sum / tps_time;
  if (ips_time > 0) s.mean_images_per_s = ips_sum / ips_time;
  if (wait_time > 0) s.mean_data_wait = wait_sum / wait_time;
  return s;
}

}  // namespace oqvl::report
