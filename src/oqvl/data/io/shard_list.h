// Shard lists: turn command-line shard specs into a list of shard paths.
//
// A spec is one of
//   data/00001.tar            a file (must exist)
//   data/{00000..01302}.tar   brace expansion like webdataset / the braceexpand package:
//                             numeric ranges keep zero padding ({00..10} -> 00 … 10), optional
//                             step {0..10..2}, descending ranges, letter ranges {a..e}, lists
//                             {a,b,c}, several and nested braces
//   data/*.tar                a glob (* ? [..]), sorted; after brace expansion
//   @shards.txt               a text file with one spec per line (blank lines and lines
//                             starting with '#' ignored); relative paths are taken as written,
//                             i.e. relative to the current folder, not to the list file
//   -                         standard input (a tar stream)
// A spec that matches no file is an error naming the spec.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace oqvl::data {

// Brace expansion only (no file system access), in braceexpand's order.
std::vector<std::string> expand_braces(std::string_view pattern);

// Expands specs into shard paths, in order (duplicates are kept: a spec lists what to read).
std::vector<std::string> expand_shard_specs(const std::vector<std::string>& specs);

}  // namespace oqvl::data
