#include "oqvl/report/run_report.h"

#include <fmt/format.h>

#include <cmath>
#include <set>
#include <vector>

#include "oqvl/core/error.h"
#include "oqvl/core/files.h"
#include "oqvl/report/html.h"
#include "oqvl/report/run_summary.h"
#include "oqvl/report/smoothing.h"
#include "oqvl/report/svg_chart.h"

namespace oqvl::report {
namespace fs = std::filesystem;

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds)) return "n/a";
  if (seconds < 10) return fmt::format("{:.1f}s", seconds);
  const auto s = static_cast<long long>(std::llround(seconds));
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}h{:02}m", s / 3600, s % 3600 / 60);
}

std::string format_count(double n) {
  if (!std::isfinite(n)) return "n/a";
  const double a = std::abs(n);
  if (a < 1e4) return fmt::format("{:.0f}", n);
  const char* suffix = a < 1e6 ? "k" : a < 1e9 ? "M" : a < 1e12 ? "G" : "T";
  const double unit = a < 1e6 ? 1e3 : a < 1e9 ? 1e6 : a < 1e12 ? 1e9 : 1e12;
  const double v = n / unit;
  return fmt::format("{:.{}f}{}", v, std::abs(v) < 10 ? 2 : std::abs(v) < 100 ? 1 : 0, suffix);
}

namespace {

constexpr const char* kStyle = R"(
body { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; color: #222; background: #f4f5f7;
       max-width: 1200px; margin: 24px auto; padding: 0 16px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 24px 0 8px; }
.sub { color: #666; font-size: 13px; }
.summary { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: 8px; margin: 16px 0; }
.card { background: #fff; border: 1px solid #dfe2e6; border-radius: 6px; padding: 8px 12px; }
.card .k { font-size: 12px; color: #666; }
.card .v { font-size: 19px; font-weight: 600; margin-top: 2px; }
.card .d { font-size: 11px; color: #888; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(440px, 1fr)); gap: 12px; }
svg.chart { background: #fff; border: 1px solid #dfe2e6; border-radius: 6px; width: 100%; height: auto;
            box-sizing: border-box; }
.note { background: #fff8e1; border: 1px solid #f0d98c; border-radius: 6px; padding: 6px 12px; margin: 8px 0;
        font-size: 13px; }
table { border-collapse: collapse; background: #fff; font-size: 13px; margin-top: 12px; }
th, td { border: 1px solid #dfe2e6; padding: 4px 10px; text-align: left; }
th { background: #f0f1f3; }
pre { background: #fff; border: 1px solid #dfe2e6; border-radius: 6px; padding: 12px; overflow: auto;
      font-size: 12px; line-height: 1.4; }
summary { cursor: pointer; font-size: 17px; font-weight: 600; margin: 24px 0 8px; }
footer { color: #888; font-size: 12px; margin: 24px 0; }
)";

// Colours of lines that are not one metric (the labels of an eval chart).
constexpr const char* kPalette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b",
                                    "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#d62728"};

std::string number(double v) { return std::isfinite(v) ? fmt::format("{:.4g}", v) : "n/a"; }

void card(std::string& html, std::string_view key, const std::string& value, const std::string& detail = {}) {
  html += fmt::format("<div class=\"card\"><div class=\"k\">{}</div><div class=\"v\">{}</div>",
                      html_escape(key), html_escape(value));
  if (!detail.empty()) html += fmt::format("<div class=\"d\">{}</div>", html_escape(detail));
  html += "</div>\n";
}

LineChart chart(std::string title, std::string y_label) {
  LineChart c;
  c.title = std::move(title);
  c.x_label = "step";
  c.y_label = std::move(y_label);
  return c;
}

Series series(std::string name, std::string color, std::vector<double> x, std::vector<double> y,
              double width) {
  Series s;
  s.name = std::move(name);
  s.color = std::move(color);
  s.x = std::move(x);
  s.y = std::move(y);
  s.stroke_width = width;
  return s;
}

// A series' name in a legend: its label, or only the value when the label is one "key=value".
std::string legend_name(const OtherSeries& s) {
  if (s.label.empty()) return s.kind;
  const auto eq = s.label.find('=');
  if (eq != std::string::npos && s.label.find(' ') == std::string::npos) return s.label.substr(eq + 1);
  return s.label;
}

bool any_finite(const std::vector<double>& v) {
  for (double x : v)
    if (std::isfinite(x)) return true;
  return false;
}

void summary_cards(std::string& html, const MetricsLog& log) {
  const RunSummary s = summarize(log);
  html += "<div class=\"summary\">\n";
  card(html, "steps", fmt::format("{}", s.last_step), fmt::format("{} rows logged", s.rows));
  card(html, "final loss", number(s.final_loss));
  card(html, "min loss", number(s.min_loss),
       std::isfinite(s.min_loss) ? fmt::format("at step {}", s.min_loss_step) : "");
  card(html, "final lr", number(s.final_lr));
  card(html, "tokens", format_count(s.tokens), "throughput \u00d7 time");
  card(html, "training time", format_duration(s.elapsed_s));
  card(html, "tokens/s", format_count(s.mean_tokens_per_s), "time-weighted mean");
  card(html, "images/s", number(s.mean_images_per_s), "time-weighted mean");
  card(html, "data wait",
       std::isfinite(s.mean_data_wait) ? fmt::format("{:.1f}%", 100 * s.mean_data_wait) : "n/a",
       "share of step time");
  if (std::isfinite(s.final_epoch)) card(html, "epoch", fmt::format("{:.2f}", s.final_epoch));
  html += "</div>\n";

  std::vector<std::string> notes;
  if (log.restarts > 0)
    notes.push_back(
        fmt::format("The run was resumed {} time(s); the later run's lines replace the earlier ones "
                    "from the step it resumed at.",
                    log.restarts));
  if (s.non_finite_losses > 0)
    notes.push_back(
        fmt::format("{} logged loss value(s) are not finite (NaN or infinite): gaps in the loss chart, "
                    "marked in red on its step axis.",
                    s.non_finite_losses));
  if (log.partial_last_line)
    notes.push_back(
        "The last line of the metrics file is incomplete (the run may still be writing it); it was ignored.");
  if (log.skipped > 0)
    notes.push_back(fmt::format("{} line(s) of other kinds without a step were ignored.", log.skipped));
  if (log.train.empty()) notes.push_back("The metrics file has no train lines.");
  for (const auto& n : notes) html += fmt::format("<div class=\"note\">{}</div>\n", html_escape(n));
}

void train_charts(std::string& html, const MetricsLog& log) {
  std::vector<double> step, loss, lr, grad, tps, ips, wait;
  for (const TrainRow& r : log.train) {
    step.push_back(static_cast<double>(r.step));
    loss.push_back(r.loss);
    lr.push_back(r.lr);
    grad.push_back(r.grad_norm);
    tps.push_back(r.tokens_per_s);
    ips.push_back(r.images_per_s);
    wait.push_back(100 * r.data_wait);
  }
  html += "<div class=\"charts\">\n";
  {
    LineChart c = chart("Loss", "loss");
    const double span = default_smoothing_span(loss.size());
    c.series.push_back(series("raw", "#8fb9dd", step, loss, 1.2));
    if (span > 1)
      c.series.push_back(series(fmt::format("smoothed (EMA, span {:.0f})", span), "#0b4f8a", step,
                                ema_smooth(loss, span), 2.2));
    html += render_svg(c);
  }
  // The other charts only when the run logged the quantity.
  auto single = [&](const char* title, const char* y_label, const char* color, const std::vector<double>& y,
                    bool from_zero) {
    if (!any_finite(y)) return;
    LineChart c = chart(title, y_label);
    c.y_from_zero = from_zero;
    c.series.push_back(series(y_label, color, step, y, 1.8));
    html += render_svg(c);
  };
  single("Learning rate", "lr", "#2e8b57", lr, true);
  single("Gradient norm", "grad norm", "#e0662a", grad, true);
  single("Throughput: tokens/s", "tokens/s", "#6a51a3", tps, true);
  single("Throughput: images/s", "images/s", "#c2185b", ips, true);
  single("Data wait", "% of step time", "#5f6b73", wait, true);
  html += "</div>\n";
}

// One chart per (kind, numeric field), one line per label; then the latest values as a table.
void other_charts(std::string& html, const MetricsLog& log) {
  if (log.others.empty()) return;
  std::set<std::string> kinds;
  for (const OtherSeries& s : log.others) kinds.insert(s.kind);
  for (const std::string& kind : kinds) {
    html += fmt::format("<h2>{}</h2>\n<div class=\"charts\">\n", html_escape(kind));
    std::set<std::string> fields;
    for (const OtherSeries& s : log.others)
      if (s.kind == kind)
        for (const OtherRow& r : s.rows)
          for (const auto& [field, value] : r.values) fields.insert(field);
    for (const std::string& field : fields) {
      LineChart c = chart(fmt::format("{}: {}", kind, field), field);
      std::size_t colour = 0;
      for (const OtherSeries& s : log.others) {
        if (s.kind != kind) continue;
        Series line = series(legend_name(s), kPalette[colour++ % std::size(kPalette)], {}, {}, 1.8);
        for (const OtherRow& r : s.rows) {
          const auto it = r.values.find(field);
          if (it == r.values.end()) continue;
          line.x.push_back(static_cast<double>(r.step));
          line.y.push_back(it->second);
        }
        if (!line.x.empty()) c.series.push_back(std::move(line));
      }
      html += render_svg(c);
    }
    html += "</div>\n<div><table><tr><th>series</th><th>last step</th><th>values</th></tr>\n";
    for (const OtherSeries& s : log.others) {
      if (s.kind != kind || s.rows.empty()) continue;
      std::string values;
      for (const auto& [field, value] : s.rows.back().values)
        values += fmt::format("{}{} = {}", values.empty() ? "" : ", ", field, number(value));
      html += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                          html_escape(s.label.empty() ? kind : s.label), s.rows.back().step,
                          html_escape(values));
    }
    html += "</table></div>\n";
  }
}

}  // namespace

std::string render_run_report(const RunReport& report) {
  std::string html = fmt::format("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                                 "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                                 "<title>oqvl run {0}</title>\n<style>{1}</style>\n</head>\n<body>\n"
                                 "<h1>Training run: {0}</h1>\n<div class=\"sub\">{2}</div>\n",
                                 html_escape(report.run_name), kStyle, html_escape(report.source));
  summary_cards(html, report.metrics);
  train_charts(html, report.metrics);
  other_charts(html, report.metrics);
  if (report.config_toml) {
    html += fmt::format("<details open>\n<summary>config.toml</summary>\n<pre>{}</pre>\n</details>\n",
                        html_escape(*report.config_toml));
  } else {
    html += "<div class=\"note\">No config.toml in the run folder.</div>\n";
  }
  html += fmt::format("<footer>Made by oqvl plot {} from {} metrics lines.</footer>\n</body>\n</html>\n",
                      OQVL_VERSION, report.metrics.lines);
  return html;
}

fs::path write_run_report(const fs::path& run_dir, fs::path out) {
  std::error_code ec;
  if (!fs::is_directory(run_dir, ec))
    fail("{}: not a folder (expected a training run folder)", run_dir.string());
  RunReport report;
  fs::path name = fs::absolute(run_dir).lexically_normal();
  if (name.filename().empty()) name = name.parent_path();
  report.run_name = name.filename().string();
  const fs::path metrics = run_dir / "metrics.jsonl";
  report.source = metrics.string();
  report.metrics = read_metrics_log(metrics);
  if (fs::is_regular_file(run_dir / "config.toml", ec))
    report.config_toml = read_file(run_dir / "config.toml");
  if (out.empty()) out = run_dir / "report.html";
  write_file_atomic(out, render_run_report(report));
  return out;
}

}  // namespace oqvl::report
