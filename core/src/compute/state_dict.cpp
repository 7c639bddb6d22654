#include "intermap/model/state_dict.h"
#include "intermap/model/checkpoint_format.h"

#include "intermap/util/atomic_file.h"
#include "intermap/util/errors.h"

#include <torch/serialize.h>
#include <torch/torch.h>

namespace intermap::model {
namespace {

torch::ScalarType torchScalarType(checkpoint::DType dtype) {
    using checkpoint::DType;
    switch (dtype) {
    case DType::Float32: return torch::kFloat32;
    case DType::Float64: return torch::kFloat64;
    case DType::Float16: return torch::kFloat16;
    case DType::BFloat16: return torch::kBFloat16;
    case DType::Int64: return torch::kInt64;
    case DType::Int32: return torch::kInt32;
    case DType::Int16: return torch::kInt16;
    case DType::Int8: return torch::kInt8;
    case DType::UInt8: return torch::kUInt8;
    case DType::Bool: return torch::kBool;
    }
    throw Error("unknown checkpoint dtype");
}

} // namespace

const torch::Tensor* StateDict::find(const std::string& name) const {
    for (const auto& [key, tensor] : entries)
        if (key == name)
            return &tensor;
    return nullptr;
}

torch::Tensor toTensor(const checkpoint::TensorRecord& record, bool keepFileDtype) {
    const auto scalarType = torchScalarType(record.dtype);
    const auto elementSize = static_cast<std::int64_t>(checkpoint::dtypeSize(record.dtype));
    const auto storageElements = static_cast<std::int64_t>(record.storage->size()) / elementSize;
    // The parser already checked that offset/sizes/strides fit the storage. The lambda keeps the
    // shared byte buffer alive as long as any tensor views it: no copy for float32 files.
    auto keepAlive = record.storage;
    auto* data = const_cast<std::uint8_t*>(record.storage->data());
    torch::Tensor whole = torch::from_blob(
        data, {storageElements}, [keepAlive](void*) mutable { keepAlive.reset(); },
        torch::TensorOptions().dtype(scalarType));
    torch::Tensor view = whole.as_strided(record.sizes, record.strides, record.storageOffset);
    if (!keepFileDtype && scalarType != torch::kFloat32 && torch::isFloatingType(scalarType))
        return view.to(torch::kFloat32).contiguous();
    return view;
}

StateDict loadStateDict(const std::string& path, bool keepFileDtype,
                        const std::function<std::vector<std::string>(const std::vector<std::string>&)>& chooseUnread) {
    checkpoint::StateDictFile file = checkpoint::readStateDict(path, chooseUnread);
    StateDict result;
    result.sourcePath = path;
    result.placeholderGlobals = std::move(file.placeholderGlobals);
    result.wrapperKey = std::move(file.wrapperKey);
    result.ignoredEntries = std::move(file.ignoredEntries);
    result.unreadKeys = std::move(file.unreadTensors);
    result.entries.reserve(file.tensors.size());
    for (const auto& record : file.tensors)
        result.entries.emplace_back(record.name, toTensor(record, keepFileDtype));
    return result;
}

void saveStateDict(const std::string& path, const std::vector<std::pair<std::string, torch::Tensor>>& entries) {
    c10::Dict<std::string, at::Tensor> dict;
    for (const auto& [name, tensor] : entries)
        dict.insert(name, tensor.detach().to(torch::kCPU).contiguous());
    // torch::pickle_save writes the same zip layout as Python's torch.save (archive/data.pkl +
    // archive/data/<id>), which torch.load reads as a plain dict of tensors.
    const std::vector<char> bytes = torch::pickle_save(c10::IValue(dict));
    writeFileAtomically(path, std::string_view(bytes.data(), bytes.size()));
}

} // namespace intermap::model
