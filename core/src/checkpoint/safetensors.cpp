#include "checkpoint/safetensors.h"

#include "intermap/util/atomic_file.h"
#include "intermap/util/byte_order.h"
#include "intermap/util/errors.h"
#include "checkpoint/tensor_extent.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <limits>
#include <map>
#include <set>
#include <string>

namespace intermap::checkpoint {
namespace detail {
namespace {

constexpr std::uint64_t kMaxHeaderBytes = 100ull * 1024 * 1024; // the limit the reference library uses
constexpr int kMaxJsonDepth = 64;                              // real headers nest 3 deep
constexpr std::size_t kMaxDims = 64;

struct SafetensorsDtype {
    const char* code;
    DType dtype;
};

constexpr SafetensorsDtype kDtypes[] = {
    {"F32", DType::Float32}, {"F64", DType::Float64}, {"F16", DType::Float16}, {"BF16", DType::BFloat16},
    {"I64", DType::Int64},   {"I32", DType::Int32},   {"I16", DType::Int16},   {"I8", DType::Int8},
    {"U8", DType::UInt8},    {"BOOL", DType::Bool},
};

const char* safetensorsCode(DType dtype) {
    for (const SafetensorsDtype& entry : kDtypes)
        if (entry.dtype == dtype)
            return entry.code;
    return "?";
}

// nlohmann's parser keeps its own stack, but a cheap pre-scan turns a pathological nesting depth
// into a clear message instead of a large allocation.
int maxNesting(const std::string& text) {
    int depth = 0;
    int deepest = 0;
    bool inString = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (inString) {
            if (c == '\\')
                ++i;
            else if (c == '"')
                inString = false;
        } else if (c == '"') {
            inString = true;
        } else if (c == '{' || c == '[') {
            deepest = std::max(deepest, ++depth);
        } else if (c == '}' || c == ']') {
            --depth;
        }
    }
    return deepest;
}

std::vector<std::int64_t> readShape(const std::string& path, const std::string& name, const nlohmann::json& shape) {
    if (!shape.is_array())
        throw CheckpointError(path, "safetensors tensor '" + name + "': \"shape\" must be an array, found " + shape.type_name());
    if (shape.size() > kMaxDims)
        throw CheckpointError(path, "safetensors tensor '" + name + "' has " + std::to_string(shape.size()) +
                                        " dimensions; at most 64 are supported");
    std::vector<std::int64_t> sizes;
    for (const nlohmann::json& dim : shape) {
        if (!dim.is_number_integer() || (dim.is_number_unsigned() ? dim.get<std::uint64_t>() > std::uint64_t{1} << 62
                                                                  : dim.get<std::int64_t>() < 0))
            throw CheckpointError(path, "safetensors tensor '" + name + "': shape entries must be non-negative integers, found " +
                                            dim.dump());
        sizes.push_back(dim.get<std::int64_t>());
    }
    return sizes;
}

} // namespace

bool looksLikeSafetensors(const std::uint8_t* head, std::size_t headSize) {
    return headSize >= 9 && head[8] == '{';
}

std::vector<PendingTensor> safetensorsTensors(ByteSource& source) {
    const std::string& path = source.displayName();
    const std::uint64_t fileSize = source.size();
    std::uint8_t lengthField[8];
    source.read(0, sizeof lengthField, lengthField);
    const std::uint64_t headerLength = util::loadLittleEndian(lengthField, sizeof lengthField);
    if (headerLength > kMaxHeaderBytes)
        throw CheckpointError(path, "safetensors header of " + std::to_string(headerLength) +
                                        " bytes exceeds the 100 MB limit");
    if (headerLength > fileSize - 8)
        throw CheckpointError(path, "truncated safetensors file: the header declares " + std::to_string(headerLength) +
                                        " bytes but only " + std::to_string(fileSize - 8) + " follow the length field");
    std::string headerText(static_cast<std::size_t>(headerLength), '\0');
    source.read(8, headerText.size(), reinterpret_cast<std::uint8_t*>(headerText.data()));
    if (maxNesting(headerText) > kMaxJsonDepth)
        throw CheckpointError(path, "safetensors header nests JSON deeper than 64 levels");

    nlohmann::json header;
    try {
        header = nlohmann::json::parse(headerText);
    } catch (const nlohmann::json::exception& error) {
        throw CheckpointError(path, std::string("safetensors header is not valid JSON: ") + error.what());
    }
    if (!header.is_object())
        throw CheckpointError(path, std::string("safetensors header must be a JSON object, found ") + header.type_name());

    const std::uint64_t dataStart = 8 + headerLength;
    const std::uint64_t dataSize = fileSize - dataStart;
    struct Pending {
        TensorRecord record;
        std::uint64_t begin = 0;
        std::uint64_t end = 0;
    };
    std::vector<Pending> pending;
    std::uint64_t totalBytes = 0;
    for (const auto& [name, info] : header.items()) {
        if (name == "__metadata__")
            continue; // free-form string map; nothing intermap needs
        const std::string what = "safetensors tensor '" + name + "'";
        if (!info.is_object())
            throw CheckpointError(path, what + " must be a JSON object, found " + info.type_name());
        const auto dtypeIt = info.find("dtype");
        const auto shapeIt = info.find("shape");
        const auto offsetsIt = info.find("data_offsets");
        if (dtypeIt == info.end() || shapeIt == info.end() || offsetsIt == info.end())
            throw CheckpointError(path, what + " lacks \"dtype\", \"shape\" or \"data_offsets\"");
        if (!dtypeIt->is_string())
            throw CheckpointError(path, what + ": \"dtype\" must be a string, found " + dtypeIt->dump());
        const std::string code = dtypeIt->get<std::string>();
        const auto dtype = std::find_if(std::begin(kDtypes), std::end(kDtypes),
                                        [&](const SafetensorsDtype& entry) { return code == entry.code; });
        if (dtype == std::end(kDtypes))
            throw CheckpointError(path, what + " has unsupported dtype '" + code +
                                            "' (supported: F32, F64, F16, BF16, I64, I32, I16, I8, U8, BOOL)");
        const nlohmann::json& offsets = *offsetsIt;
        if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
            !offsets[1].is_number_unsigned())
            throw CheckpointError(path, what + ": \"data_offsets\" must be two non-negative integers, found " +
                                            offsets.dump());

        Pending tensor;
        tensor.record.name = name;
        tensor.record.dtype = dtype->dtype;
        tensor.record.sizes = readShape(path, name, *shapeIt);
        tensor.begin = offsets[0].get<std::uint64_t>();
        tensor.end = offsets[1].get<std::uint64_t>();
        if (tensor.begin > tensor.end || tensor.end > dataSize)
            throw CheckpointError(path, what + " has data_offsets [" + std::to_string(tensor.begin) + ", " +
                                            std::to_string(tensor.end) + "] outside the " + std::to_string(dataSize) +
                                            "-byte data buffer");
        // Row-major strides of a dense tensor. Their largest is the product of the other sizes
        // (zeros counted as one), which must fit before it is computed.
        std::uint64_t span = 1;
        for (const std::int64_t size : tensor.record.sizes)
            if (multiplyOverflows(span, static_cast<std::uint64_t>(std::max<std::int64_t>(size, 1)), span) ||
                span > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
                throw CheckpointError(path, what + " with shape " + shapeText(tensor.record.sizes) +
                                                " reaches beyond any addressable storage");
        tensor.record.strides.assign(tensor.record.sizes.size(), 1);
        for (std::size_t d = tensor.record.sizes.size(); d-- > 1;)
            tensor.record.strides[d - 1] = tensor.record.strides[d] * std::max<std::int64_t>(tensor.record.sizes[d], 1);
        const TensorExtent extent =
            tensorExtent(tensor.record.sizes, tensor.record.strides, 0, dtypeSize(tensor.record.dtype));
        std::uint64_t denseBytes = 0;
        if (!extent.problem.empty() || multiplyOverflows(extent.numel, dtypeSize(tensor.record.dtype), denseBytes))
            throw CheckpointError(path, what + " " + (extent.problem.empty() ? "is too large" : extent.problem));
        if (denseBytes != tensor.end - tensor.begin)
            throw CheckpointError(path, what + " has shape " + shapeText(tensor.record.sizes) + " of " + code + " (" +
                                            std::to_string(denseBytes) + " bytes) but its data_offsets span " +
                                            std::to_string(tensor.end - tensor.begin) + " bytes");
        // Valid files never overlap tensors; refusing overlap bounds what a small file can make us allocate.
        if (addOverflows(totalBytes, denseBytes, totalBytes) || totalBytes > dataSize)
            throw CheckpointError(path, "safetensors tensors overlap: their sizes add up to more than the " +
                                            std::to_string(dataSize) + "-byte data buffer");
        pending.push_back(std::move(tensor));
    }

    std::stable_sort(pending.begin(), pending.end(), [](const Pending& a, const Pending& b) { return a.begin < b.begin; });
    std::vector<PendingTensor> tensors;
    tensors.reserve(pending.size());
    for (Pending& tensor : pending) {
        const std::uint64_t begin = dataStart + tensor.begin;
        const auto size = static_cast<std::size_t>(tensor.end - tensor.begin);
        tensors.push_back({std::move(tensor.record), [&source, begin, size]() -> StorageBytes {
                               auto bytes = std::make_shared<StorageBuffer>(size);
                               source.read(begin, size, bytes->data());
                               return bytes;
                           }});
    }
    return tensors;
}

} // namespace detail

namespace {

bool isRowMajorContiguous(const TensorRecord& record) {
    std::int64_t expected = 1;
    for (std::size_t d = record.sizes.size(); d-- > 0;) {
        if (record.sizes[d] != 1 && record.strides[d] != expected)
            return false;
        expected *= record.sizes[d];
    }
    return true;
}

// Writes the elements of a strided view in row-major order, in pieces of at most ~1 MiB.
void writeCompacted(std::ostream& out, const TensorRecord& record, std::uint64_t numel) {
    if (numel == 0)
        return;
    const std::size_t elementSize = dtypeSize(record.dtype);
    const std::uint8_t* base = record.storage->data() + static_cast<std::size_t>(record.storageOffset) * elementSize;
    if (isRowMajorContiguous(record)) {
        out.write(reinterpret_cast<const char*>(base), static_cast<std::streamsize>(numel * elementSize));
        return;
    }
    const std::size_t dims = record.sizes.size();
    std::vector<std::int64_t> index(dims, 0);
    std::vector<std::uint8_t> buffer;
    buffer.reserve(std::min<std::uint64_t>(numel * elementSize, 1u << 20));
    for (std::uint64_t n = 0; n < numel; ++n) {
        std::int64_t element = 0;
        for (std::size_t d = 0; d < dims; ++d)
            element += index[d] * record.strides[d];
        const std::uint8_t* source = base + static_cast<std::size_t>(element) * elementSize;
        buffer.insert(buffer.end(), source, source + elementSize);
        if (buffer.size() >= (1u << 20)) {
            out.write(reinterpret_cast<const char*>(buffer.data()), static_cast<std::streamsize>(buffer.size()));
            buffer.clear();
        }
        for (std::size_t d = dims; d-- > 0;) { // odometer increment, last dimension fastest
            if (++index[d] < record.sizes[d])
                break;
            index[d] = 0;
        }
    }
    out.write(reinterpret_cast<const char*>(buffer.data()), static_cast<std::streamsize>(buffer.size()));
}

} // namespace

void writeSafetensors(const std::string& path, const std::vector<TensorRecord>& tensors) {
    nlohmann::json header = nlohmann::json::object();
    header["__metadata__"] = {{"format", "pt"}}; // what safetensors.torch writes; transformers checks it
    std::set<std::string> names;
    std::vector<std::uint64_t> numels;
    std::uint64_t offset = 0;
    for (const TensorRecord& record : tensors) {
        if (record.name.empty() || record.name == "__metadata__")
            throw CheckpointError(path, "cannot write a tensor named '" + record.name + "' to safetensors");
        if (!names.insert(record.name).second)
            throw CheckpointError(path, "cannot write two tensors named '" + record.name + "'");
        if (!record.storage)
            throw CheckpointError(path, "tensor " + record.name + " has no storage");
        const std::uint64_t elementSize = dtypeSize(record.dtype);
        const detail::TensorExtent extent = detail::tensorExtent(record.sizes, record.strides, record.storageOffset, elementSize);
        if (!extent.problem.empty())
            throw CheckpointError(path, "tensor " + record.name + " " + extent.problem);
        if (extent.bytesNeeded > record.storage->size())
            throw CheckpointError(path, "tensor " + record.name + " needs " + std::to_string(extent.bytesNeeded) +
                                            " bytes but its storage holds " + std::to_string(record.storage->size()));
        const std::uint64_t bytes = extent.numel * elementSize;
        nlohmann::json shape = nlohmann::json::array();
        for (std::int64_t size : record.sizes)
            shape.push_back(size);
        header[record.name] = {{"dtype", detail::safetensorsCode(record.dtype)},
                               {"shape", std::move(shape)},
                               {"data_offsets", {offset, offset + bytes}}};
        offset += bytes;
        numels.push_back(extent.numel);
    }
    std::string headerText = header.dump();
    // The data buffer must start 8-byte aligned; the format allows trailing spaces in the header.
    headerText.append((8 - headerText.size() % 8) % 8, ' ');
    writeFileAtomically(path, [&](std::ostream& out) {
        std::uint8_t lengthField[8];
        std::uint64_t length = headerText.size();
        for (std::uint8_t& byte : lengthField) {
            byte = static_cast<std::uint8_t>(length & 0xff);
            length >>= 8;
        }
        out.write(reinterpret_cast<const char*>(lengthField), sizeof lengthField);
        out.write(headerText.data(), static_cast<std::streamsize>(headerText.size()));
        for (std::size_t i = 0; i < tensors.size(); ++i)
            writeCompacted(out, tensors[i], numels[i]);
    });
}

} // namespace intermap::checkpoint
