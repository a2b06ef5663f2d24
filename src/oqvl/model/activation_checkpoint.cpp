#include "oqvl/model/activation_checkpoint.h"

#include <ATen/autocast_mode.h>

#include <memory>
#include <utility>

namespace oqvl::model {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::tensor_list;

// The block travels to backward inside the autograd context as an opaque capsule.
struct BlockHolder : torch::CustomClassHolder {
  Block block;
  CheckpointHooks hooks;
  bool cuda_autocast = false;
  at::ScalarType cuda_autocast_dtype = at::kBFloat16;
};

// Restores CUDA autocast for the re-run (backward runs on the engine's thread, where it is off).
class AutocastScope {
 public:
  AutocastScope(bool enabled, at::ScalarType dtype)
      : was_enabled_(at::autocast::is_autocast_enabled(at::kCUDA)),
        was_dtype_(at::autocast::get_autocast_dtype(at::kCUDA)) {
    at::autocast::set_autocast_enabled(at::kCUDA, enabled);
    at::autocast::set_autocast_dtype(at::kCUDA, dtype);
  }
  ~AutocastScope() {
    at::autocast::set_autocast_enabled(at::kCUDA, was_enabled_);
    at::autocast::set_autocast_dtype(at::kCUDA, was_dtype_);
  }

 private:
  bool was_enabled_;
  at::ScalarType was_dtype_;
};

struct CheckpointFunction : torch::autograd::Function<CheckpointFunction> {
  static torch::Tensor forward(AutogradContext* ctx, torch::Tensor x,
                               c10::intrusive_ptr<BlockHolder> holder) {
    ctx->save_for_backward({x});
    auto out = holder->block(x);  // autograd is off inside a Function's forward: nothing is kept
    ctx->saved_data["block"] = c10::IValue::make_capsule(std::move(holder));
    return out;
  }

  static tensor_list backward(AutogradContext* ctx, tensor_list grads) {
    auto x = ctx->get_saved_variables()[0];
    auto holder = c10::static_intrusive_pointer_cast<BlockHolder>(ctx->saved_data["block"].toCapsule());
    torch::Tensor input = x.detach().requires_grad_(x.requires_grad());
    torch::Tensor out;
    if (holder->hooks.before_rerun) holder->hooks.before_rerun();
    {
      torch::AutoGradMode grad_on(true);
      AutocastScope autocast(holder->cuda_autocast, holder->cuda_autocast_dtype);
      out = holder->block(input);
    }
    torch::autograd::backward({out}, {grads[0]});
    out = torch::Tensor();  // the re-run's graph (and its hold on the parameters) goes first
    if (holder->hooks.after_backward) holder->hooks.after_backward();
    return {input.requires_grad() ? input.grad() : torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor checkpointed(Block block, const torch::Tensor& x, CheckpointHooks hooks) {
  // Without a gradient flowing in through x the re-run could not be reached from the loss: run
  // the block normally then (its parameters still get gradients).
  if (!torch::GradMode::is_enabled() || !x.requires_grad()) return block(x);
  auto holder = c10::make_intrusive<BlockHolder>();
  holder->block = std::move(block);
  holder->hooks = std::move(hooks);
  holder->cuda_autocast = at::autocast::is_autocast_enabled(at::kCUDA);
  holder->cuda_autocast_dtype = at::autocast::get_autocast_dtype(at::kCUDA);
  return CheckpointFunction::apply(x, holder);
}

}  // namespace oqvl::model
