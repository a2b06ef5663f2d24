// Which parameter gradients are final during the step's last backward, so their reduction can
// start while backward goes on (what DDP's reducer and FSDP's post-backward hooks do).
//
// Parameters are in groups (gradient buckets, sharding units), numbered in the order their
// collectives start: every rank starts group 0, then 1, ... whatever order its own backward
// finishes them in, or the ranks' collectives would pair up wrongly. A group whose gradients
// this rank's backward does not reach (the projector in a text-only micro-batch) starts in
// finish(), holding back the later ones; the result is the same, only less overlapped.
//
// Threads: the callbacks run on autograd's thread (inside backward) and in finish() on the
// caller's; one backward at a time.
#pragma once

#include <torch/torch.h>

#include <cstddef>
#include <functional>
#include <mutex>
#include <vector>

namespace oqvl::train {

// slot = acc + incoming, the value autograd's accumulation gives (one rounding in acc's dtype),
// then in slot's dtype; either may be undefined (zeros when both are).
void write_final_gradient(torch::Tensor& slot, const torch::Tensor& acc, const torch::Tensor& incoming);

class GradReady {
 public:
  // param_ready(k, incoming): parameter k's gradient of this backward arrived. Its final value is
  // params[k].grad() + incoming (incoming alone when grad() is undefined): grad() still holds
  // the earlier micro-batches' sum, autograd adds `incoming` after the callback. In finish(),
  // called with an undefined `incoming` for each parameter this backward did not reach.
  using ParamReady = std::function<void(std::size_t param, const torch::Tensor& incoming)>;
  // group_ready(g): every parameter of group g was handed to param_ready; called for g in order.
  using GroupReady = std::function<void(std::size_t group)>;

  // Every parameter in exactly one group (oqvl::Error otherwise); hooks are registered on them.
  GradReady(std::vector<torch::Tensor> params, const std::vector<std::vector<std::size_t>>& groups,
            ParamReady param_ready, GroupReady group_ready);
  ~GradReady();  // removes the hooks
  GradReady(const GradReady&) = delete;
  GradReady& operator=(const GradReady&) = delete;

  // The next backward is the step's last: report gradients as they become final. Backwards run
  // while not armed are not reported (earlier micro-batches just accumulate).
  void arm();
  // After the armed backward: reports the parameters it did not reach, starts the groups not
  // started yet (in order), disarms. oqvl::Error if a hook saw a parameter twice.
  void finish();

 private:
  void on_gradient(std::size_t k, const torch::Tensor& incoming);
  void start_ready_groups();  // caller holds mutex_

  std::vector<torch::Tensor> params_;
  std::vector<unsigned> hook_ids_;
  std::vector<std::size_t> group_of_;    // param -> group
  std::vector<std::size_t> group_size_;  // params per group
  std::vector<std::size_t> arrived_;     // per group, during the armed backward
  std::vector<char> seen_;               // per param, during the armed backward
  std::vector<std::vector<std::size_t>> groups_;
  ParamReady param_ready_;
  GroupReady group_ready_;
  std::size_t next_group_ = 0;  // groups started so far
  bool armed_ = false;
  bool twice_ = false;  // a parameter's hook fired twice in one backward
  std::mutex mutex_;
};

}  // namespace oqvl::train
