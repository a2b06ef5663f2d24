#include "oqvl/train/dist/memory_plan.h"

#include <algorithm>

#include "oqvl/core/error.h"

namespace oqvl::train {

const std::vector<std::string>& plan_strategies() {
  static const std::vector<std::string> s{"ddp", "zero2", "full_shard", "hybrid"};
  return s;
}

RunPlan plan_run(const PlanInput& in, const std::vector<int>& rank_counts) {
  const auto& m = in.model;
  if (in.micro_batch < 1 || in.global_batch < 1 || in.context < 1)
    fail("plan: batch and context must be >= 1");
  if (!(in.mfu > 0 && in.mfu <= 1)) fail("--mfu: {} is not in (0, 1]", in.mfu);
  RunPlan p;
  const double T = static_cast<double>(m.projector + (in.train_llm ? m.llm : 0) +
                                       (in.train_vision ? m.vision : 0));
  const double F = static_cast<double>(m.vision + m.projector + m.llm) - T;
  p.trainable = static_cast<std::int64_t>(T);
  p.frozen = static_cast<std::int64_t>(F);
  const double B = static_cast<double>(in.micro_batch), S = static_cast<double>(in.context);
  const double H = static_cast<double>(m.hidden), I = static_cast<double>(m.intermediate);
  const double L = static_cast<double>(m.layers);
  const double layer_peak = 2 * B * S * (6 * H + 3 * I);
  const double act = (in.activation_checkpointing ? 2 * B * S * H * L + layer_peak : L * layer_peak) +
                     4 * B * S * 256;
  p.tokens_per_step = static_cast<double>(in.global_batch) * S;
  const double trained_llm = static_cast<double>(m.projector + (in.train_llm ? m.llm : 0));
  p.flops_per_token = 6 * trained_llm + 6 * L * H * S;
  p.steps = in.tokens / p.tokens_per_step;
  p.gpu_hours = in.tokens * p.flops_per_token / (in.mfu * in.peak_flops) / 3600.0;
  const double Lt = in.train_llm ? static_cast<double>(m.largest_layer) : 0.0;
  const double R = T - L * Lt;
  p.root = static_cast<std::int64_t>(R);
  p.layer_trainable = static_cast<std::int64_t>(Lt);
  const double Fv = in.train_vision ? 0.0 : static_cast<double>(m.vision);
  const double frozen = in.frozen_vision_bytes * Fv + 4 * (F - Fv);
  const double rb = in.reduce_bytes;
  for (int W : rank_counts) {
    if (W < 1) fail("--ranks: {} is not a rank count", W);
    for (const auto& s : plan_strategies()) {
      RankPlan r;
      r.strategy = s;
      r.ranks = W;
      r.shard = s == "ddp" ? 1 : s == "hybrid" ? std::min(W, std::max(1, in.gpus_per_node)) : W;
      const double G = r.shard;
      if (s == "ddp") {
        r.params = 4 * T;
        r.grads = 4 * T + (in.reduce_bytes != 4 ? rb * T : 0.0);  // fp32: .grad are the buckets
        r.optimizer = 8 * T;
      } else if (s == "zero2") {
        r.params = 4 * T + 4 * T / G;
        r.grads = 4 * T / G + 4 * R + rb * (R + (in.overlap ? 5 : 1) * Lt);
        r.optimizer = 8 * T / G;
      } else {
        r.params = 4 * T / G + 4 * (R + (in.overlap ? 2 : 1) * Lt);
        r.grads = 4 * T / G + 4 * (R + Lt) + (in.overlap ? rb * (R + 4 * Lt) : rb * std::max(R, Lt));
        r.optimizer = 8 * T / G;
      }
      r.params += frozen;
      r.activations = act;
      const auto per_step = in.micro_batch * static_cast<std::int64_t>(W);
      r.accumulation = in.global_batch % per_step == 0 ? in.global_batch / per_step : 0;
      p.ranks.push_back(r);
    }
  }
  return p;
}

}  // namespace oqvl::train
