#pragma once
// State dicts as LibTorch tensors: the bridge between the LibTorch-free checkpoint parser
// (checkpoint_format.h) and the model. Storages are wrapped without copying when the file's
// dtype is already float32 and the layout is dense; otherwise they are converted once.

#include <torch/types.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace intermap::checkpoint {
struct TensorRecord;
}

namespace intermap::model {

// Ordered name -> tensor list (order as in the file). Tensors are CPU, float32 unless
// `keepFileDtype` was asked for.
struct StateDict {
    std::string sourcePath;
    std::vector<std::pair<std::string, torch::Tensor>> entries;
    std::vector<std::string> placeholderGlobals; // see checkpoint::StateDictFile
    std::string wrapperKey;
    std::vector<std::string> ignoredEntries; // non-tensor entries beside the state dict (e.g. "epoch")
    std::vector<std::string> unreadKeys;     // tensors in the file left unread (loadStateDict's chooseUnread)

    const torch::Tensor* find(const std::string& name) const;
    bool contains(const std::string& name) const { return find(name) != nullptr; }
};

// Converts one raw record into a tensor (zero-copy view of the storage where possible; the
// returned tensor keeps the storage alive). `keepFileDtype` = false converts to float32.
torch::Tensor toTensor(const checkpoint::TensorRecord& record, bool keepFileDtype = false);

// Reads a checkpoint (PyTorch zip or safetensors) into float32 CPU tensors. `chooseUnread` picks,
// from every tensor name, those whose bytes are not read (checkpoint::UnreadTensorChooser).
StateDict loadStateDict(const std::string& path, bool keepFileDtype = false,
                        const std::function<std::vector<std::string>(const std::vector<std::string>&)>& chooseUnread = {});

// Writes name -> tensor atomically in PyTorch's zip format (readable by Python's torch.load
// and by loadStateDict). Tensors are saved on the CPU, contiguous, in their own dtype.
void saveStateDict(const std::string& path, const std::vector<std::pair<std::string, torch::Tensor>>& entries);

} // namespace intermap::model
