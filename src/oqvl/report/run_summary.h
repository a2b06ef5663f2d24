// The numbers at the top of a run report: how far the run got, its loss, tokens seen, time and
// mean throughput, from the train rows of a metrics log. Pure function; safe from any thread.
#pragma once

#include <cstdint>

#include "oqvl/report/metrics_log.h"

namespace oqvl::report {

struct RunSummary {
  std::int64_t rows = 0;  // train rows after resolving restarts
  std::int64_t first_step = 0, last_step = 0;
  double final_loss = 0;  // the last row's loss (NaN when it was not finite)
  double min_loss = 0;    // NaN when no loss is finite
  std::int64_t min_loss_step = 0;
  double final_lr = 0, final_epoch = 0;
  // Tokens trained on. A row's tokens_per_s is the mean over the steps since the previous row and
  // elapsed_s grows by exactly those steps' time, so their product is that window's tokens; a
  // row without them counts its own "tokens" for every step since the previous row.
  double tokens = 0;
  double elapsed_s = 0;  // the last row's elapsed_s (training time, resumes included)
  // Time-weighted means over the rows that have them (NaN when none do).
  double mean_tokens_per_s = 0, mean_images_per_s = 0, mean_data_wait = 0;
  std::int64_t non_finite_losses = 0;
};

// With no train rows: rows = 0 and every number NaN.
RunSummary summarize(const MetricsLog& log);

}  // namespace oqvl::report
