// Which parameter gradients are final during a backward, so their reduction can start while
// backward goes on (what DDP's reducer and FSDP's post-backward hooks do). A post-accumulate
// hook on each parameter (autograd calls it once the parameter's .grad holds this backward's
// contribution added to what was there) reports the parameter.
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

class GradReady {
 public:
  // param_ready(k): parameter k's .grad is final for this backward (the callback may read,
  // move or reset it). In finish(), called for each parameter this backward did not reach
  // (its .grad as the earlier backwards left it, possibly undefined).
  using ParamReady = std::function<void(std::size_t param)>;
  // group_ready(g): every parameter of group g was handed to param_ready; called for g in order.
  using GroupReady = std::function<void(std::size_t group)>;

  // Every parameter in exactly one group (oqvl::Error otherwise); the hooks are installed on
  // them (a parameter has one post-accumulate hook slot: nothing else may use it meanwhile).
  GradReady(std::vector<torch::Tensor> params, const std::vector<std::vector<std::size_t>>& groups,
            ParamReady param_ready, GroupReady group_ready);
  ~GradReady();  // removes the hooks
  GradReady(const GradReady&) = delete;
  GradReady& operator=(const GradReady&) = delete;

  // The next backward is reported. Backwards run while not armed are not (their gradients just
  // accumulate).
  void arm();
  // After the armed backward: reports the parameters it did not reach, starts the groups not
  // started yet (in order), disarms. oqvl::Error if a parameter was reported twice (a parameter
  // used by two re-run blocks would have a second contribution after its reduction started).
  void finish();
  // Groups started inside the last armed backward (the rest started in finish()).
  std::size_t started_in_backward() const { return started_in_backward_; }

 private:
  struct Hook;
  void on_gradient(std::size_t k);
  void start_ready_groups();  // caller holds mutex_

  std::vector<torch::Tensor> params_;
  std::vector<std::size_t> group_of_;    // param -> group
  std::vector<std::size_t> group_size_;  // params per group
  std::vector<std::size_t> arrived_;     // per group, during the armed backward
  std::vector<char> seen_;               // per param, during the armed backward
  std::vector<std::vector<std::size_t>> groups_;
  ParamReady param_ready_;
  GroupReady group_ready_;
  std::size_t next_group_ = 0;  // groups started so far
  std::size_t started_in_backward_ = 0;
  bool armed_ = false;
  bool twice_ = false;  // reported by finish(): an exception thrown inside autograd loses context
  std::mutex mutex_;
};

}  // namespace oqvl::train
