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
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace intermap::checkpoint {

enum class DType { Float32, Float64, Float16, BFloat16, Int64, Int32, Int16, Int8, UInt8, Bool };

const char* dtypeName(DType dtype);          // "float32", ...
std::size_t dtypeSize(DType dtype);          // bytes per element

// The raw little-endian bytes of one torch storage or safetensors buffer, allocated without
// being zeroed (the file's bytes are read straight into it) and, when large, in transparent huge
// pages: reading a 343 MB checkpoint then costs one copy from the page cache, not a zero fill,
// ~84 000 page faults and the copy (storage_buffer.cpp).
class StorageBuffer {
public:
    explicit StorageBuffer(std::size_t size); // contents undefined until written
    StorageBuffer(const std::uint8_t* first, const std::uint8_t* last); // a copy of [first, last)
    ~StorageBuffer();
    StorageBuffer(const StorageBuffer&) = delete;
    StorageBuffer& operator=(const StorageBuffer&) = delete;

    std::uint8_t* data() { return m_data; }
    const std::uint8_t* data() const { return m_data; }
    std::size_t size() const { return m_size; }
    const std::uint8_t& operator[](std::size_t index) const { return m_data[index]; }

private:
    std::uint8_t* m_data = nullptr;
    std::size_t m_size = 0;
    void* m_mapping = nullptr; // the anonymous mapping holding large buffers (null: operator new[])
    std::size_t m_mappingSize = 0;
};

// One storage, shared because several tensors may view one storage (as in torch.save).
using StorageBytes = std::shared_ptr<const StorageBuffer>;

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
    // Tensors of the state dict left unread at the caller's choice (UnreadTensorChooser), in file order.
    std::vector<std::string> unreadTensors;
};

// Chooses, from the names of every tensor in the selected state dict (prefixes stripped, in file
// order), those not to read: a model family's unused tensors (MONAI's cross-attention, a Hugging
// Face pooler). Their bytes are neither read nor allocated, so they cost nothing and cannot
// exhaust memory; their names go to StateDictFile::unreadTensors. Names it returns that are not in
// the list are ignored.
using UnreadTensorChooser = std::function<std::vector<std::string>(const std::vector<std::string>& names)>;

// Reads a PyTorch zip checkpoint (.pth/.pt/.bin/.ckpt) or a .safetensors file (chosen by
// content, not by extension). Keys lose a leading "module." and/or "backbone.".
// Throws intermap::CheckpointError (path + reason) on anything it cannot read: not a zip,
// truncated, corrupt, pre-1.6 legacy format (with advice to re-save), lying sizes, no tensors.
// Every tensor's record is checked before any storage is read; `chooseUnread` (optional) then
// picks the tensors whose storages are not read at all.
StateDictFile readStateDict(const std::string& path, const UnreadTensorChooser& chooseUnread = {});

// The same from bytes in memory (`displayName` is used in messages). For tests and fuzzing.
StateDictFile readStateDictFromMemory(const std::vector<std::uint8_t>& bytes, const std::string& displayName,
                                      const UnreadTensorChooser& chooseUnread = {});

// safetensors: write a name -> tensor map. Records may be any view that fits its storage (strides,
// offset); each is written compacted, row-major. Written atomically. Throws CheckpointError(path,
// ...) for duplicate/empty/"__metadata__" names or a view beyond its storage, intermap::Error if
// the file cannot be written.
void writeSafetensors(const std::string& path, const std::vector<TensorRecord>& tensors);

} // namespace intermap::checkpoint
