#include "oqvl/train/dist/sharded.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <set>

#include "oqvl/core/error.h"
#include "oqvl/model/io/safetensors.h"
#include "oqvl/train/dist/comm_timer.h"

namespace oqvl::train {

Strategy parse_strategy(const std::string& name) {
  if (name == "ddp") return Strategy::kDdp;
  if (name == "zero2") return Strategy::kZero2;
  if (name == "full_shard") return Strategy::kFullShard;
  if (name == "hybrid") return Strategy::kHybrid;
  fail("dist.strategy: unknown '{}' (ddp, zero2, full_shard, hybrid)", name);
}

bool sharded(Strategy s) { return s != Strategy::kDdp; }

std::string strategy_name(Strategy s) {
  switch (s) {
    case Strategy::kDdp: return "ddp";
    case Strategy::kZero2: return "zero2";
    case Strategy::kFullShard: return "full_shard";
    case Strategy::kHybrid: return "hybrid";
  }
  return "?";
}

struct ShardedParallel::Unit {
  std::string label;                              // "root", "layer 3" (errors)
  std::vector<std::size_t> members;               // indices into params_
  std::vector<std::int64_t> offsets;              // each member's first element in the flat vector
  std::vector<std::vector<std::int64_t>> shapes;  // each member's shape
  std::int64_t total = 0, padded = 0, slice = 0;  // elements; slice = padded / shards
  torch::Tensor master;                           // [slice] fp32: this rank's weights
  torch::Tensor grad;                             // [slice] fp32: reduced gradient of the step so far
  torch::Tensor full;                             // [padded] the gathered weights (params view it)
  bool gathered = true;
  std::unique_ptr<Pending> gathering;  // an all-gather into `full` in flight (prefetch)
  torch::Tensor reduce_flat;           // zero2: [padded] this backward's final gradients, being filled
};

// A reduce-scatter in flight: `part` is added to the unit's slice gradient once it completed.
struct ShardedParallel::Reduction {
  Unit* unit = nullptr;
  torch::Tensor flat, part;
  std::unique_ptr<Pending> pending;
  bool last = false;  // of the step's last backward: the unit's slice is final once it lands
};

// hybrid with overlap: a unit's final slice summed across the nodes while the rest goes on.
struct ShardedParallel::Replication {
  Unit* unit = nullptr;
  torch::Tensor sum;  // u.grad itself, or its copy in the reduce dtype
  std::unique_ptr<Pending> pending;
};

// Where optimizer parameter i's elements sit: unit, first element in its slice, count.
struct ShardedParallel::Slot {
  std::size_t unit = 0;
  std::int64_t begin = 0, length = 0;
};

namespace {

// The pieces of shard `r`'s slice [r * slice, (r + 1) * slice) that fall in each member.
template <typename U, typename F>
void for_each_piece(const U& u, int r, F&& f) {
  const auto lo = static_cast<std::int64_t>(r) * u.slice, hi = lo + u.slice;
  for (std::size_t m = 0; m < u.members.size(); ++m) {
    std::int64_t n = 1;
    for (auto d : u.shapes[m]) n *= d;
    const auto a = std::max(lo, u.offsets[m]), b = std::min(hi, u.offsets[m] + n);
    if (a < b) f(m, a - lo, a - u.offsets[m], b - a);
  }
}

// Reductions in flight at most (each holds a unit's flat gradient).
constexpr std::size_t kMaxReductionsInFlight = 4;

}  // namespace

ShardedParallel::ShardedParallel(model::OpenQwen2VLImpl& model,
                                 std::vector<std::pair<std::string, torch::Tensor>> trainable,
                                 Strategy strategy, ShardGroups groups, AdamWOptions options,
                                 torch::ScalarType reduce_dtype, bool overlap)
    : model_(model), strategy_(strategy), groups_(groups), reduce_dtype_(reduce_dtype), overlap_(overlap) {
  if (!sharded(strategy)) fail("ShardedParallel: ddp is not a sharded strategy");
  if (!groups_.world || !groups_.shard) fail("ShardedParallel: no process groups");
  torch::NoGradGuard no_grad;
  for (auto& [name, t] : trainable) {
    if (t.scalar_type() != torch::kFloat32)
      fail("dist.strategy {}: trainable parameter '{}' must be float32 (the master weights)",
           strategy_name(strategy), name);
    names_.push_back(name);
    params_.push_back(t);
  }
  if (!params_.empty()) opts_ = torch::TensorOptions().dtype(torch::kFloat32).device(params_[0].device());
  // Units: the root, then one per decoder layer, members in the model's state-dict order.
  std::map<const void*, std::size_t> layer_of;
  const auto& layers = *model_.llm->model->layers;
  for (std::size_t i = 0; i < layers.size(); ++i)
    for (const auto& p : layers[i]->parameters()) layer_of[p.unsafeGetTensorImpl()] = i + 1;
  units_.resize(layers.size() + 1);
  for (std::size_t i = 0; i < units_.size(); ++i) {
    units_[i] = std::make_unique<Unit>();
    units_[i]->label = i == 0 ? "root" : fmt::format("layer {}", i - 1);
  }
  for (std::size_t k = 0; k < params_.size(); ++k) {
    auto it = layer_of.find(params_[k].unsafeGetTensorImpl());
    auto& u = *units_[it == layer_of.end() ? 0 : it->second];
    u.members.push_back(k);
    u.offsets.push_back(u.total);
    u.shapes.push_back(params_[k].sizes().vec());
    u.total += params_[k].numel();
  }
  const int S = shards(), r = shard_rank();
  std::vector<AdamW::Param> slices;
  for (std::size_t ui = 0; ui < units_.size(); ++ui) {
    auto& u = *units_[ui];
    u.slice = (u.total + S - 1) / S;
    u.padded = u.slice * S;
    auto flat = torch::zeros({u.padded}, opts_);
    for (std::size_t m = 0; m < u.members.size(); ++m) {
      auto& p = params_[u.members[m]];
      flat.narrow(0, u.offsets[m], p.numel()).copy_(p.reshape({-1}));
    }
    u.master = flat.narrow(0, static_cast<std::int64_t>(r) * u.slice, u.slice).clone();
    u.grad = torch::zeros({u.slice}, opts_);
    // zero2 keeps the weights gathered: the parameters become views of one flat buffer, which
    // each update's all-gather refreshes in place.
    u.full = flat;
    for (std::size_t m = 0; m < u.members.size(); ++m)
      params_[u.members[m]].set_data(
          flat.narrow(0, u.offsets[m], params_[u.members[m]].numel()).view(u.shapes[m]));
    for_each_piece(u, r, [&](std::size_t m, std::int64_t begin, std::int64_t offset, std::int64_t length) {
      const auto k = u.members[m];
      slots_.push_back({ui, begin, length});
      AdamW::Param p;
      p.name = names_[k];
      p.param = u.master.narrow(0, begin, length);
      p.decay = decays(names_[k], params_[k]);  // on the whole parameter's shape
      p.offset = offset;
      p.full_shape = u.shapes[m];
      slices.push_back(std::move(p));
    });
  }
  optimizer_ = std::make_unique<AdamW>(AdamW::over_slices(std::move(slices), options));
  if (weights_sharded()) {
    for (auto& u : units_) release_unit(*u);
    model_.llm->model->param_hooks = this;
  }
  if (strategy_ == Strategy::kZero2) {
    // Every backward hands each unit's gradient on as soon as it is final and frees the
    // parameter's .grad (FSDP's SHARD_GRAD_OP): no rank holds a whole gradient. Backward
    // finishes the last layer first and the root (embeddings) last.
    std::vector<std::vector<std::size_t>> groups;
    for (std::size_t i = units_.size(); i-- > 0;) {
      unit_order_.push_back(i);
      groups.push_back(units_[i]->members);
    }
    std::vector<std::pair<std::size_t, std::int64_t>> place(params_.size());  // param -> unit, offset
    for (std::size_t ui = 0; ui < units_.size(); ++ui)
      for (std::size_t m = 0; m < units_[ui]->members.size(); ++m)
        place[units_[ui]->members[m]] = {ui, units_[ui]->offsets[m]};
    ready_ = std::make_unique<GradReady>(
        params_, groups,
        [this, place](std::size_t k) {
          auto& u = *units_[place[k].first];
          if (!u.reduce_flat.defined()) u.reduce_flat = torch::zeros({u.padded}, opts_.dtype(reduce_dtype_));
          auto& g = params_[k].mutable_grad();
          if (g.defined()) {  // unreached: stays zeros
            u.reduce_flat.narrow(0, place[k].second, g.numel()).copy_(g.reshape({-1}));
            g = torch::Tensor();
          }
        },
        [this](std::size_t g) {
          auto& u = *units_[unit_order_[g]];
          if (u.members.empty()) return;
          start_reduction(u, std::move(u.reduce_flat));
          if (!overlap_) finish_reductions();
        });
  }
}

ShardedParallel::~ShardedParallel() {
  if (model_.llm->model->param_hooks == this) model_.llm->model->param_hooks = nullptr;
  // Pending collectives wait in their destructors, before the buffers they use go.
  replications_.clear();
  reductions_.clear();
  for (auto& u : units_) u->gathering.reset();
}

int ShardedParallel::shards() const { return groups_.shard->world(); }
int ShardedParallel::shard_rank() const { return groups_.shard->rank(); }
bool ShardedParallel::writes_shards() const { return !groups_.replicate || groups_.replicate->rank() == 0; }

void ShardedParallel::start_gather(Unit& u) {
  if (u.gathered || u.gathering || u.members.empty()) return;
  torch::NoGradGuard no_grad;
  u.full = torch::empty({u.padded}, opts_);
  CommTimer t(comm_seconds_);
  u.gathering = groups_.shard->all_gather_start(u.master, u.full);
}

void ShardedParallel::gather_unit(Unit& u) {
  if (u.gathered || u.members.empty()) return;
  torch::NoGradGuard no_grad;
  start_gather(u);
  {
    CommTimer t(comm_seconds_);
    u.gathering->wait();
    u.gathering.reset();
  }
  for (std::size_t m = 0; m < u.members.size(); ++m) {
    auto& p = params_[u.members[m]];
    std::int64_t n = 1;
    for (auto d : u.shapes[m]) n *= d;
    p.set_data(u.full.narrow(0, u.offsets[m], n).view(u.shapes[m]));
  }
  u.gathered = true;
}

void ShardedParallel::release_unit(Unit& u) {
  if (u.gathering) {  // a prefetch nobody used: let it land before its buffer goes
    CommTimer t(comm_seconds_);
    u.gathering->wait();
    u.gathering.reset();
    u.full = torch::Tensor();
  }
  if (!u.gathered || u.members.empty()) return;
  torch::NoGradGuard no_grad;
  for (auto k : u.members) params_[k].set_data(torch::empty({0}, opts_));
  u.full = torch::Tensor();
  u.gathered = false;
}

void ShardedParallel::reduce_unit(Unit& u) {
  if (u.members.empty()) return;
  torch::NoGradGuard no_grad;
  // A gradient this rank did not reach is zeros, so every rank reduces the same vector.
  auto flat = torch::zeros({u.padded}, opts_.dtype(reduce_dtype_));
  for (std::size_t m = 0; m < u.members.size(); ++m) {
    auto& p = params_[u.members[m]];
    const auto& g = p.grad();
    if (g.defined()) flat.narrow(0, u.offsets[m], g.numel()).copy_(g.reshape({-1}));
    p.mutable_grad() = torch::Tensor();
  }
  start_reduction(u, std::move(flat));
  if (!overlap_) finish_reductions();
}

void ShardedParallel::start_reduction(Unit& u, torch::Tensor flat) {
  torch::NoGradGuard no_grad;
  Reduction r;
  r.unit = &u;
  r.part = torch::empty({u.slice}, opts_.dtype(reduce_dtype_));
  {
    CommTimer t(comm_seconds_);
    r.pending = groups_.shard->reduce_scatter_sum_start(flat, r.part);
  }
  r.flat = std::move(flat);
  r.last = last_backward_;
  reductions_.push_back(std::move(r));
  // Bounded memory: waiting here (inside backward, for zero2) costs overlap, not correctness.
  while (reductions_.size() > kMaxReductionsInFlight) finish_oldest_reduction();
}

void ShardedParallel::finish_oldest_reduction() {
  torch::NoGradGuard no_grad;
  auto& r = reductions_.front();
  {
    CommTimer t(comm_seconds_);
    r.pending->wait();
  }
  r.unit->grad.add_(r.part.to(torch::kFloat32));  // in start order: the same sums as blocking
  if (r.last && groups_.replicate && overlap_) {
    Replication rep;
    rep.unit = r.unit;
    rep.sum = reduce_dtype_ == torch::kFloat32 ? r.unit->grad : r.unit->grad.to(reduce_dtype_);
    CommTimer t(comm_seconds_);
    rep.pending = groups_.replicate->all_reduce_sum_start(rep.sum);
    replications_.push_back(std::move(rep));
  }
  reductions_.pop_front();
}

void ShardedParallel::finish_reductions() {
  while (!reductions_.empty()) finish_oldest_reduction();
}

void ShardedParallel::gather(int layer, bool backward) {
  gather_unit(*units_.at(static_cast<std::size_t>(layer) + 1));
  const int next = backward ? layer - 1 : layer + 1;
  if (overlap_ && next >= 0 && static_cast<std::size_t>(next) + 1 < units_.size())
    start_gather(*units_[static_cast<std::size_t>(next) + 1]);
}
void ShardedParallel::release(int layer) {
  // The last layer's re-run is the first thing backward does: with overlap it stays gathered
  // for it (as FSDP does) instead of being gathered again at once. Only in training forward.
  if (overlap_ && static_cast<std::size_t>(layer) + 2 == units_.size() && torch::GradMode::is_enabled())
    return;
  release_unit(*units_.at(static_cast<std::size_t>(layer) + 1));
}
void ShardedParallel::backward_done(int layer) {
  auto& u = *units_.at(static_cast<std::size_t>(layer) + 1);
  reduce_unit(u);
  release_unit(u);
}

void ShardedParallel::begin_step() {
  if (weights_sharded()) gather_unit(*units_[0]);
}

void ShardedParallel::before_backward(bool last) {
  last_backward_ = last;
  if (ready_) ready_->arm();
}

void ShardedParallel::after_backward() {
  if (ready_) ready_->finish();  // the units this backward did not reach start now
}

void ShardedParallel::reduce_gradients() {
  last_backward_ = true;  // the root's reduction below is its last of the step too
  if (strategy_ == Strategy::kZero2) {
    finish_reductions();
  } else {
    reduce_unit(*units_[0]);  // the layers reduced theirs after their backward
    finish_reductions();
  }
  last_backward_ = false;
  if (groups_.replicate && overlap_) {
    // Started as each unit's last reduce-scatter landed; every unit with members had one.
    CommTimer t(comm_seconds_);
    for (auto& rep : replications_) {
      rep.pending->wait();
      if (!rep.sum.is_same(rep.unit->grad)) rep.unit->grad.copy_(rep.sum);
    }
    replications_.clear();
  } else if (groups_.replicate) {
    std::vector<torch::Tensor> slices;
    for (auto& u : units_)
      if (!u->members.empty()) slices.push_back(u->grad.to(reduce_dtype_));
    {
      CommTimer t(comm_seconds_);
      groups_.replicate->all_reduce_sum(slices);
    }
    std::size_t i = 0;
    for (auto& u : units_)
      if (!u->members.empty()) u->grad.copy_(slices[i++]);
  }
}

void ShardedParallel::scale_gradients(double factor) {
  for (auto& u : units_) u->grad.mul_(factor);
}

double ShardedParallel::clip_gradients(double max_norm) {
  torch::NoGradGuard no_grad;
  // Summed on the device, read once: no host synchronisation per unit.
  auto sq = torch::zeros({1}, opts_.dtype(torch::kFloat64));
  for (auto& u : units_)
    if (u->slice > 0) sq += u->grad.to(torch::kFloat64).square().sum();
  std::vector<torch::Tensor> total{sq};
  {
    CommTimer t(comm_seconds_);
    groups_.shard->all_reduce_sum(total);  // replicas hold the same slices: the shard group only
  }
  const double norm = std::sqrt(total[0].item<double>());
  if (max_norm > 0) {
    // clip_grad_norm's coefficient, computed as it does in fp32.
    const float coef = std::min(1.0f, static_cast<float>(max_norm) / (static_cast<float>(norm) + 1e-6f));
    if (coef < 1.0f)
      for (auto& u : units_) u->grad.mul_(coef);
  }
  return norm;
}

void ShardedParallel::update(double lr) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> grads;
  grads.reserve(slots_.size());
  for (const auto& s : slots_) grads.push_back(units_[s.unit]->grad.narrow(0, s.begin, s.length));
  optimizer_->step(lr, grads);
  for (auto& u : units_) u->grad.zero_();
  if (strategy_ == Strategy::kZero2) {
    CommTimer t(comm_seconds_);
    std::vector<std::unique_ptr<Pending>> gathers;  // all started, then waited: Gloo runs two at once
    for (auto& u : units_)
      if (!u->members.empty()) gathers.push_back(groups_.shard->all_gather_start(u->master, u->full));
    for (auto& g : gathers) g->wait();
  } else {
    release_unit(*units_[0]);
  }
}

double ShardedParallel::take_comm_seconds() {
  const double s = comm_seconds_;
  comm_seconds_ = 0;
  return s;
}

std::vector<ChunkSpec> ShardedParallel::chunk_specs(int r, const std::string& ns) const {
  std::vector<ChunkSpec> out;
  for (const auto& u : units_)
    for_each_piece(*u, r, [&](std::size_t m, std::int64_t, std::int64_t offset, std::int64_t length) {
      const auto& name = names_[u->members[m]];
      if (ns == "optimizer") {
        out.push_back({name + ".exp_avg", u->shapes[m], "F32", offset, length});
        out.push_back({name + ".exp_avg_sq", u->shapes[m], "F32", offset, length});
      } else {
        out.push_back({name, u->shapes[m], "F32", offset, length});
      }
    });
  if (ns == "model" && r == 0) {
    // Frozen weights (a frozen vision tower, or the LLM when only the projector trains): whole.
    const std::set<std::string> trained(names_.begin(), names_.end());
    for (const auto& [name, t] : model_.state_dict())
      if (!trained.count(name))
        out.push_back({name, t.sizes().vec(), model::safetensors_dtype(t.scalar_type()), 0, t.numel()});
  }
  return out;
}

std::vector<std::pair<ChunkSpec, torch::Tensor>> ShardedParallel::chunks(const std::string& ns) const {
  const auto specs = chunk_specs(shard_rank(), ns);
  std::vector<std::pair<ChunkSpec, torch::Tensor>> out;
  std::size_t i = 0;
  if (ns == "optimizer") {
    const auto& params = optimizer_->params();
    for (const auto& p : params) {
      const auto zeros = torch::zeros({p.param.numel()}, opts_);
      out.emplace_back(specs.at(i++), p.exp_avg.defined() ? p.exp_avg.reshape({-1}) : zeros);
      out.emplace_back(specs.at(i++), p.exp_avg_sq.defined() ? p.exp_avg_sq.reshape({-1}) : zeros);
    }
  } else {
    for (const auto& s : slots_)
      out.emplace_back(specs.at(i++), units_[s.unit]->master.narrow(0, s.begin, s.length));
    if (shard_rank() == 0) {
      auto state = model_.state_dict();
      for (; i < specs.size(); ++i) out.emplace_back(specs[i], state[specs[i].name].detach().reshape({-1}));
    }
  }
  if (out.size() != specs.size()) fail("ShardedParallel: {} chunks for {} specs", out.size(), specs.size());
  return out;
}

void ShardedParallel::load_optimizer(CheckpointTensors& ckpt) {
  load_optimizer_state(ckpt, *optimizer_, /*strict=*/false);
}

}  // namespace oqvl::train
