#include "oqvl/train/config.h"

#include <fmt/format.h>

#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <toml++/toml.h>

#include "oqvl/core/error.h"

namespace oqvl::train {

namespace fs = std::filesystem;

std::string stage_name(Stage stage) {
  switch (stage) {
    case Stage::kPretrain: return "pretrain";
    case Stage::kSft: return "sft";
    case Stage::kAlign: return "align";
    case Stage::kFull: return "full";
  }
  return "?";
}

Stage parse_stage(const std::string& name) {
  if (name == "pretrain") return Stage::kPretrain;
  if (name == "sft") return Stage::kSft;
  if (name == "align") return Stage::kAlign;
  if (name == "full") return Stage::kFull;
  fail("run.stage: '{}' is not a stage (pretrain, sft, align, full)", name);
}

namespace {

// One key: how to read it from a TOML node into the config, and how to print it.
struct Binding {
  ConfigKey meta;
  std::function<void(TrainConfig&, const toml::node&, const fs::path& base)> read;
  std::function<std::string(const TrainConfig&)> write;
};

// `s` as a TOML basic string ("...", escaped). Not toml++'s printer: it writes a string holding a
// newline and ''' as a multi-line literal string that the ''' ends early, so the resolved config
// read back differently (tests/fuzz/corpus/train_config/regress-triple-quote).
std::string toml_string(const std::string& s) {
  std::string out = "\"";
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += fmt::format("\\u{:04X}", c);
        } else {
          out += ch;
        }
    }
  }
  return out + '"';
}

std::string number_text(double v) {
  auto s = fmt::format("{}", v);
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";  // TOML floats need a point
  return s;
}

[[noreturn]] void wrong_type(const std::string& key, const char* want, const toml::node& node) {
  std::ostringstream type;
  type << node.type();
  fail("{}: expected {}, got {}", key, want, type.str());
}

template <typename T>
Binding make_binding(std::string key, std::string doc, T TrainConfig::*field) {
  Binding b;
  b.meta.key = key;
  b.meta.doc = std::move(doc);
  if constexpr (std::is_same_v<T, std::string>) {
    b.meta.type = "string";
    b.read = [key, field](TrainConfig& c, const toml::node& n, const fs::path&) {
      if (!n.is_string()) wrong_type(key, "a string", n);
      c.*field = *n.value<std::string>();
    };
    b.write = [field](const TrainConfig& c) { return toml_string(c.*field); };
  } else if constexpr (std::is_same_v<T, fs::path>) {
    b.meta.type = "path";
    b.read = [key, field](TrainConfig& c, const toml::node& n, const fs::path& base) {
      if (!n.is_string()) wrong_type(key, "a path (string)", n);
      fs::path p = *n.value<std::string>();
      c.*field = p.empty() || p.is_absolute() ? p : (base / p).lexically_normal();
    };
    b.write = [field](const TrainConfig& c) { return toml_string((c.*field).string()); };
  } else if constexpr (std::is_same_v<T, bool>) {
    b.meta.type = "bool";
    b.read = [key, field](TrainConfig& c, const toml::node& n, const fs::path&) {
      if (!n.is_boolean()) wrong_type(key, "true or false", n);
      c.*field = *n.value<bool>();
    };
    b.write = [field](const TrainConfig& c) { return std::string(c.*field ? "true" : "false"); };
  } else if constexpr (std::is_floating_point_v<T>) {
    b.meta.type = "float";
    b.read = [key, field](TrainConfig& c, const toml::node& n, const fs::path&) {
      if (!n.is_number()) wrong_type(key, "a number", n);
      c.*field = *n.value<double>();
    };
    b.write = [field](const TrainConfig& c) { return number_text(c.*field); };
  } else {
    b.meta.type = "integer";
    b.read = [key, field](TrainConfig& c, const toml::node& n, const fs::path&) {
      if (!n.is_integer()) wrong_type(key, "an integer", n);
      auto v = *n.value<std::int64_t>();
      if constexpr (std::is_unsigned_v<T>) {
        if (v < 0) fail("{}: must be >= 0, got {}", key, v);
      }
      c.*field = static_cast<T>(v);
    };
    b.write = [field](const TrainConfig& c) { return fmt::format("{}", c.*field); };
  }
  return b;
}

const std::vector<Binding>& bindings() {
  static const std::vector<Binding> all = [] {
    std::vector<Binding> v;
    Binding stage;
    stage.meta = {"run.stage", "string", "", "pretrain | sft | align | full: what trains and on what data"};
    stage.read = [](TrainConfig& c, const toml::node& n, const fs::path&) {
      if (!n.is_string()) wrong_type("run.stage", "a string", n);
      c.stage = parse_stage(*n.value<std::string>());
    };
    stage.write = [](const TrainConfig& c) { return toml_string(stage_name(c.stage)); };
    v.push_back(stage);
    v.push_back(make_binding("run.out", "run folder: metrics.jsonl, config.toml, checkpoints/ (required)",
                             &TrainConfig::out));
    v.push_back(make_binding("run.name", "run name for logs and the report (default: the run folder's name)",
                             &TrainConfig::name));
    v.push_back(make_binding("run.seed", "seed of data order and any randomness", &TrainConfig::seed));
    v.push_back(make_binding("run.device", "auto | cpu | cuda | cuda:N", &TrainConfig::device));
    v.push_back(make_binding("run.precision",
                             "bf16 (autocast with fp32 master weights, CUDA; CPU runs fp32) | fp32",
                             &TrainConfig::precision));
    v.push_back(make_binding("model.path",
                             "oqvl model folder to start from (oqvl init / convert assemble) (required)",
                             &TrainConfig::model));
    v.push_back(make_binding("model.image_tokens",
                             "tokens per image; 0 = 729 for sft, else 144 (capped at the grid)",
                             &TrainConfig::image_tokens));
    v.push_back(make_binding("model.activation_checkpointing", "recompute each decoder layer in backward",
                             &TrainConfig::activation_checkpointing));
    v.push_back(make_binding("model.train_vision",
                             "train the vision tower too (default: only in stage full; the paper freezes it)",
                             &TrainConfig::train_vision));
    v.push_back(make_binding("model.frozen_vision_dtype",
                             "auto | fp32 | bf16: what a frozen vision tower is kept in (replicated, never "
                             "reduced); auto = bf16 when run.precision bf16 autocasts on CUDA (the paper's "
                             "FSDP setup), else fp32",
                             &TrainConfig::frozen_vision_dtype));
    v.push_back(make_binding("data.manifest",
                             "`oqvl data mix` manifest of packed shards (pretrain, align, full)",
                             &TrainConfig::manifest));
    v.push_back(make_binding("data.sft",
                             "LLaVA-format conversations: .json, .jsonl or MAmmoTH index .jsonl (sft)",
                             &TrainConfig::sft));
    {
      // A folder or a shard spec: relative ones (globs and @lists too) are relative to the config
      // file like every path.
      auto images = make_binding("data.images", "sft images: a folder, or tar shards (glob, range or @list)",
                                 &TrainConfig::images);
      images.read = [](TrainConfig& c, const toml::node& n, const fs::path& base) {
        if (!n.is_string()) wrong_type("data.images", "a string", n);
        std::string spec = *n.value<std::string>();
        const bool list = spec.starts_with("@");
        fs::path p = list ? spec.substr(1) : spec;
        if (!spec.empty() && !p.is_absolute())
          spec = (list ? "@" : "") + (base / p).lexically_normal().string();
        c.images = spec;
      };
      v.push_back(images);
    }
    v.push_back(make_binding("data.context", "tokens per row after image expansion (longer rows are cut)",
                             &TrainConfig::context));
    v.push_back(make_binding("data.attention",
                             "causal (the paper: plain causal over the packed row) | per_sample",
                             &TrainConfig::attention));
    v.push_back(make_binding("data.epochs",
                             "passes over the data (fractional allowed); max_steps wins when set",
                             &TrainConfig::epochs));
    v.push_back(make_binding("data.loader_threads", "threads decoding and preprocessing images",
                             &TrainConfig::loader_threads));
    v.push_back(
        make_binding("data.prefetch", "micro-batches prepared ahead of the step", &TrainConfig::prefetch));
    v.push_back(make_binding("data.sft_strip_quirk",
                             "sft: drop the first token after each <image> as the reference code does",
                             &TrainConfig::sft_strip_quirk));
    v.push_back(make_binding(
        "data.sft_skip_bad",
        "sft: skip (and count) malformed conversations and unreadable images instead of stopping",
        &TrainConfig::sft_skip_bad));
    v.push_back(make_binding("data.tokenizer",
                             "tokenizer.json for sft (default: the model folder's, else the repo's assets)",
                             &TrainConfig::tokenizer));
    v.push_back(
        make_binding("data.sft_template",
                     "sft prompt: qwen2 (the paper's chat template) | plain (`oqvl eval`/`generate`'s prompt "
                     "format, so a small model answers them as trained)",
                     &TrainConfig::sft_template));
    v.push_back(make_binding("optim.lr", "peak learning rate (AdamW)", &TrainConfig::lr));
    v.push_back(make_binding("optim.weight_decay", "decoupled weight decay on >=2-D non-bias weights",
                             &TrainConfig::weight_decay));
    v.push_back(make_binding("optim.beta1", "AdamW beta1", &TrainConfig::beta1));
    v.push_back(make_binding("optim.beta2", "AdamW beta2", &TrainConfig::beta2));
    v.push_back(make_binding("optim.eps", "AdamW epsilon", &TrainConfig::eps));
    v.push_back(make_binding("optim.warmup_ratio",
                             "linear warmup as a share of the steps (int(steps * ratio))",
                             &TrainConfig::warmup_ratio));
    v.push_back(make_binding("optim.warmup_steps", "warmup steps; >= 0 overrides warmup_ratio",
                             &TrainConfig::warmup_steps));
    v.push_back(make_binding("optim.schedule", "cosine (to min_lr_ratio * lr) | constant, after warmup",
                             &TrainConfig::schedule));
    v.push_back(make_binding("optim.min_lr_ratio", "floor of the cosine as a share of lr",
                             &TrainConfig::min_lr_ratio));
    v.push_back(make_binding("optim.clip", "max global gradient norm; 0 = no clipping", &TrainConfig::clip));
    v.push_back(make_binding("batch.global", "rows (pretrain) or samples (sft) per optimizer step",
                             &TrainConfig::global_batch));
    v.push_back(make_binding(
        "batch.micro", "rows per forward/backward on each rank; global must be a multiple of micro x ranks",
        &TrainConfig::micro_batch));
    v.push_back(make_binding("batch.max_steps", "optimizer steps; 0 = as many as the epochs give",
                             &TrainConfig::max_steps));
    v.push_back(
        make_binding("batch.loss",
                     "token (sum over the step's labelled tokens / their count) | micro_mean (the paper's "
                     "mean of per-micro-batch means)",
                     &TrainConfig::loss));
    v.push_back(make_binding("checkpoint.every", "save every N optimizer steps; 0 = only at the end",
                             &TrainConfig::save_every));
    v.push_back(make_binding("checkpoint.keep", "newest checkpoints kept (older ones are deleted)",
                             &TrainConfig::keep));
    v.push_back(
        make_binding("log.every", "progress line and metrics row every N steps", &TrainConfig::log_every));
    v.push_back(
        make_binding("dist.strategy",
                     "ddp (every rank holds the weights; gradients all-reduced in buckets) | zero2 "
                     "(gradients and optimizer state sharded) | full_shard (weights too, gathered per "
                     "decoder layer) | hybrid (full_shard inside a node, replicated across nodes)",
                     &TrainConfig::dist_strategy));
    v.push_back(make_binding("dist.backend", "auto (nccl for CUDA, gloo for CPU) | gloo | nccl",
                             &TrainConfig::dist_backend));
    v.push_back(make_binding("dist.timeout_s",
                             "seconds a collective may wait for the other ranks before the run fails naming "
                             "the rank",
                             &TrainConfig::dist_timeout_s));
    v.push_back(make_binding("dist.bucket_mb", "gradient all-reduce bucket size in MiB",
                             &TrainConfig::dist_bucket_mb));
    v.push_back(
        make_binding("dist.reduce_dtype",
                     "fp32 | bf16: the dtype gradients are summed over the ranks in (the paper's FSDP "
                     "mixed precision reduces in bf16: half the traffic, rounded sums)",
                     &TrainConfig::dist_reduce_dtype));
    v.push_back(
        make_binding("dist.overlap",
                     "run collectives behind compute: ddp all-reduces each bucket as soon as backward "
                     "finished its gradients, zero2/full_shard reduce-scatter likewise and full_shard "
                     "prefetches the next layer's weights (false: every collective blocks where it is "
                     "issued; the same numbers)",
                     &TrainConfig::dist_overlap));
    TrainConfig defaults;
    for (auto& b : v) b.meta.value = b.write(defaults);
    return v;
  }();
  return all;
}

const Binding* find_binding(const std::string& key) {
  for (const auto& b : bindings())
    if (b.meta.key == key) return &b;
  return nullptr;
}

std::string known_keys() {
  std::string out;
  for (const auto& b : bindings()) out += (out.empty() ? "" : ", ") + b.meta.key;
  return out;
}

// Applies every key of `table` (sections of keys), recording which were set.
void apply_table(TrainConfig& c, const toml::table& table, const fs::path& base, const std::string& where,
                 std::set<std::string>& set) {
  for (const auto& [section, node] : table) {
    const std::string sec(section.str());
    const auto* inner = node.as_table();
    if (!inner) fail("{}: '{}' must be a [section] (known keys: {})", where, sec, known_keys());
    for (const auto& [name, value] : *inner) {
      const auto key = sec + "." + std::string(name.str());
      const auto* b = find_binding(key);
      if (!b) fail("{}: unknown key '{}' (known keys: {})", where, key, known_keys());
      try {
        b->read(c, value, base);
      } catch (const Error& e) {
        fail("{}: {}", where, e.what());
      }
      set.insert(key);
    }
  }
}

toml::table parse_toml(const std::string& text, const std::string& source) {
  try {
    return toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    const auto& where = e.source().begin;
    fail("{}:{}:{}: {}", source, where.line, where.column, e.description());
  }
}

}  // namespace

std::vector<ConfigKey> config_keys() {
  std::vector<ConfigKey> out;
  for (const auto& b : bindings()) out.push_back(b.meta);
  return out;
}

TrainConfig load_config(const fs::path& file, const std::vector<std::string>& overrides, bool check_paths) {
  TrainConfig c;
  std::set<std::string> set;
  if (!file.empty()) {
    std::ifstream in(file);
    if (!in) fail("config '{}': cannot read it", file.string());
    std::stringstream text;
    text << in.rdbuf();
    auto table = parse_toml(text.str(), file.string());
    apply_table(c, table, fs::absolute(file).parent_path(), "config " + file.string(), set);
  }
  for (const auto& o : overrides) {
    const auto eq = o.find('=');
    if (eq == std::string::npos || eq == 0) fail("--set '{}': expected section.key=value", o);
    const auto key = o.substr(0, eq);
    auto value = o.substr(eq + 1);
    const auto dot = key.find('.');
    if (dot == std::string::npos) fail("--set '{}': keys are section.name (known keys: {})", o, known_keys());
    const auto* b = find_binding(key);
    if (!b) fail("--set: unknown key '{}' (known keys: {})", key, known_keys());
    // The value in TOML syntax; a bare word (a path, a stage name) is taken as a string.
    toml::table table;
    try {
      table = toml::parse("v = " + value);
    } catch (const toml::parse_error&) {
      table = toml::parse("v = " + toml_string(value));
    }
    if (b->meta.type == "string" || b->meta.type == "path") {
      if (!table["v"].is_string()) table = toml::parse("v = " + toml_string(value));
    }
    try {
      b->read(c, *table.get("v"), fs::current_path());
    } catch (const Error& e) {
      fail("--set {}", e.what());
    }
    set.insert(key);
  }
  // Stage defaults (docs/recipe.md §7.1): SFT's own lr, decay and batch unless given.
  if (c.stage == Stage::kSft) {
    if (!set.count("optim.lr")) c.lr = 2e-5;
    if (!set.count("optim.weight_decay")) c.weight_decay = 0.1;
    if (!set.count("batch.global")) c.global_batch = 128;
  }
  if (c.stage == Stage::kFull && !set.count("model.train_vision")) c.train_vision = true;
  if (c.stage == Stage::kAlign) {
    if (!set.count("optim.lr")) c.lr = 1e-3;
    if (!set.count("optim.weight_decay")) c.weight_decay = 0.0;
  }
  if (c.name.empty()) c.name = c.out.filename().string();
  validate(c, check_paths);
  return c;
}

void validate(const TrainConfig& c, bool check_paths) {
  if (c.out.empty()) fail("run.out: the run folder is required");
  if (c.model.empty()) fail("model.path: the starting model folder is required");
  if (check_paths && !fs::is_regular_file(c.model / "config.json"))
    fail("model.path: '{}' is not an oqvl model folder (no config.json)", c.model.string());
  if (c.device != "auto" && c.device != "cpu" && !c.device.starts_with("cuda"))
    fail("run.device: '{}' is not auto, cpu, cuda or cuda:N", c.device);
  if (c.frozen_vision_dtype != "auto" && c.frozen_vision_dtype != "fp32" && c.frozen_vision_dtype != "bf16")
    fail("model.frozen_vision_dtype: '{}' is not auto, fp32 or bf16", c.frozen_vision_dtype);
  if (c.precision != "bf16" && c.precision != "fp32")
    fail("run.precision: '{}' is not bf16 or fp32", c.precision);
  if (c.image_tokens < 0) fail("model.image_tokens: must be >= 0");
  if (c.loads_packed()) {
    if (c.manifest.empty())
      fail("data.manifest: stage {} reads packed rows: give the `oqvl data mix` manifest",
           stage_name(c.stage));
    if (check_paths && !fs::is_regular_file(c.manifest))
      fail("data.manifest: '{}' does not exist", c.manifest.string());
  } else {
    if (c.sft.empty()) fail("data.sft: stage sft reads conversations: give the .json/.jsonl file");
    if (check_paths && !fs::is_regular_file(c.sft)) fail("data.sft: '{}' does not exist", c.sft.string());
  }
  if (c.sft_template != "qwen2" && c.sft_template != "plain")
    fail("data.sft_template: '{}' is not qwen2 or plain", c.sft_template);
  if (c.stage == Stage::kAlign && c.train_vision)
    fail("model.train_vision: stage align trains the projector only");
  if (c.context <= 0) fail("data.context: must be > 0, got {}", c.context);
  if (c.image_tokens > 0 && c.context < c.image_tokens + 2)
    fail("data.context: {} cannot hold one image ({} tokens) and its text", c.context, c.image_tokens);
  if (c.attention != "causal" && c.attention != "per_sample")
    fail("data.attention: '{}' is not causal or per_sample", c.attention);
  if (!(c.epochs > 0)) fail("data.epochs: must be > 0");
  if (c.loader_threads < 1) fail("data.loader_threads: must be >= 1");
  if (c.prefetch < 1) fail("data.prefetch: must be >= 1");
  if (!(c.lr >= 0)) fail("optim.lr: must be >= 0");
  if (!(c.weight_decay >= 0)) fail("optim.weight_decay: must be >= 0");
  if (!(c.beta1 >= 0 && c.beta1 < 1) || !(c.beta2 >= 0 && c.beta2 < 1))
    fail("optim.beta1/beta2: must be in [0, 1)");
  if (!(c.eps > 0)) fail("optim.eps: must be > 0");
  if (!(c.warmup_ratio >= 0 && c.warmup_ratio <= 1)) fail("optim.warmup_ratio: must be in [0, 1]");
  if (c.schedule != "cosine" && c.schedule != "constant")
    fail("optim.schedule: '{}' is not cosine or constant", c.schedule);
  if (!(c.min_lr_ratio >= 0 && c.min_lr_ratio <= 1)) fail("optim.min_lr_ratio: must be in [0, 1]");
  if (!(c.clip >= 0)) fail("optim.clip: must be >= 0");
  if (c.micro_batch < 1) fail("batch.micro: must be >= 1");
  if (c.dist_strategy != "ddp" && c.dist_strategy != "zero2" && c.dist_strategy != "full_shard" &&
      c.dist_strategy != "hybrid")
    fail("dist.strategy: unknown '{}' (ddp, zero2, full_shard, hybrid)", c.dist_strategy);
  if (c.dist_backend != "auto" && c.dist_backend != "gloo" && c.dist_backend != "nccl")
    fail("dist.backend: '{}' is not supported (auto, gloo, nccl)", c.dist_backend);
  if (!(c.dist_timeout_s > 0)) fail("dist.timeout_s: must be > 0");
  if (!(c.dist_bucket_mb > 0)) fail("dist.bucket_mb: must be > 0");
  if (c.dist_reduce_dtype != "fp32" && c.dist_reduce_dtype != "bf16")
    fail("dist.reduce_dtype: '{}' (fp32, bf16)", c.dist_reduce_dtype);
  if (c.global_batch < 1 || c.global_batch % c.micro_batch != 0)
    fail("batch.global: {} must be a positive multiple of batch.micro ({})", c.global_batch, c.micro_batch);
  if (c.max_steps < 0) fail("batch.max_steps: must be >= 0");
  if (c.loss != "token" && c.loss != "micro_mean")
    fail("batch.loss: '{}' is not token or micro_mean", c.loss);
  if (c.save_every < 0) fail("checkpoint.every: must be >= 0");
  if (c.keep < 1) fail("checkpoint.keep: must be >= 1");
  if (c.log_every < 1) fail("log.every: must be >= 1");
}

std::string to_toml(const TrainConfig& c) {
  std::string out = "# oqvl train: the resolved run config (every key; `oqvl train --keys` explains them)\n";
  std::string section;
  for (const auto& b : bindings()) {
    const auto dot = b.meta.key.find('.');
    const auto sec = b.meta.key.substr(0, dot);
    if (sec != section) {
      out += (section.empty() ? "" : "\n") + fmt::format("[{}]\n", sec);
      section = sec;
    }
    out += fmt::format("{} = {}\n", b.meta.key.substr(dot + 1), b.write(c));
  }
  return out;
}

}  // namespace oqvl::train
