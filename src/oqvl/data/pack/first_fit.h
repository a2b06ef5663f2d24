// First-fit-decreasing bin packing, as the Open-Qwen2VL packer does it (docs/recipe.md §3,
// `first_fit_decreasing_with_ids`): items sorted by length descending (stable: ties keep input
// order), each put into the first bin, in creation order, whose sum + length <= capacity, else
// into a new bin. An item longer than the capacity gets a new bin of its own that nothing else
// fits into (the reference's overfull bin).
//
// first_fit_decreasing finds "the first bin with room" in O(log bins) with a max-tree over the
// bins' remaining capacities; first_fit_decreasing_naive scans every bin with recomputed sums,
// O(n * bins) like the reference, and exists to check the fast one (identical assignments).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace oqvl::data {

// Bins in creation order; each holds item indices (into the input) in placement order, which is
// descending length.
using Bins = std::vector<std::vector<std::size_t>>;

// First-fit-decreasing of `lengths` into bins of `capacity`, O(n log n).
Bins first_fit_decreasing(const std::vector<std::uint32_t>& lengths, std::uint32_t capacity);

// The same assignment computed like the Python reference (sums recomputed per bin), O(n * bins).
Bins first_fit_decreasing_naive(const std::vector<std::uint32_t>& lengths, std::uint32_t capacity);

// Indices of `lengths` sorted by length descending, ties in input order.
std::vector<std::size_t> decreasing_order(const std::vector<std::uint32_t>& lengths);

}  // namespace oqvl::data
