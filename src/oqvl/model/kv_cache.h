// Key/value cache for incremental decoding with the Qwen2 decoder (generate.h). Per layer it keeps
// the RoPE-rotated keys and the values [B, kv_heads, P, head_dim] of every position run so far,
// stored before the GQA head repeat (kv_heads, not num_heads, so it is rep times smaller).
//
// Storage is preallocated along P (reserve(), else grown by doubling) so a decoding step appends
// in place instead of copying the whole past.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <utility>
#include <vector>

namespace oqvl::model {

class KVCache {
 public:
  // Positions cached so far (the same for every layer between forward calls).
  int64_t length() const { return length_; }
  // Rows in the batch, 0 while empty.
  int64_t batch_size() const;
  // Room for at least `positions` positions per layer without growing (allocated on first append).
  void reserve(int64_t positions) { reserved_ = std::max(reserved_, positions); }
  void clear();

  // Writes layer `layer`'s new keys/values k, v [B, kv_heads, T, d] at positions
  // [length(), length()+T) and returns views of all of that layer's filled positions
  // [B, kv_heads, length()+T, d]. length() moves on only with commit(T), once every layer appended.
  std::pair<torch::Tensor, torch::Tensor> append(int64_t layer, const torch::Tensor& k, const torch::Tensor& v);
  void commit(int64_t T);

  // Keeps only batch rows `rows` ([R] int64, in that order) and drops the first `drop_front`
  // positions of every row (e.g. left padding no remaining row needs).
  void select(const torch::Tensor& rows, int64_t drop_front = 0);

  // A cache of `rows` rows, each a copy of this one-row cache's positions [0, length()), with
  // storage for max(length(), capacity) positions (so a prefix computed once - e.g. few-shot
  // demonstrations - serves a batch of continuations without re-running it; generate.h). The
  // copies are independent of this cache, which stays usable. oqvl::Error unless this cache has
  // exactly one row and rows >= 1.
  KVCache broadcast(int64_t rows, int64_t capacity = 0) const;

 private:
  std::vector<torch::Tensor> keys_, values_;  // per layer [B, kv_heads, capacity, d]
  int64_t length_ = 0;
  int64_t reserved_ = 0;
};

}  // namespace oqvl::model
