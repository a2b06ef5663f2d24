// The output folder of `oqvl data pack`: how windows are named, and what makes a rerun in the
// same folder resume or refuse (docs/formats.md "Output folder"). Split from pack.cpp, which
// does the packing itself.
//
// Resuming: `{out}/pack-options.json` records pack_fingerprint at the first run; each window's
// `{stem}.stats.json` records it too, with the window's inputs and their byte sizes. A rerun
// with the same options skips complete windows; one that differs is refused (an oqvl::Error
// saying what differs, before anything is written) instead of mixing old and new windows.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "oqvl/data/pack/pack.h"

namespace oqvl::data {

// The output stem of each input shard (same order): its file name without `.tar` (dots
// become '_'), e.g. "00012" for "in/00012.tar". When shards in different folders share a file
// name ("cc3m/00000.tar", "cc12m/00000.tar"), each of them is prefixed by as many of its
// parent folder names (outermost first, joined by '_') as make the names unique:
// "cc3m_00000", "cc12m_00000". Depends only on the list (folders made absolute as written,
// symlinks not followed), so every job of a run derives the same names. Throws oqvl::Error if
// a shard is listed twice (however spelled) or two shards cannot get distinct names.
std::vector<std::string> pack_output_stems(const std::vector<std::string>& shards);

// The options that shape the packed bytes: the format version, context, image_tokens, window,
// store (+ resized_side and jpeg_quality when resized), decode_check, tokenizer. Not threads,
// job or skip_bad_shards: they do not change a complete window (rerunning with --skip-bad
// after a corrupt shard stopped the run is the expected fix).
nlohmann::json pack_fingerprint(const PackOptions& options);

// Byte sizes of the inputs (0 for "-" or an unreadable file): a cheap stand-in for a checksum,
// as filter's report uses; a shard replaced by another of the same name almost always differs.
std::vector<std::uint64_t> pack_input_bytes(const std::vector<std::string>& paths);

// The counts of window `stem` in `out` if an earlier run completed it (its tar and, written
// after it, its stats exist) with the same fingerprint, the same inputs (as written or the same
// file) and input sizes; nullopt if it must be packed (absent, or stats unreadable). Throws
// oqvl::Error if it was made differently: skipping it would mix, repacking it would undo part
// of that earlier run.
std::optional<PackStats> completed_pack_window(const std::filesystem::path& out, const std::string& stem,
                                               const std::vector<std::string>& inputs,
                                               const nlohmann::json& fingerprint);

// Checks `fingerprint` against `out/pack-options.json` (throws oqvl::Error naming the options
// that differ); with `create`, first creates that file if absent. Created atomically, so of
// jobs starting together one creates it and the others compare.
void claim_pack_folder(const std::filesystem::path& out, const nlohmann::json& fingerprint, bool create);

}  // namespace oqvl::data
