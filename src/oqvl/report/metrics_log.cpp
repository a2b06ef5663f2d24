#include "oqvl/report/metrics_log.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <tuple>

#include "oqvl/core/error.h"
#include "oqvl/core/files.h"
#include "oqvl/core/strings.h"

namespace oqvl::report {
namespace {

using nlohmann::json;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// `line` with the bare literals NaN, Infinity and -Infinity outside strings replaced by null, so
// that nlohmann (strict JSON) reads what Python's json.dumps writes for non-finite floats.
std::string nulls_for_non_finite(std::string_view line) {
  std::string out;
  out.reserve(line.size());
  bool in_string = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (in_string) {
      out += c;
      if (c == '\\' && i + 1 < line.size()) {
        out += line[++i];
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') in_string = true;
    bool replaced = false;
    for (std::string_view literal : {"-Infinity", "Infinity", "NaN"}) {
      if (line.substr(i).starts_with(literal)) {
        out += "null";
        i += literal.size() - 1;
        replaced = true;
        break;
      }
    }
    if (!replaced) out += c;
  }
  return out;
}

// The parser's message without its "[json.exception.parse_error.101] " prefix.
std::string parse_message(const json::exception& e) {
  std::string_view m = e.what();
  if (m.starts_with("[json.exception.")) {
    const auto end = m.find("] ");
    if (end != std::string_view::npos) m.remove_prefix(end + 2);
  }
  return std::string(m);
}

double number_field(const json& line, const char* key, std::string_view where) {
  const auto it = line.find(key);
  if (it == line.end() || it->is_null()) return kNaN;
  if (!it->is_number()) fail("{}: '{}' must be a number or null, not {}", where, key, it->dump());
  return it->get<double>();
}

bool whole_step(const json& v, std::int64_t& step) {
  if (v.is_number_unsigned() || v.is_number_integer()) {
    step = v.get<std::int64_t>();
    return step >= 0;
  }
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (!(d >= 0) || d != std::floor(d) || d > 9e15) return false;
    step = static_cast<std::int64_t>(d);
    return true;
  }
  return false;
}

// Appends `row` to `rows`, first dropping the rows it supersedes (a resumed run from its step
// on). True when some were dropped or the step repeats: the run restarted.
template <typename Row>
bool append_resolving_restart(std::vector<Row>& rows, Row row) {
  bool restarted = false;
  while (!rows.empty() && rows.back().step >= row.step) {
    rows.pop_back();
    restarted = true;
  }
  rows.push_back(std::move(row));
  return restarted;
}

}  // namespace

MetricsLog parse_metrics_log(std::string_view text, std::string_view name) {
  MetricsLog log;
  std::map<std::pair<std::string, std::string>, OtherSeries> others;
  std::int64_t number = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t nl = text.find('\n', pos);
    const bool terminated = nl != std::string_view::npos;
    const std::string_view raw = text.substr(pos, terminated ? nl - pos : std::string_view::npos);
    pos = terminated ? nl + 1 : text.size();
    ++number;
    const std::string_view body = trim(raw);
    if (body.empty()) continue;
    const std::string where = fmt::format("{}:{}", name, number);
    json line;
    try {
      line = json::parse(nulls_for_non_finite(body));
    } catch (const json::exception& e) {
      if (!terminated) {
        log.partial_last_line = true;
        break;
      }
      fail("{}: not a JSON line: {}", where, parse_message(e));
    }
    if (!line.is_object()) fail("{}: expected a JSON object, got {}", where, line.dump());
    ++log.lines;
    std::string kind = "train";
    if (const auto k = line.find("kind"); k != line.end()) {
      if (!k->is_string()) fail("{}: 'kind' must be a string, not {}", where, k->dump());
      kind = k->get<std::string>();
    }
    const auto s = line.find("step");
    std::int64_t step = 0;
    const bool has_step = s != line.end() && whole_step(*s, step);
    if (kind == "train") {
      if (!has_step)
        fail("{}: a train line needs a whole non-negative 'step', got {}", where,
             s == line.end() ? std::string("none") : s->dump());
      TrainRow row{step,
                   number_field(line, "loss", where),
                   number_field(line, "lr", where),
                   number_field(line, "grad_norm", where),
                   number_field(line, "tokens", where),
                   number_field(line, "tokens_per_s", where),
                   number_field(line, "images_per_s", where),
                   number_field(line, "data_wait", where),
                   number_field(line, "elapsed_s", where),
                   number_field(line, "epoch", where)};
      if (append_resolving_restart(log.train, row)) ++log.restarts;
      continue;
    }
    if (!has_step) {
      ++log.skipped;
      continue;
    }
    OtherRow row{step, {}};
    std::string label;
    for (const auto& [key, value] : line.items()) {  // keys in sorted order: labels are stable
      if (key == "kind" || key == "step") continue;
      if (value.is_number()) {
        row.values[key] = value.get<double>();
      } else if (value.is_null()) {
        row.values[key] = kNaN;
      } else if (value.is_string()) {
        if (!label.empty()) label += ' ';
        label += fmt::format("{}={}", key, value.get<std::string>());
      }
    }
    OtherSeries& series = others[{kind, label}];
    series.kind = kind;
    series.label = label;
    append_resolving_restart(series.rows, std::move(row));
  }
  if (log.lines == 0) fail("{}: no metrics lines (is the run still starting?)", name);
  for (auto& [key, series] : others) log.others.push_back(std::move(series));
  return log;
}

MetricsLog read_metrics_log(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec))
    fail("{}: no such file (a run folder holds the trainer's metrics.jsonl)", file.string());
  return parse_metrics_log(read_file(file), file.string());
}

}  // namespace oqvl::report
