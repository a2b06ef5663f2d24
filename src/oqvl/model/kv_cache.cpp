#include "oqvl/model/kv_cache.h"

#include <algorithm>

#include "oqvl/core/error.h"

namespace oqvl::model {

using torch::indexing::Slice;

int64_t KVCache::batch_size() const {
  for (const auto& k : keys_)
    if (k.defined()) return k.size(0);
  return 0;
}

void KVCache::clear() {
  keys_.clear();
  values_.clear();
  length_ = 0;
  reserved_ = 0;
}

std::pair<torch::Tensor, torch::Tensor> KVCache::append(int64_t layer, const torch::Tensor& k,
                                                        const torch::Tensor& v) {
  if (layer < 0) fail("KV cache: negative layer index {}", layer);
  if (k.dim() != 4 || v.sizes() != k.sizes()) fail("KV cache: keys and values must both be [B, kv_heads, T, d]");
  if (static_cast<size_t>(layer) >= keys_.size()) {
    keys_.resize(layer + 1);
    values_.resize(layer + 1);
  }
  auto& K = keys_[layer];
  auto& V = values_[layer];
  const int64_t B = k.size(0), nkv = k.size(1), T = k.size(2), d = k.size(3);
  const int64_t need = length_ + T;
  if (K.defined() && (K.size(0) != B || K.size(1) != nkv || K.size(3) != d))
    fail("KV cache: layer {} holds [{}, {}, *, {}], new keys are [{}, {}, *, {}]", layer, K.size(0),
         K.size(1), K.size(3), B, nkv, d);
  if (!K.defined() || K.size(2) < need) {
    // Grow geometrically so appending one position per step costs amortized O(1) copies.
    const int64_t cap = std::max({need, reserved_, K.defined() ? 2 * K.size(2) : int64_t{0}});
    auto nk = torch::empty({B, nkv, cap, d}, k.options());
    auto nv = torch::empty({B, nkv, cap, d}, v.options());
    if (length_ > 0) {
      if (!K.defined()) fail("KV cache: layer {} has no entries but the cache length is {}", layer, length_);
      nk.index_put_({Slice(), Slice(), Slice(0, length_)}, K.index({Slice(), Slice(), Slice(0, length_)}));
      nv.index_put_({Slice(), Slice(), Slice(0, length_)}, V.index({Slice(), Slice(), Slice(0, length_)}));
    }
    K = nk;
    V = nv;
  }
  K.index_put_({Slice(), Slice(), Slice(length_, need)}, k);
  V.index_put_({Slice(), Slice(), Slice(length_, need)}, v);
  return {K.index({Slice(), Slice(), Slice(0, need)}), V.index({Slice(), Slice(), Slice(0, need)})};
}

void KVCache::commit(int64_t T) {
  for (size_t i = 0; i < keys_.size(); ++i)
    if (!keys_[i].defined() || keys_[i].size(2) < length_ + T)
      fail("KV cache: commit of {} positions but layer {} did not append them", T, i);
  length_ += T;
}

void KVCache::select(const torch::Tensor& rows, int64_t drop_front) {
  if (drop_front < 0 || drop_front > length_) fail("KV cache: cannot drop {} of {} positions", drop_front, length_);
  for (size_t i = 0; i < keys_.size(); ++i) {
    if (!keys_[i].defined()) continue;
    auto idx = rows.to(keys_[i].device(), torch::kInt64);
    // index_select copies, so the kept rows get fresh storage of the remaining length (+ room).
    keys_[i] = keys_[i].index_select(0, idx).narrow(2, drop_front, keys_[i].size(2) - drop_front);
    values_[i] = values_[i].index_select(0, idx).narrow(2, drop_front, values_[i].size(2) - drop_front);
  }
  length_ -= drop_front;
}

KVCache KVCache::broadcast(int64_t rows, int64_t capacity) const {
  if (rows < 1) fail("KV cache: broadcast to {} rows", rows);
  if (batch_size() != 1)
    fail("KV cache: broadcast needs a one-row cache, this one has {} rows", batch_size());
  KVCache out;
  out.length_ = length_;
  out.reserved_ = std::max({reserved_, capacity, length_});
  out.keys_.resize(keys_.size());
  out.values_.resize(values_.size());
  for (size_t i = 0; i < keys_.size(); ++i) {
    if (!keys_[i].defined()) continue;
    const auto& K = keys_[i];
    const int64_t nkv = K.size(1), d = K.size(3);
    auto nk = torch::empty({rows, nkv, out.reserved_, d}, K.options());
    auto nv = torch::empty({rows, nkv, out.reserved_, d}, values_[i].options());
    // expand() is a view (stride 0 over rows); copy_ writes every row's own storage.
    nk.narrow(2, 0, length_).copy_(K.narrow(2, 0, length_).expand({rows, nkv, length_, d}));
    nv.narrow(2, 0, length_).copy_(values_[i].narrow(2, 0, length_).expand({rows, nkv, length_, d}));
    out.keys_[i] = nk;
    out.values_[i] = nv;
  }
  return out;
}

}  // namespace oqvl::model
