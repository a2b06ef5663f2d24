// The HTML report of a training run (`oqvl plot`): one self-contained file (inline SVG and CSS, no
// script, no external resource) with the run's summary, charts of loss (raw and smoothed),
// learning rate, gradient norm, throughput and data wait against the step, charts of any other
// kinds of line (evaluations), and the run's config.toml verbatim. The same input gives the same
// bytes (no timestamps). Layout and inputs: docs/report.md.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "oqvl/report/metrics_log.h"

namespace oqvl::report {

struct RunReport {
  std::string run_name;  // the title (HTML-escaped when rendered)
  std::string source;    // the metrics file, named in the footer
  MetricsLog metrics;
  std::optional<std::string> config_toml;  // shown verbatim when present
};

std::string render_run_report(const RunReport& report);

// Reads RUN_DIR/metrics.jsonl (and config.toml when present) and writes the report atomically to
// `out` (default RUN_DIR/report.html). Returns the path written. Errors: oqvl::Error when the
// folder or the metrics file is missing or bad (metrics_log.h), or the output cannot be written.
std::filesystem::path write_run_report(const std::filesystem::path& run_dir, std::filesystem::path out = {});

// "1h02m", "3m05s", "12s", "0.4s" ("n/a" when not finite).
std::string format_duration(double seconds);

// A count for people: 950, 12.3k, 4.57M, 1.2G ("n/a" when not finite).
std::string format_count(double n);

}  // namespace oqvl::report
