// Sharded data parallel (docs/distributed.md): the `zero2`, `full_shard` and `hybrid` strategies
// of dist.strategy, FSDP's SHARD_GRAD_OP, FULL_SHARD and HYBRID_SHARD over oqvl's Comm.
//
// The trainable parameters are grouped into units: one per Qwen2 decoder layer and a root unit
// with the rest (projector, embeddings, final norm, LM head, and the vision tower when trained;
// a frozen vision tower is in no unit: replicated, never reduced). A unit's parameters are laid
// end to end in one flat fp32 vector, padded to a multiple of the shard group's size S; shard
// rank r owns elements [r * n, (r + 1) * n) of it, n = padded / S. Each rank keeps, per unit, its
// slice of the parameters (the fp32 master weights), of the reduced gradient, and AdamW's moments
// for that slice only.
//
//   zero2       every rank holds the whole weights for forward/backward; during every backward
//               each unit's gradient is reduce-scattered as soon as backward finished it (the
//               parameters' .grad freed then: no rank holds a whole gradient), each rank updates
//               its slice, and the slices are all-gathered back into the weights.
//   full_shard  between uses a unit's weights exist only as slices: a decoder layer is
//               all-gathered before it runs and released after (layers run checkpointed: the
//               re-run in backward gathers it again), and its gradient is reduce-scattered right
//               after its backward, every micro-batch; the root unit is gathered for the step.
//   hybrid      full_shard inside a node (the shard group is the node's ranks), replicated across
//               nodes: the reduced slices are all-reduced over the ranks holding the same slice.
//
// With `overlap` (dist.overlap) the collectives run behind compute: full_shard prefetches the
// layer that runs next (forward: i + 1, backward: i - 1) while layer i runs, and the
// reduce-scatters of both strategies run while backward goes on (at most 4 in flight), and
// hybrid's cross-node sum of a unit's slice starts as soon as the slice is final; without it
// each collective is waited for where it starts. The arithmetic is the same either way.
//
// Gradients are summed over the ranks in fp32, or bf16 (dist.reduce_dtype; then rounded sums).
// The step is exactly the single-process step: gradient sums over all rows, the clipping norm
// over the whole gradient (slice sums of squares summed over the shard group). Every rank issues
// the same collectives in the same order whatever its micro-batch held. Training thread only.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "oqvl/model/vlm.h"
#include "oqvl/train/checkpoint.h"
#include "oqvl/train/dist/comm.h"
#include "oqvl/train/dist/grad_ready.h"
#include "oqvl/train/optimizer.h"

namespace oqvl::train {

enum class Strategy { kDdp, kZero2, kFullShard, kHybrid };

// "ddp" | "zero2" | "full_shard" | "hybrid"; oqvl::Error otherwise.
Strategy parse_strategy(const std::string& name);
bool sharded(Strategy s);
std::string strategy_name(Strategy s);

struct ShardGroups {
  Comm* world = nullptr;      // every rank (statistics)
  Comm* shard = nullptr;      // the ranks that split the slices among them
  Comm* replicate = nullptr;  // hybrid: the ranks holding the same slice (one per node); else null
};

class ShardedParallel : public model::LayerParamHooks {
 public:
  // Takes over the trainable parameters (the model's current values become the masters); with
  // full_shard/hybrid the weights are released to slices and the model's decoder calls this
  // object's hooks until it is destroyed.
  ShardedParallel(model::OpenQwen2VLImpl& model, std::vector<std::pair<std::string, torch::Tensor>> trainable,
                  Strategy strategy, ShardGroups groups, AdamWOptions options,
                  torch::ScalarType reduce_dtype = torch::kFloat32, bool overlap = true);
  ~ShardedParallel() override;
  ShardedParallel(const ShardedParallel&) = delete;
  ShardedParallel& operator=(const ShardedParallel&) = delete;

  // Before the step's first forward: full_shard/hybrid gather the root unit.
  void begin_step();
  // Around every backward (`last`: the step's last one): zero2 reduce-scatters each unit as
  // backward finishes it; hybrid with overlap starts a unit's cross-node sum once its last
  // reduce-scatter of the step landed.
  void before_backward(bool last);
  void after_backward();
  // After the step's last backward: reduces what is not reduced yet (zero2: every unit;
  // full_shard: the root; hybrid: then every slice across nodes).
  void reduce_gradients();
  void scale_gradients(double factor);
  // The global L2 norm of the reduced gradient, clipped to max_norm as clip_grad_norm does.
  double clip_gradients(double max_norm);
  // AdamW on this rank's slices, then zero2 gathers the weights, full_shard releases the root.
  void update(double lr);

  AdamW& optimizer() { return *optimizer_; }
  // Seconds spent in collectives since the last call (the step's `comm` share).
  double take_comm_seconds();
  Strategy strategy() const { return strategy_; }
  int shards() const;          // shard group size
  int shard_rank() const;      // this rank's place in it
  bool writes_shards() const;  // one replica's ranks write the checkpoint's chunks
  bool weights_sharded() const { return strategy_ == Strategy::kFullShard || strategy_ == Strategy::kHybrid; }

  // Checkpoint chunks of shard rank r (any r: the layout is the same on every rank): the
  // optimizer moments, and with weights_sharded() the trainable weights (frozen weights are
  // whole chunks of shard 0).
  std::vector<ChunkSpec> chunk_specs(int shard_rank, const std::string& ns) const;
  // This rank's chunks with their data (CPU), in chunk_specs order.
  std::vector<std::pair<ChunkSpec, torch::Tensor>> chunks(const std::string& ns) const;
  // Resume: this rank's moments and step count from a checkpoint of any layout and world size
  // (the masters come from the model's weights, loaded before construction).
  void load_optimizer(CheckpointTensors& ckpt);

  // LayerParamHooks (decoder layer i = unit i + 1).
  void gather(int layer, bool backward) override;
  void release(int layer) override;
  void backward_done(int layer) override;

 private:
  struct Unit;
  struct Slot;
  struct Reduction;
  struct Replication;
  void start_gather(Unit& u);  // all-gather into u.full, not waited for
  void gather_unit(Unit& u);   // u's weights in place (waits for a started gather)
  void release_unit(Unit& u);
  // u's flat gradient -> reduce-scatter -> added to u's slice gradient, now or (overlap) when
  // finish_reductions() or a later reduction waits for it.
  void reduce_unit(Unit& u);
  void start_reduction(Unit& u, torch::Tensor flat);
  void finish_oldest_reduction();
  void finish_reductions();

  model::OpenQwen2VLImpl& model_;
  Strategy strategy_;
  ShardGroups groups_;
  std::vector<std::string> names_;     // trainable parameters, model state-dict names
  std::vector<torch::Tensor> params_;  // the model's parameter tensors
  std::vector<std::unique_ptr<Unit>> units_;
  std::vector<Slot> slots_;  // optimizer param i = slots_[i]
  std::unique_ptr<AdamW> optimizer_;
  double comm_seconds_ = 0;
  torch::TensorOptions opts_ = torch::TensorOptions().dtype(torch::kFloat32);  // fp32 on the weights' device
  torch::ScalarType reduce_dtype_ = torch::kFloat32;                           // what gradients are summed in
  bool overlap_ = true;
  std::deque<Reduction> reductions_;      // started, in start order
  std::deque<Replication> replications_;  // hybrid: started cross-node sums, in start order
  bool last_backward_ = false;
  std::vector<std::size_t> unit_order_;  // zero2: units in the order their reductions start
  std::unique_ptr<GradReady> ready_;     // zero2
};

}  // namespace oqvl::train
