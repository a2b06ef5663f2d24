// Reading torch.save checkpoints whose payload is a tree of dicts (OrderedDicts) of tensors, e.g.
// Prismatic's {"model": {"projector": OrderedDict, "llm_backbone": OrderedDict}}.
//
// Only the zip format (PyTorch >= 1.6, what torch.save writes by default) is read. The file is
// memory-mapped and its pickle (data.pkl) is interpreted and checked by the torch-free reader of
// torch_save_pickle.h (the opcodes torch.save emits for dicts, tuples, scalars and tensors, under
// PickleLimits' default limits); each tensor is then a view of its
// storage record inside the map (torch.save stores records uncompressed and 64-byte aligned).
// Nothing is copied: the peak resident memory of a load is the pages actually touched, which the
// kernel can drop again (page cache), instead of the file bytes plus every tensor twice as with
// torch::pickle_load on a byte vector. The tensors are read-only: they must not be written in place
// (copy or cast them first). They keep the map alive.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "oqvl/model/io/safetensors.h"  // StateDict

namespace oqvl::model {

struct TorchSaveContents {
  // Every tensor of the tree, under its path of dict keys joined with '.': {"model":
  // {"projector": {"mlp_projector.0.weight": T}}} -> "model.projector.mlp_projector.0.weight".
  StateDict tensors;
  // Paths of leaves that are not tensors (numbers, strings, None, lists, other objects).
  std::vector<std::string> skipped;
};

// oqvl::Error for a missing file, the legacy (pre-1.6, non-zip) format, a truncated or corrupt
// archive, a pickle whose top level is not a dict or beyond PickleLimits, an unsupported storage
// type, a storage record of the wrong size or compressed; messages name the file (and the tensor where there is one).
TorchSaveContents load_torch_save(const std::filesystem::path& path);

}  // namespace oqvl::model
