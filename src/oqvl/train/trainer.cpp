#include "oqvl/train/trainer.h"

#include <ATen/autocast_mode.h>
#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <optional>
#include <thread>

#include "oqvl/core/error.h"
#include "oqvl/core/files.h"
#include "oqvl/core/interrupt.h"
#include "oqvl/core/log.h"
#include "oqvl/core/log_prefix.h"
#include "oqvl/core/memory.h"
#include "oqvl/model/device.h"
#include "oqvl/train/loss.h"
#include "oqvl/train/metrics.h"
#include "oqvl/train/packed_source.h"
#include "oqvl/train/sft_source.h"

namespace oqvl::train {

namespace fs = std::filesystem;

std::int64_t default_image_tokens(Stage stage, const model::VlmConfig& config) {
  const std::int64_t want = stage == Stage::kSft ? 729 : 144;
  return std::min(want, config.vision.num_patches());
}

std::vector<std::pair<std::string, torch::Tensor>> apply_stage(model::OpenQwen2VLImpl& model, Stage stage,
                                                               bool train_vision) {
  const bool vision = train_vision || stage == Stage::kFull;
  const bool llm = stage != Stage::kAlign;
  for (auto& p : model.vision->parameters()) p.set_requires_grad(vision);
  for (auto& p : model.projector->parameters()) p.set_requires_grad(true);
  for (auto& p : model.llm->parameters()) p.set_requires_grad(llm);
  model.freeze_vision = !vision;
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (const auto& [name, t] : model.state_dict())
    if (t.requires_grad()) out.emplace_back(name, t);
  return out;
}

namespace {

// CUDA bf16 autocast for the scope of one forward/backward (fp32 master weights stay fp32).
class AutocastGuard {
 public:
  explicit AutocastGuard(bool on) : on_(on) {
    if (!on_) return;
    at::autocast::set_autocast_enabled(at::kCUDA, true);
    at::autocast::set_autocast_dtype(at::kCUDA, at::kBFloat16);
  }
  ~AutocastGuard() {
    if (!on_) return;
    at::autocast::set_autocast_enabled(at::kCUDA, false);
    at::autocast::clear_cache();
  }

 private:
  bool on_;
};

std::unique_ptr<RowSource> make_source(const TrainConfig& c, const model::VlmConfig& mc) {
  if (c.loads_packed()) return std::make_unique<PackedSource>(c.manifest, c.seed);
  SftSourceOptions o;
  o.file = c.sft;
  o.images = c.images;
  o.tokenizer = c.tokenizer;
  o.prompt_template = c.sft_template;
  o.seed = c.seed;
  o.max_ids = c.context;
  o.strip_quirk = c.sft_strip_quirk;
  o.bos_id = mc.bos_id;
  o.skip_bad = c.sft_skip_bad;
  return make_sft_source(o);
}

// Fault injection for the distributed tests (tests/cli/train_ddp.sh): OQVL_FAULT_RANK=kill:R:S
// makes rank R die as SIGKILL would at the start of step S; hang:R:S makes it stop responding.
void rank_fault_point(int rank, std::int64_t step) {
  const char* spec = std::getenv("OQVL_FAULT_RANK");
  if (!spec) return;
  const std::string s(spec);
  const auto a = s.find(':'), b = s.rfind(':');
  if (a == std::string::npos || a == b) return;
  if (s.substr(a + 1, b - a - 1) != std::to_string(rank) || s.substr(b + 1) != std::to_string(step)) return;
  if (s.starts_with("kill")) std::raise(SIGKILL);
  if (s.starts_with("hang"))
    for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
}

}  // namespace

Trainer::Trainer(TrainConfig config, TrainOptions options) : config_(std::move(config)), options_(options) {
  env_ = detect_dist_env();
  strategy_ = parse_strategy(config_.dist_strategy);
  if (env_.distributed()) {
    log::set_prefix(fmt::format("[rank {}] ", env_.rank));
    if (!leader()) options_.quiet = true;
    const auto world = static_cast<std::int64_t>(env_.world);
    if (config_.global_batch % (config_.micro_batch * world) != 0)
      fail("batch.global: {} must be a multiple of batch.micro x ranks = {} x {}", config_.global_batch,
           config_.micro_batch, world);
  }
  device_ = model::parse_device(config_.device);
  // GPU ranks: one device each, the launcher's local rank, unless the config names one.
  if (env_.distributed() && device_.is_cuda() && !device_.has_index())
    device_ = torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(env_.local_rank));
  CommOptions co;
  co.backend = config_.dist_backend != "auto" ? config_.dist_backend : device_.is_cuda() ? "nccl" : "gloo";
  if ((env_.distributed() || env_.launcher == "torchrun") && (co.backend == "nccl") != device_.is_cuda())
    fail("dist.backend {} runs {} ranks, but run.device is '{}' (auto picks nccl for CUDA, gloo for CPU)",
         co.backend, co.backend == "nccl" ? "CUDA" : "CPU", config_.device);
  co.device_index = device_.is_cuda() ? device_.index() : 0;
  co.timeout = std::chrono::milliseconds(static_cast<std::int64_t>(config_.dist_timeout_s * 1000));
  co.bucket_bytes = static_cast<std::int64_t>(config_.dist_bucket_mb * 1024 * 1024);
  comm_ = make_comm(env_, co);
  autocast_ = device_.is_cuda() && config_.precision == "bf16";
  torch::manual_seed(config_.seed);
  model_ = model::load_vlm(config_.model, torch::kFloat32, device_);
  model_->train();
  model_->llm->model->checkpoint_layers = config_.activation_checkpointing;
  const auto& mc = model_->config();
  image_tokens_ = config_.image_tokens > 0 ? config_.image_tokens : default_image_tokens(config_.stage, mc);
  const auto grid = mc.vision.num_patches();
  const auto side = static_cast<std::int64_t>(std::llround(std::sqrt(static_cast<double>(image_tokens_))));
  if (side * side != image_tokens_ || image_tokens_ > grid)
    fail("model.image_tokens: {} must be a square <= the vision grid's {} patches", image_tokens_, grid);
  if (config_.context < image_tokens_ + 2)
    fail("data.context: {} cannot hold one image ({} tokens) and its text", config_.context, image_tokens_);

  auto named = apply_stage(*model_, config_.stage, config_.train_vision);
  if (named.empty()) fail("run.stage {}: nothing to train", stage_name(config_.stage));
  // A frozen tower only runs forward: bf16 halves its memory, and autocast computes in bf16
  // anyway (checkpoints then hold it in bf16; resume converts nothing back).
  if (model_->freeze_vision &&
      (config_.frozen_vision_dtype == "bf16" || (config_.frozen_vision_dtype == "auto" && autocast_)))
    model_->vision->to(torch::kBFloat16);
  for (const auto& [name, t] : named) {
    trainable_.push_back(t);
    trainable_params_ += t.numel();
  }
  AdamWOptions ao;
  ao.beta1 = config_.beta1;
  ao.beta2 = config_.beta2;
  ao.eps = config_.eps;
  ao.weight_decay = config_.weight_decay;

  auto source = make_source(config_, mc);
  const auto rows = source->rows_per_epoch();
  state_.total_steps = config_.max_steps > 0
                           ? config_.max_steps
                           : static_cast<std::int64_t>(std::ceil(config_.epochs * static_cast<double>(rows) /
                                                                 static_cast<double>(config_.global_batch)));
  if (state_.total_steps < 1)
    fail("the data gives no optimizer step (rows {}, batch.global {})", rows, config_.global_batch);
  schedule_.peak = config_.lr;
  schedule_.total_steps = state_.total_steps;
  schedule_.warmup_steps = warmup_steps_for(state_.total_steps, config_.warmup_ratio, config_.warmup_steps);
  schedule_.shape = config_.schedule;
  schedule_.min_ratio = config_.min_lr_ratio;
  config_toml_ = to_toml(config_);

  auto latest = latest_checkpoint(config_.out);
  if (latest && !options_.resume)
    fail("run folder '{}' already has checkpoints: pass --resume to continue it, or choose another run.out",
         config_.out.string());
  // A checkpoint of any layout (plain, or sharded at any world size and strategy) resumes: the
  // weights load whole, the optimizer state in whatever slices this run holds.
  std::unique_ptr<CheckpointTensors> ckpt;
  if (options_.resume && latest) {
    const auto total = state_.total_steps;
    state_ = load_trainer_state(*latest);
    if (state_.total_steps != total)
      fail(
          "--resume: checkpoint '{}' was made for {} steps, this config gives {} (the schedule would change)",
          latest->string(), state_.total_steps, total);
    ckpt = std::make_unique<CheckpointTensors>(*latest);
    load_model_weights(*ckpt, *model_);
    source->seek(state_.data);
    log::info("train: resuming from {} (step {} of {})", latest->string(), state_.step, state_.total_steps);
  } else if (options_.resume) {
    log::info("train: --resume: no checkpoint in '{}' yet; starting fresh", config_.out.string());
  }
  if (sharded(strategy_)) {
    make_groups();
    ShardGroups groups{comm_.get(), node_comm_ ? node_comm_.get() : comm_.get(), replica_comm_.get()};
    sharded_ = std::make_unique<ShardedParallel>(*model_, std::move(named), strategy_, groups, ao,
                                                 reduce_dtype(), config_.dist_overlap);
    if (ckpt) sharded_->load_optimizer(*ckpt);
  } else {
    optimizer_ = std::make_unique<AdamW>(std::move(named), ao);
    if (ckpt) load_optimizer_state(*ckpt, *optimizer_, /*strict=*/true);
    if (reduces() && config_.dist_overlap)
      ddp_ = std::make_unique<DdpReducer>(trainable_, *comm_, co.bucket_bytes, reduce_dtype());
  }
  LoaderOptions lo;
  lo.micro_batch = config_.micro_batch;
  lo.image_tokens = image_tokens_;
  lo.context = config_.context;
  lo.per_sample_attention = config_.attention == "per_sample";
  lo.threads = config_.loader_threads;
  lo.prefetch = config_.prefetch;
  lo.rank = env_.rank;
  lo.world = env_.world;
  loader_ = std::make_unique<Loader>(std::move(source), mc, lo);
}

Trainer::~Trainer() {
  // Before the model: they hold hooks on its parameters and point at it.
  ddp_.reset();
  sharded_.reset();
}

void Trainer::make_groups() {
  if (strategy_ != Strategy::kHybrid) return;
  // hybrid: shard inside a node, replicate across nodes (the launcher's LOCAL_WORLD_SIZE ranks
  // per node, numbered node by node as torchrun, srun and mpirun do).
  const int L = env_.local_world, W = env_.world;
  if (L < 1 || W % L != 0)
    fail("dist.strategy hybrid: {} ranks do not make whole nodes of {} (LOCAL_WORLD_SIZE)", W, L);
  const int nodes = W / L, node = env_.rank / L, local = env_.rank % L;
  if (nodes == 1) return;  // one node: the same as full_shard
  std::vector<int> intra, inter;
  for (int i = 0; i < L; ++i) intra.push_back(node * L + i);
  for (int k = 0; k < nodes; ++k) inter.push_back(k * L + local);
  node_comm_ = comm_->subgroup(intra, fmt::format("node{}", node));
  replica_comm_ = comm_->subgroup(inter, fmt::format("local{}", local));
}

torch::Tensor Trainer::micro_loss_sum(MicroBatch& mb) {
  auto& m = *model_;
  const auto H = m.config().llm.hidden_size;
  torch::Tensor image_tokens;
  if (mb.images > 0) {
    image_tokens = m.encode_images(mb.batch.pixels.to(device_, /*non_blocking=*/true), image_tokens_);
  } else {
    image_tokens = torch::zeros({0, image_tokens_, H}, m.llm->model->embed_tokens->weight.options());
  }
  auto assembled = m.splice(mb.plan, image_tokens);
  model::AttentionLayout layout;
  layout.positions = mb.layout.positions.to(device_, /*non_blocking=*/true);
  if (mb.layout.mask.defined()) layout.mask = mb.layout.mask.to(device_, /*non_blocking=*/true);
  auto hidden = m.llm->model->forward_layout(assembled.inputs_embeds, layout);  // [B,T',H]
  auto selected = hidden.reshape({-1, H}).index_select(0, mb.plan.loss_positions.to(device_, true));
  const auto& head = m.llm->config.tie_word_embeddings ? m.llm->model->embed_tokens->weight
                                                       : m.llm->lm_head->weight;
  return linear_cross_entropy_sum(selected, head, mb.plan.loss_targets.to(device_, true));
}

StepResult Trainer::step() {
  const auto start = std::chrono::steady_clock::now();
  StepResult r;
  r.step = state_.step + 1;
  rank_fault_point(env_.rank, r.step);
  // One micro-batch at a time (holding a step's worth of decoded images would take gigabytes at
  // the paper's batch). token: backward of each micro-batch's summed loss, then the accumulated
  // gradients divided by the step's labelled tokens (the same as dividing each loss: gradients
  // are linear in it); micro_mean: each micro-batch's mean / accum, known per micro-batch.
  const auto accum = config_.grad_accum(env_.world);
  const bool token_mean = config_.loss == "token";
  if (sharded_) sharded_->begin_step();
  if (ddp_) ddp_->begin_step();
  auto loss_total = torch::zeros({}, torch::TensorOptions().dtype(torch::kFloat32).device(device_));
  DataPosition after;
  for (std::int64_t i = 0; i < accum; ++i) {
    double waited = 0;
    MicroBatch mb = loader_->next(&waited);
    r.data_wait_s += waited;
    r.tokens += mb.label_tokens;
    r.positions += mb.positions;
    r.images += mb.images;
    r.samples += mb.samples;
    r.rows += mb.rows;
    after = mb.after;
    torch::Tensor loss;
    {
      AutocastGuard autocast(autocast_);
      loss = micro_loss_sum(mb);
    }
    const double denom = token_mean ? 1.0 : static_cast<double>(mb.label_tokens) * static_cast<double>(accum);
    auto scaled = denom > 0 ? loss / denom : loss * 0.0;
    if (ddp_ && i + 1 == accum) ddp_->arm();  // the last backward: all-reduces start inside it
    if (sharded_) sharded_->before_backward(i + 1 == accum);
    scaled.backward();
    if (sharded_) sharded_->after_backward();
    loss_total += scaled.detach();
  }
  if (reduces()) {
    // Sum gradients and the step's counts over the ranks. Every rank reduces the same tensors in
    // the same order (a gradient this rank did not reach, e.g. the projector's in a text-only
    // micro-batch, is zeros), else the collectives would pair up wrongly.
    torch::NoGradGuard no_grad;
    std::vector<torch::Tensor> reduce;
    if (sharded_) {
      sharded_->reduce_gradients();
    } else if (ddp_) {
      ddp_->finish();
    } else {
      for (auto& t : trainable_) {
        if (!t.grad().defined()) t.mutable_grad() = torch::zeros_like(t);
        reduce.push_back(t.grad().to(reduce_dtype()));  // the gradient itself when fp32
      }
    }
    auto stats = torch::tensor(
        {static_cast<double>(r.tokens), static_cast<double>(r.positions), static_cast<double>(r.images),
         static_cast<double>(r.samples), static_cast<double>(r.rows), loss_total.item<double>()},
        torch::kFloat64);
    reduce.push_back(stats);
    const auto comm_start = std::chrono::steady_clock::now();
    comm_->all_reduce_sum(reduce);
    r.comm_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - comm_start).count();
    if (sharded_) r.comm_s += sharded_->take_comm_seconds();
    if (ddp_) r.comm_s += ddp_->take_comm_seconds();
    if (!sharded_ && !ddp_ && reduce_dtype() != torch::kFloat32)
      for (std::size_t i = 0; i < trainable_.size(); ++i) trainable_[i].mutable_grad().copy_(reduce[i]);
    const auto* st = stats.data_ptr<double>();
    r.tokens = static_cast<std::int64_t>(st[0]);
    r.positions = static_cast<std::int64_t>(st[1]);
    r.images = static_cast<std::int64_t>(st[2]);
    r.samples = static_cast<std::int64_t>(st[3]);
    r.rows = static_cast<std::int64_t>(st[4]);
    loss_total.fill_(st[5]);
    if (!token_mean) {  // micro_mean: the mean over all ranks' micro-batches
      const double inv = 1.0 / static_cast<double>(env_.world);
      if (sharded_) {
        sharded_->scale_gradients(inv);
      } else {
        for (auto& t : trainable_) t.mutable_grad().mul_(inv);
      }
      loss_total.mul_(inv);
    }
  }
  if (token_mean) {
    torch::NoGradGuard no_grad;
    const double scale = r.tokens > 0 ? 1.0 / static_cast<double>(r.tokens) : 0.0;
    if (sharded_) {
      sharded_->scale_gradients(scale);
    } else {
      for (auto& t : trainable_)
        if (t.grad().defined()) t.mutable_grad().mul_(scale);
    }
    loss_total.mul_(scale);
  }
  r.lr = schedule_.at(state_.step);
  if (sharded_) {
    r.grad_norm = sharded_->clip_gradients(config_.clip);
    sharded_->update(r.lr);
    r.comm_s += sharded_->take_comm_seconds();
  } else {
    r.grad_norm = clip_grad_norm(trainable_, config_.clip);
    optimizer_->step(r.lr);
    optimizer_->zero_grad();
  }
  r.loss = loss_total.item<double>();
  state_.step = r.step;
  state_.data = after;
  state_.samples += r.samples;
  state_.rows += r.rows;
  state_.tokens += r.tokens;
  state_.images += r.images;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  state_.elapsed_s += r.seconds;
  return r;
}

fs::path Trainer::save() {
  if (sharded_) return save_sharded();
  // Every rank holds the same weights and optimizer state (ddp): rank 0 writes, the others wait,
  // so no rank runs ahead of a checkpoint that may still fail.
  fs::path dir;
  if (leader()) dir = save_checkpoint(config_.out, *model_, *optimizer_, state_, config_toml_, config_.keep);
  comm_->barrier();
  if (!leader()) dir = checkpoint_dir(config_.out, state_.step);
  return dir;
}

fs::path Trainer::save_sharded() {
  // Three phases (checkpoint.h): rank 0 makes the folder (zero2: with the whole weights), each
  // shard writes its chunks, rank 0 writes the index and the completion marker.
  const auto S = sharded_->shards();
  const auto partial = partial_checkpoint_dir(config_.out, state_.step);
  if (leader()) {
    begin_sharded_checkpoint(config_.out, state_.step);
    write_partial_model(partial, *model_, /*with_weights=*/!sharded_->weights_sharded());
  }
  comm_->barrier();
  const std::vector<std::string> spaces = sharded_->weights_sharded()
                                              ? std::vector<std::string>{"model", "optimizer"}
                                              : std::vector<std::string>{"optimizer"};
  if (sharded_->writes_shards())
    for (const auto& ns : spaces)
      write_checkpoint_shard(partial, ns, sharded_->shard_rank(), S, sharded_->chunks(ns));
  comm_->barrier();
  fs::path dir = checkpoint_dir(config_.out, state_.step);
  if (leader()) {
    std::map<std::string, std::vector<ChunkSpec>> files;
    for (const auto& ns : spaces)
      for (int r = 0; r < S; ++r) files[shard_file_name(ns, r, S)] = sharded_->chunk_specs(r, ns);
    dir = finish_sharded_checkpoint(config_.out, state_, files, strategy_name(strategy_),
                                    sharded_->optimizer().steps(), config_toml_, config_.keep);
  }
  comm_->barrier();
  return dir;
}

std::vector<StepResult> Trainer::run() {
  std::optional<MetricsWriter> metrics;
  if (leader()) {
    fs::create_directories(config_.out);
    write_file_atomic(config_.out / "config.toml", config_toml_);
    metrics.emplace(config_.out / "metrics.jsonl");
  }
  const auto params = trainable_params_;
  if (!options_.quiet)
    log::info(
        "train: {} stage {} on {}{}: {} steps of {} x {} rows{}, {} trainable parameters, {} image tokens",
        config_.name, stage_name(config_.stage), device_.str(),
        env_.distributed()
            ? fmt::format(" x {} ranks ({}, {})", env_.world, config_.dist_strategy, env_.launcher)
            : "",
        state_.total_steps, config_.grad_accum(env_.world), config_.micro_batch,
        env_.distributed() ? " per rank" : "", params, image_tokens_);
  std::vector<StepResult> results;
  const auto first = state_.step;
  double window_s = 0, window_wait = 0, window_comm = 0;
  std::int64_t window_tokens = 0, window_images = 0;
  while (state_.step < state_.total_steps) {
    // Distributed: stop without a checkpoint (the ranks would first have to agree on the step).
    if (env_.distributed() && interrupted())
      throw Interrupted(
          interrupt_signal(),
          fmt::format("train stopped before step {} without a checkpoint (a distributed run keeps "
                      "its last periodic one); rerun with --resume to continue from it",
                      state_.step + 1));
    auto r = step();
    results.push_back(r);
    window_s += r.seconds;
    window_wait += r.data_wait_s;
    window_comm += r.comm_s;
    window_tokens += r.positions;
    window_images += r.images;
    const bool last = state_.step == state_.total_steps;
    // SIGINT/SIGTERM (a Slurm preemption): one process saves at the end of this step, then stops.
    const int sig = env_.distributed() ? 0 : interrupt_signal();
    const bool stop = (options_.stop_after > 0 && state_.step - first >= options_.stop_after) || sig != 0;
    if (metrics && (r.step % config_.log_every == 0 || last || stop)) {
      const double tps = window_s > 0 ? window_tokens / window_s : 0;
      const double ips = window_s > 0 ? window_images / window_s : 0;
      const double wait = window_s > 0 ? window_wait / window_s : 0;
      const double comm = window_s > 0 ? window_comm / window_s : 0;
      const double per_step = state_.elapsed_s / std::max<std::int64_t>(1, state_.step);
      metrics->write(
          {{"kind", "train"},
           {"step", r.step},
           {"loss", r.loss},
           {"lr", r.lr},
           {"grad_norm", r.grad_norm},
           {"tokens", r.positions},
           {"labelled_tokens", r.tokens},
           {"tokens_per_s", tps},
           {"images_per_s", ips},
           {"data_wait", wait},
           {"comm", comm},
           {"elapsed_s", state_.elapsed_s},
           // CPU runs: the process's peak resident memory (each rank's own in a distributed run).
           {"peak_mem_gib",
            (device_.is_cpu() ? peak_rss_bytes() : model::peak_device_bytes(device_)) / 1073741824.0},
           {"epoch", state_.data.epoch + 0.0}});
      if (!options_.quiet)
        log::info(
            "step {}/{} loss {:.4f} lr {:.3g} grad-norm {:.3f} tok/s {:.0f} img/s {:.1f} data-wait {:.0f}% eta {}",
            r.step, state_.total_steps, r.loss, r.lr, r.grad_norm, tps, ips, 100 * wait,
            format_duration(per_step * (state_.total_steps - state_.step)));
      window_s = window_wait = window_comm = 0;
      window_tokens = window_images = 0;
    }
    if (!std::isfinite(r.loss))
      fail("step {}: the loss is {} (diverged); the last checkpoint is kept", r.step, r.loss);
    if (last || stop || (config_.save_every > 0 && r.step % config_.save_every == 0)) {
      auto dir = save();
      if (!options_.quiet) log::info("train: saved {}", dir.string());
      if (sig != 0 && !last)
        throw Interrupted(sig, fmt::format("train saved {} (step {}); rerun with --resume to continue",
                                           dir.string(), state_.step));
    }
    if (stop) break;
  }
  return results;
}

}  // namespace oqvl::train
