// `oqvl demo`: the main job end to end on the embedded Fashion-MNIST data (docs/demo.md):
// make-demo -> filter -> pack -> mix -> init -> pre-train (vision trained too: nothing pretrained
// can be downloaded) -> SFT on "What item is shown?" -> open-answer eval on the held-out split
// (+ the 4-option MC bench with the strict letter rule) -> generate on one held-out image ->
// HTML reports. Each stage is the `oqvl` command a user would type, run as a child process and
// printed first, so the demo doubles as a recipe. Reruns reuse finished stages (each command
// resumes or skips by itself); --fresh starts over.
#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <cmath>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "oqvl/cli_common.h"
#include "oqvl/core/error.h"
#include "oqvl/core/files.h"
#include "oqvl/core/json.h"
#include "oqvl/core/log.h"
#include "oqvl/data/io/tar_reader.h"
#include "oqvl/torch/model_commands.h"

extern char** environ;

namespace oqvl::cli {
namespace {

namespace fs = std::filesystem;

struct DemoOptions {
  std::string out = "demo-run";
  std::int64_t train_samples = 30000;
  std::int64_t test_samples = 1000;
  std::int64_t seed = 7;
  int threads = 0;
  bool fresh = false;
  std::vector<std::string> pretrain_sets, sft_sets;
};

std::string shell_quote(const std::string& s) {
  if (!s.empty() &&
      s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@") ==
          std::string::npos)
    return s;
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

struct Stage {
  std::string name;
  double seconds = 0;
};

class Runner {
 public:
  explicit Runner(fs::path exe) : exe_(std::move(exe)) {}

  // Runs `oqvl ARGS...` as a child (stdout/stderr shared), timing it; oqvl::Error if it fails.
  void run(const std::string& name, const std::vector<std::string>& args) {
    std::string line = "oqvl";
    for (const auto& a : args) line += " " + shell_quote(a);
    log::info("demo: [{}] {}", name, line);
    std::vector<std::string> argv_s{exe_.string()};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    const auto start = std::chrono::steady_clock::now();
    pid_t pid = 0;
    if (int rc = posix_spawn(&pid, exe_.c_str(), nullptr, nullptr, argv.data(), environ); rc != 0)
      fail("demo: cannot start '{}': {}", exe_.string(), std::strerror(rc));
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
      if (errno != EINTR) fail("demo: waitpid: {}", std::strerror(errno));
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
      fail("demo: stage '{}' failed ({}); the command above shows what ran, its output says why", name,
           WIFEXITED(status) ? fmt::format("exit {}", WEXITSTATUS(status))
                             : fmt::format("signal {}", WTERMSIG(status)));
    stages_.push_back({name, s});
  }
  const std::vector<Stage>& stages() const { return stages_; }

 private:
  fs::path exe_;
  std::vector<Stage> stages_;
};

// The first held-out photo as a file for `oqvl generate`, and its class (from the sample's json).
std::string write_held_out_image(const fs::path& test_shard, const fs::path& out) {
  data::TarReader reader(test_shard);
  auto sample = reader.next();
  if (!sample) fail("demo: '{}' holds no samples", test_shard.string());
  write_file_atomic(out, std::string(sample->bytes("jpg")));
  const auto meta = nlohmann::json::parse(sample->text("json"), nullptr, /*allow_exceptions=*/false);
  return meta.is_object() && meta.contains("class") && meta["class"].is_string()
             ? meta["class"].get<std::string>()
             : std::string("?");
}

double accuracy_of(const fs::path& metrics, std::int64_t* questions) {
  auto j = read_json_file(metrics, "eval metrics");
  try {
    const auto& o = j.at("overall");
    *questions = o.at("total").get<std::int64_t>();
    return o.at("accuracy").get<double>();
  } catch (const nlohmann::json::exception& e) {
    fail("demo: '{}': {}", metrics.string(), e.what());
  }
}

void run_demo(const DemoOptions& o) {
  const auto t0 = std::chrono::steady_clock::now();
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) fail("demo: cannot find the oqvl executable (/proc/self/exe): {}", ec.message());
  const fs::path pretrain_cfg = find_repo_file("configs/demo-pretrain.toml",
                                               "run the demo from the oqvl checkout");
  const fs::path sft_cfg = find_repo_file("configs/demo-sft.toml", "run the demo from the oqvl checkout");
  const fs::path out = fs::absolute(o.out);
  if (o.fresh && fs::exists(out)) {
    log::info("demo: --fresh: removing {}", out.string());
    remove_tree(out);
  }
  fs::create_directories(out / "bench");
  const auto p = [&](const std::string& rel) { return (out / rel).string(); };
  const std::string threads = std::to_string(o.threads);
  const std::string seed = std::to_string(o.seed);
  Runner r(exe);
  r.run("data", {"data", "make-demo", "--out", p("data"), "--train-samples", std::to_string(o.train_samples),
                 "--test-samples", std::to_string(o.test_samples), "--seed", seed, "--threads", threads});
  r.run("filter", {"data", "filter", p("data/train/*.tar"), "--out", p("filtered"), "--keep",
                   "caption_words >= 2", "--dedup", "image", "--threads", threads});
  r.run("pack", {"data", "pack", p("filtered/*.tar"), "--out", p("packed"), "--context", "256",
                 "--image-tokens", "16", "--threads", threads});
  r.run("mix", {"data", "mix", "--source", "demo=" + p("packed/*.tar"), "--seed", seed, "--out",
                p("manifest.json")});
  if (!fs::exists(out / "model-init" / "config.json"))
    r.run("init", {"init", "--preset", "demo", "--seed", seed, "--out", p("model-init")});
  std::vector<std::string> pre{"train",
                               "--config",
                               pretrain_cfg.string(),
                               "--resume",
                               "--set",
                               "run.out=" + p("pretrain"),
                               "--set",
                               "model.path=" + p("model-init"),
                               "--set",
                               "data.manifest=" + p("manifest.json"),
                               "--threads",
                               threads};
  for (const auto& s : o.pretrain_sets) pre.insert(pre.end(), {"--set", s});
  r.run("pretrain", pre);
  std::vector<std::string> sft{"train",          "--config",
                               sft_cfg.string(), "--resume",
                               "--set",          "run.out=" + p("sft"),
                               "--set",          "model.path=" + p("pretrain/checkpoints/last"),
                               "--set",          "data.sft=" + p("data/sft/train.jsonl"),
                               "--set",          "data.images=" + p("data/train/*.tar"),
                               "--threads",      threads};
  for (const auto& s : o.sft_sets) sft.insert(sft.end(), {"--set", s});
  r.run("sft", sft);
  const std::string model = p("sft/checkpoints/last");
  r.run("bench", {"data", "make-bench", "--fashion-mnist", "--open", "--count",
                  std::to_string(o.test_samples), "--seed", seed, "--out", p("bench/fashion-open.jsonl")});
  r.run("eval", {"eval", "--model", model, "--bench", p("bench/fashion-open.jsonl"), "--out", p("eval-open"),
                 "--threads", threads});
  r.run("bench-mc", {"data", "make-bench", "--fashion-mnist", "--count", std::to_string(o.test_samples),
                     "--seed", seed, "--out", p("bench/fashion-mc.tsv")});
  r.run("eval-mc", {"eval", "--model", model, "--bench", p("bench/fashion-mc.tsv"), "--rule", "strict",
                    "--out", p("eval-mc"), "--threads", threads});
  // The SFT prompt (configs/demo-sft.toml's plain template): generate prepends "<s><image>\n".
  const auto truth = write_held_out_image(out / "data" / "test" / "00000.tar",
                                          out / "bench" / "held-out.jpg");
  log::info("demo: the held-out photo bench/held-out.jpg shows: {}", truth);
  r.run("generate",
        {"generate", "--model", model, "--image", p("bench/held-out.jpg"), "--prompt",
         "Question: What item is shown?\nAnswer the question using a single word or phrase.\nAnswer:",
         "--threads", threads});
  r.run("report", {"plot", p("pretrain")});
  r.run("report-sft", {"plot", p("sft")});

  std::int64_t questions = 0, mc_questions = 0;
  const double open = accuracy_of(out / "eval-open" / "metrics.json", &questions);
  const double mc = accuracy_of(out / "eval-mc" / "metrics.json", &mc_questions);
  const double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  for (const auto& s : r.stages()) log::info("demo: {:<10} {:8.1f} s", s.name, s.seconds);
  log::info(
      "demo: run folder {} (reports: pretrain/report.html, sft/report.html; model: sft/checkpoints/last)",
      out.string());
  log::info("demo: 4-option multiple choice, strict letter rule: {:.1f}% ({} questions; chance 25%)",
            100 * mc, mc_questions);
  fmt::print("demo: held-out accuracy {:.1f}% (exact match, {} questions) in {:.0f} s\n", 100 * open,
             questions, total);
}

}  // namespace

void register_demo(CLI::App& app) {
  auto o = std::make_shared<DemoOptions>();
  auto* cmd = app.add_subcommand(
      "demo",
      "The whole pipeline on the embedded Fashion-MNIST data: curate, pack, pre-train, SFT, evaluate");
  cmd->add_option("--out", o->out, "run folder (reused by a rerun)")->capture_default_str();
  cmd->add_option("--train-samples", o->train_samples, "training photos (of 60,000)")->capture_default_str();
  cmd->add_option("--test-samples", o->test_samples, "held-out questions (of 10,000)")->capture_default_str();
  cmd->add_option("--seed", o->seed, "seed of every stage")->capture_default_str();
  cmd->add_option("--threads", o->threads, "threads per stage (0 = all cores)")->capture_default_str();
  cmd->add_option("--pretrain-set", o->pretrain_sets,
                  "override a pre-training config key (section.key=value)");
  cmd->add_option("--sft-set", o->sft_sets, "override an SFT config key (section.key=value)");
  cmd->add_flag("--fresh", o->fresh, "delete the run folder first");
  cmd->callback([o] { run_demo(*o); });
}

}  // namespace oqvl::cli
