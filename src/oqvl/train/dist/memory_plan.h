// `oqvl train --dry-run`: per-rank memory and the compute budget of a run for each sharding
// strategy at a given number of ranks, from the model's shapes and the config, before any work.
// Estimates from a stated formula (docs/distributed.md "Planning a run") of what oqvl's own
// implementation holds, not measurements. T = trainable parameters, F = frozen ones (Fv of them
// the vision tower's), G = ranks a tensor is sharded over (ddp 1, zero2/full_shard all ranks,
// hybrid the ranks of one node), Lt = one decoder layer's trainable parameters, R = T - L*Lt the
// trainable parameters outside the decoder layers (embeddings, head, projector: the root unit),
// r = bytes per summed gradient element (dist.reduce_dtype: 4 or 2), v = bytes per frozen vision
// element (2 when kept in bf16), fp32 weights computed in bf16 by autocast:
//   frozen      v*Fv + 4*(F - Fv)                                  (every strategy)
//   ddp         params 4T            grads 4T (.grad are views of the buckets) + r*T if r = 2
//   zero2       params 4T + 4T/G     grads 4T/G + 4R (the root's .grad as backward makes them)
//               + r(R + 5Lt) (the root's flat, 4 reductions in flight and one filling;
//               blocking: r(R + Lt))
//   full_shard  params 4T/G + 4(R + 2Lt) (root gathered all step, a layer and the prefetched
//               next; blocking: one layer)   grads 4T/G + 4(R + Lt) + r(R + 4Lt) (reductions in
//               flight; blocking: r*max(R, Lt))
//   optimizer   ddp 8T | sharded 8T/G (Adam m, v)
//   activations per micro-batch of B rows x S positions, bf16: with checkpointing
//               2BSH*L + 2BS(6H + 3I), without L * 2BS(6H + 3I); plus the loss's fp32
//               logit block 4BS*256
//   FLOPs/token 6 * (trainable LLM + projector parameters) + 6*L*H*S (causal attention);
//               the vision tower's FLOPs are not counted (they depend on images per token)
//   GPU-hours   tokens * FLOPs/token / (MFU * peak FLOP/s) / 3600
// Torch-free.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace oqvl::train {

struct ModelSize {
  std::int64_t vision = 0, projector = 0, llm = 0;  // parameters (vision: blocks that run)
  std::int64_t layers = 0, hidden = 0, intermediate = 0;
  std::int64_t largest_layer = 0;  // parameters of one decoder layer
};

struct PlanInput {
  ModelSize model;
  bool train_vision = false, train_llm = true;  // the projector always trains
  std::int64_t global_batch = 256, micro_batch = 1, context = 4096;
  bool activation_checkpointing = true;
  int gpus_per_node = 8;
  double mfu = 0.4;
  double peak_flops = 989e12;  // H100 SXM dense bf16
  double tokens = 5e9;         // the paper's pre-training budget
  bool overlap = true;         // dist.overlap
  int reduce_bytes = 4;        // dist.reduce_dtype fp32 4 | bf16 2
  int frozen_vision_bytes = 2;  // model.frozen_vision_dtype: bf16 2 | fp32 4
};

struct RankPlan {
  std::string strategy;  // ddp | zero2 | full_shard | hybrid
  int ranks = 1, shard = 1;
  double params = 0, grads = 0, optimizer = 0, activations = 0;  // bytes per rank
  double total() const { return params + grads + optimizer + activations; }
  std::int64_t accumulation = 0;  // micro-batches per step per rank; 0 = batch.global does not divide
};

struct RunPlan {
  std::int64_t trainable = 0, frozen = 0;
  std::int64_t root = 0, layer_trainable = 0;  // R and Lt of the formula
  double tokens_per_step = 0, flops_per_token = 0, steps = 0, gpu_hours = 0;
  std::vector<RankPlan> ranks;  // for each requested rank count, every strategy
};

RunPlan plan_run(const PlanInput& input, const std::vector<int>& rank_counts);

// The strategies planned, in order.
const std::vector<std::string>& plan_strategies();

}  // namespace oqvl::train
