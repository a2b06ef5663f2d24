#include "oqvl/data/pack/first_fit.h"

#include <algorithm>
#include <numeric>

namespace oqvl::data {

std::vector<std::size_t> decreasing_order(const std::vector<std::uint32_t>& lengths) {
  std::vector<std::size_t> order(lengths.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return lengths[a] > lengths[b]; });
  return order;
}

namespace {

// A max-tree over the remaining capacity of n_leaves bins. Bins not opened yet have the full
// capacity, so "the leftmost leaf with room" is either an open bin or the next bin to open —
// exactly first fit, with no special case for opening.
class RoomTree {
 public:
  RoomTree(std::size_t bins, std::uint32_t capacity) {
    size_ = 1;
    while (size_ < bins) size_ *= 2;
    room_.assign(2 * size_, capacity);
  }
  // The leftmost leaf with room >= need (the root must have it).
  std::size_t leftmost_with(std::uint32_t need) const {
    std::size_t node = 1;
    while (node < size_) node = room_[2 * node] >= need ? 2 * node : 2 * node + 1;
    return node - size_;
  }
  std::uint32_t room(std::size_t leaf) const { return room_[size_ + leaf]; }
  void set(std::size_t leaf, std::uint32_t room) {
    std::size_t node = size_ + leaf;
    room_[node] = room;
    for (node /= 2; node >= 1; node /= 2) room_[node] = std::max(room_[2 * node], room_[2 * node + 1]);
  }

 private:
  std::size_t size_ = 1;
  std::vector<std::uint32_t> room_;
};

}  // namespace

Bins first_fit_decreasing(const std::vector<std::uint32_t>& lengths, std::uint32_t capacity) {
  Bins bins;
  if (lengths.empty()) return bins;
  RoomTree tree(lengths.size(), capacity);  // at most one bin per item
  for (std::size_t item : decreasing_order(lengths)) {
    std::uint32_t len = lengths[item];
    std::size_t bin;
    if (len > capacity) {
      // Nothing fits into an overfull bin: it has no room left at all.
      bin = bins.size();
      tree.set(bin, 0);
    } else {
      bin = tree.leftmost_with(len);
      tree.set(bin, tree.room(bin) - len);
    }
    if (bin == bins.size()) bins.emplace_back();
    bins[bin].push_back(item);
  }
  return bins;
}

Bins first_fit_decreasing_naive(const std::vector<std::uint32_t>& lengths, std::uint32_t capacity) {
  Bins bins;
  for (std::size_t item : decreasing_order(lengths)) {
    bool placed = false;
    for (auto& bin : bins) {
      std::uint64_t sum = 0;
      for (std::size_t i : bin) sum += lengths[i];
      if (sum + lengths[item] <= capacity) {
        bin.push_back(item);
        placed = true;
        break;
      }
    }
    if (!placed) bins.push_back({item});
  }
  return bins;
}

}  // namespace oqvl::data
