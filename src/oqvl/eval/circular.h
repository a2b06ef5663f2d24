// MMBench's circular evaluation: each question is asked once per rotation of its options
// (A B C D, B C D A, ...), and counts as right only when every rotation is answered right.
// MMBench's circular TSVs hold the rotations as rows whose numeric index equals the original's
// plus a multiple of 1,000,000; make_circular builds them for any multiple-choice benchmark.
#pragma once

#include <string>
#include <vector>

#include "oqvl/eval/benchmark.h"

namespace oqvl::eval {

inline constexpr long long kCircularStride = 1'000'000;

// The question an item is a rotation of: extra["circular_of"] when set (make_circular),
// else a numeric index modulo 1,000,000, else the index itself.
std::string circular_key(const McItem& item);

// Rotation `shift` of an item's options: option letter i gets the text of option
// (i + shift) mod n, and the answer letter moves with its text. The index becomes
// index + shift * 1,000,000 when numeric (MMBench's convention), else "index#shift";
// extra["circular_of"] = the original index, extra["rotation"] = shift.
McItem rotate_options(const McItem& item, int shift);

// Every item followed by its n-1 further rotations (n = its option count); free-form items
// are kept once. Rotation 0 is the item itself (with circular_of set).
std::vector<McItem> make_circular(const std::vector<McItem>& items);

}  // namespace oqvl::eval
