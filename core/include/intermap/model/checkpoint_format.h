#pragma once
// Reading and writing model checkpoints WITHOUT LibTorch: PyTorch's zip/pickle format
// (torch.save since 1.6) and safetensors. This layer only parses bytes into raw tensor
// records, so it can be fuzzed alone; model/state_dict.h turns records into torch::Tensor.
//
// Safety: no code from a file is ever executed. The pickle reader understands only the opcodes
// that state-dict checkpoints use and only the globals listed in checkpoint_format.cpp;
// every other global becomes an inert placeholder that is never called. Every size, offset and
// count read from the file is checked against the file before anything is allocated.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace intermap::checkpoint {

enum class DType { Float32, Float64, Float16, BFloat16, Int64, Int32, Int16, Int8, UInt8, Bool };

const char* dtypeName(DType dtype);          // "float32", ...
std::size_t dtypeSize(DType dtype);          // bytes per element

// One storage: the raw little-endian bytes of a torch storage or a safetensors buffer.
// Shared because several tensors may view one storage (as in torch.save).
using StorageBytes = std::shared_ptr<const std::vector<std::uint8_t>>;

struct TensorRecord {
    std::string name;                 // state-dict key after prefix stripping
    DType dtype = DType::Float32;
    std::vector<std::int64_t> sizes;
    std::vector<std::int64_t> strides; // in elements
    std::int64_t storageOffset = 0;    // in elements
    StorageBytes storage;              // never null; offset/sizes/strides are checked to fit it
};

struct StateDictFile {
    std::string path;
    std::vector<TensorRecord> tensors; // in file order
    // Where the state dict was found: "" (top level), "model", "state_dict", "teacher", "student".
    std::string wrapperKey;
    // Names (module.qualname) of globals that were not on the allow-list and became inert
    // placeholders, e.g. "argparse.Namespace". Reported to the user, never executed.
    std::vector<std::string> placeholderGlobals;
    // Non-tensor entries that were dropped from the state dict (e.g. "epoch"), for messages.
    std::vector<std::string> ignoredEntries;
};

// Reads a PyTorch zip checkpoint (.pth/.pt/.bin/.ckpt) or a .safetensors file (chosen by
// content, not by extension). Keys lose a leading "module." and/or "backbone.".
// Throws intermap::CheckpointError (path + reason) on anything it cannot read: not a zip,
// truncated, corrupt, pre-1.6 legacy format (with advice to re-save), lying sizes, no tensors.
StateDictFile readStateDict(const std::string& path);

// The same from bytes in memory (`displayName` is used in messages). For tests and fuzzing.
StateDictFile readStateDictFromMemory(const std::vector<std::uint8_t>& bytes, const std::string& displayName);

// safetensors: write a name -> tensor map. Records may be any view that fits its storage (strides,
// offset); each is written compacted, row-major. Written atomically. Throws CheckpointError(path,
// ...) for duplicate/empty/"__metadata__" names or a view beyond its storage, intermap::Error if
// the file cannot be written.
void writeSafetensors(const std::string& path, const std::vector<TensorRecord>& tensors);

} // namespace intermap::checkpoint
