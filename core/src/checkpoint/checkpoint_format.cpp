#include "intermap/model/checkpoint_format.h"

#include "intermap/util/errors.h"
#include "checkpoint/byte_source.h"
#include "checkpoint/pickle_reader.h"
#include "checkpoint/safetensors.h"
#include "checkpoint/tensor_extent.h"
#include "checkpoint/zip_archive.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

namespace intermap::checkpoint {

const char* dtypeName(DType dtype) {
    switch (dtype) {
    case DType::Float32: return "float32";
    case DType::Float64: return "float64";
    case DType::Float16: return "float16";
    case DType::BFloat16: return "bfloat16";
    case DType::Int64: return "int64";
    case DType::Int32: return "int32";
    case DType::Int16: return "int16";
    case DType::Int8: return "int8";
    case DType::UInt8: return "uint8";
    case DType::Bool: return "bool";
    }
    return "?";
}

std::size_t dtypeSize(DType dtype) {
    switch (dtype) {
    case DType::Float64:
    case DType::Int64: return 8;
    case DType::Float32:
    case DType::Int32: return 4;
    case DType::Float16:
    case DType::BFloat16:
    case DType::Int16: return 2;
    case DType::Int8:
    case DType::UInt8:
    case DType::Bool: return 1;
    }
    return 1;
}

namespace {

using detail::ByteSource;
using detail::PickleValue;
using Kind = PickleValue::Kind;

// Where training scripts put the model's state dict, in the order they are preferred: DINO keeps
// both networks and evaluates the teacher.
constexpr const char* kWrapperKeys[] = {"model", "state_dict", "teacher", "student"};
// Prefixes added by DataParallel/DistributedDataParallel and by self-supervised wrappers.
constexpr const char* kStrippedPrefixes[] = {"module.", "backbone."};

const char* const kResaveAdvice =
    "re-save it with PyTorch >= 1.6: python -c \"import torch; torch.save(torch.load('IN', map_location='cpu'), 'OUT')\"";

// torch.save before 1.6 starts with a pickled magic number: PROTO 2, LONG1 of 10 bytes holding
// 0x1950a86a20f9469cfc6c (torch/serialization.py, MAGIC_NUMBER).
constexpr std::uint8_t kLegacyMagic[] = {0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46,
                                         0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};

// Messages quote strings from the file; a hostile one can be megabytes long.
std::string shortened(const std::string& text) { return text.size() <= 80 ? text : text.substr(0, 77) + "..."; }

std::string describe(const PickleValue* value) {
    switch (value->kind) {
    case Kind::String: return "'" + shortened(value->text) + "'";
    case Kind::Int: return value->bigInteger ? "<big int>" : std::to_string(value->integer);
    case Kind::Bool: return value->boolean ? "True" : "False";
    case Kind::Global: return shortened(value->text);
    case Kind::Object: return "a placeholder " + shortened(value->text) + " object";
    case Kind::Dict: return std::string(value->ordered ? "an OrderedDict" : "a dict") + " of " +
                            std::to_string(value->entries.size()) + " entries";
    case Kind::Tensor: return "a tensor";
    default: return std::string("a ") + detail::pickleKindName(value->kind);
    }
}

std::string keyName(const PickleValue* key) { return key->kind == Kind::String ? key->text : describe(key); }

using Entries = std::vector<std::pair<const PickleValue*, const PickleValue*>>;

// A dict's entries with Python's semantics for repeated keys: the first position, the last value.
// Equal str keys and equal int/bool keys merge; other kinds never occur as real keys and are kept
// as they are. Each key value is hashed at most once (repeats of one memoized value are found by
// address), so the work stays linear in the pickle's size.
Entries mergedEntries(const PickleValue& dict) {
    Entries merged;
    std::unordered_map<const PickleValue*, std::size_t> byAddress;
    std::unordered_map<std::string_view, std::size_t> byText;
    std::unordered_map<std::int64_t, std::size_t> byInteger;
    for (const auto& [key, value] : dict.entries) {
        std::size_t* slot = nullptr;
        if (const auto it = byAddress.find(key); it != byAddress.end()) {
            slot = &it->second;
        } else if (key->kind == Kind::String) {
            slot = &byText.try_emplace(key->text, merged.size()).first->second;
        } else if ((key->kind == Kind::Int && !key->bigInteger) || key->kind == Kind::Bool) {
            const std::int64_t number = key->kind == Kind::Bool ? (key->boolean ? 1 : 0) : key->integer;
            slot = &byInteger.try_emplace(number, merged.size()).first->second;
        }
        if (slot && *slot < merged.size()) {
            merged[*slot].second = value;
        } else {
            if (slot)
                *slot = merged.size();
            merged.emplace_back(key, value);
        }
        if (slot)
            byAddress.emplace(key, *slot);
    }
    return merged;
}

bool holdsTensors(const PickleValue* value) {
    if (value->kind != Kind::Dict)
        return false;
    const Entries entries = mergedEntries(*value);
    return std::any_of(entries.begin(), entries.end(), [](const auto& entry) { return entry.second->kind == Kind::Tensor; });
}

std::string strippedName(const std::string& key) {
    std::string name = key;
    for (const char* prefix : kStrippedPrefixes) {
        const std::size_t length = std::strlen(prefix);
        if (name.size() > length && name.compare(0, length, prefix) == 0)
            name.erase(0, length);
    }
    return name;
}

// Renames the records (prefix stripping) and rejects names that collide afterwards.
void finishNames(const std::string& path, std::vector<detail::PendingTensor>& tensors) {
    std::unordered_map<std::string, std::string> originalOf;
    for (detail::PendingTensor& tensor : tensors) {
        TensorRecord& record = tensor.record;
        std::string name = strippedName(record.name);
        const auto [it, inserted] = originalOf.emplace(name, record.name);
        if (!inserted)
            throw CheckpointError(path, "keys '" + it->second + "' and '" + record.name + "' both become '" + name +
                                            "' once the 'module.'/'backbone.' prefixes are removed");
        record.name = std::move(name);
    }
}

// Reads the storages of the tensors the caller wants into `file.tensors`; lists the others.
void readChosenStorages(std::vector<detail::PendingTensor>& tensors, const UnreadTensorChooser& chooseUnread,
                        StateDictFile& file) {
    std::unordered_set<std::string> unread;
    if (chooseUnread) {
        std::vector<std::string> names;
        names.reserve(tensors.size());
        for (const detail::PendingTensor& tensor : tensors)
            names.push_back(tensor.record.name);
        for (std::string& name : chooseUnread(names))
            unread.insert(std::move(name));
    }
    file.tensors.reserve(tensors.size() - std::min(unread.size(), tensors.size()));
    for (detail::PendingTensor& tensor : tensors) {
        if (unread.count(tensor.record.name)) {
            file.unreadTensors.push_back(tensor.record.name);
            continue;
        }
        tensor.record.storage = tensor.read();
        file.tensors.push_back(std::move(tensor.record));
    }
}

class TorchZipReader {
public:
    explicit TorchZipReader(ByteSource& source) : m_source(source), m_archive(source) {}

    // The selected state dict's tensors, each checked against its storage's size; the storages are
    // read when asked, while this reader lives.
    std::vector<detail::PendingTensor> tensors(StateDictFile& file) {
        file.path = m_source.displayName();
        const detail::ZipEntry& pickleEntry = findDataPickle();
        checkByteOrder();

        const auto pickleBytes = m_archive.read(pickleEntry);
        detail::PickleReader pickle(m_source.displayName(), pickleEntry.name,
                                    [this](const std::string& key) { return storageEntry(key).uncompressedSize; });
        const PickleValue& top = pickle.parse(pickleBytes->data(), pickleBytes->size());
        file.placeholderGlobals = pickle.placeholderGlobals();

        const PickleValue* stateDict = selectStateDict(top, file);
        std::vector<detail::PendingTensor> tensors;
        for (const auto& [key, value] : mergedEntries(*stateDict)) {
            if (value->kind != Kind::Tensor) {
                file.ignoredEntries.push_back(keyName(key));
                continue;
            }
            if (key->kind != Kind::String)
                fail("the state dict has a tensor under a non-string key " + describe(key));
            tensors.push_back(pendingTensor(key->text, *value->tensorInfo));
        }
        return tensors;
    }

private:
    [[noreturn]] void fail(const std::string& reason) const { throw CheckpointError(m_source.displayName(), reason); }

    // torch.save names its entries <archive>/data.pkl, <archive>/data/<key>, <archive>/version...
    // where <archive> is the file's stem at save time, so any single top-level folder is accepted.
    const detail::ZipEntry& findDataPickle() {
        const detail::ZipEntry* found = nullptr;
        for (const detail::ZipEntry& entry : m_archive.entries()) {
            const std::string& name = entry.name;
            const bool topLevel = name == "data.pkl";
            const bool inFolder = name.size() > 9 && name.compare(name.size() - 9, 9, "/data.pkl") == 0 &&
                                  name.find('/') == name.size() - 9;
            if (!topLevel && !inFolder)
                continue;
            if (found)
                fail("the zip archive holds two pickles, '" + found->name + "' and '" + name +
                     "'; expected one torch.save archive");
            found = &entry;
        }
        if (!found) {
            std::string names;
            for (std::size_t i = 0; i < m_archive.entries().size() && i < 5; ++i)
                names += (i ? ", '" : "'") + m_archive.entries()[i].name + "'";
            fail("a zip archive but not a torch.save checkpoint: no '<name>/data.pkl' entry (found " +
                 (names.empty() ? std::string("no entries") : names) + ")");
        }
        m_prefix = found->name.substr(0, found->name.size() - 8);
        return *found;
    }

    // PyTorch >= 2.1 records the byte order of the storages; older versions wrote little-endian only.
    void checkByteOrder() {
        const detail::ZipEntry* entry = m_archive.find(m_prefix + "byteorder");
        if (!entry)
            return;
        if (entry->uncompressedSize > 16)
            fail("'" + entry->name + "' is " + std::to_string(entry->uncompressedSize) + " bytes; expected 'little'");
        const auto bytes = m_archive.read(*entry);
        const std::string order(bytes->data(), bytes->data() + bytes->size());
        if (order != "little")
            fail("storages are stored in '" + order + "' byte order; only little-endian checkpoints are supported");
    }

    const detail::ZipEntry& storageEntry(const std::string& key) {
        const std::string name = m_prefix + "data/" + key;
        const detail::ZipEntry* entry = m_archive.find(name);
        if (!entry)
            fail("storage " + key + " is referenced by the pickle but the archive has no entry '" + name + "'");
        return *entry;
    }

    const PickleValue* selectStateDict(const PickleValue& top, StateDictFile& file) {
        if (top.kind != Kind::Dict) {
            std::string hint;
            if (top.kind == Kind::Object)
                hint = " (torch.save(model) pickles the whole module; save model.state_dict() instead)";
            fail("expected a state dict (a dict of tensors) at the top of the checkpoint, found " + describe(&top) + hint);
        }
        const Entries entries = mergedEntries(top);
        for (const char* wrapper : kWrapperKeys) {
            for (const auto& [key, value] : entries) {
                if (key->kind == Kind::String && key->text == wrapper && holdsTensors(value)) {
                    file.wrapperKey = wrapper;
                    for (const auto& other : entries)
                        if (other.first != key)
                            file.ignoredEntries.push_back(keyName(other.first));
                    return value;
                }
            }
        }
        if (holdsTensors(&top))
            return &top;

        std::string contents;
        for (std::size_t i = 0; i < entries.size() && i < 8; ++i)
            contents += (i ? ", " : "") + shortened(keyName(entries[i].first)) + ": " + describe(entries[i].second);
        if (entries.size() > 8)
            contents += ", ...";
        std::string hint;
        if (m_archive.find(m_prefix + "constants.pkl"))
            hint = "; this is a TorchScript archive (torch.jit.save), which intermap does not read: save the "
                   "model's state_dict() with torch.save instead";
        fail("no tensors found: expected a state dict at the top level or under 'model', 'state_dict', 'teacher' "
             "or 'student', found " + describe(&top) + (contents.empty() ? "" : " {" + contents + "}") + hint);
    }

    detail::PendingTensor pendingTensor(const std::string& key, const detail::TensorInfo& tensor) {
        const detail::StorageInfo& storage = *tensor.storage->storageInfo;
        const std::uint64_t elementSize = dtypeSize(storage.dtype);
        const detail::TensorExtent extent = detail::tensorExtent(tensor.sizes, tensor.strides, tensor.storageOffset, elementSize);
        if (!extent.problem.empty())
            fail("tensor " + key + " " + extent.problem);
        if (detail::repeatsStoredValues(extent, tensor.storageOffset, elementSize))
            fail("tensor " + key + " with shape " + detail::shapeText(tensor.sizes) + " and strides " +
                 detail::shapeText(tensor.strides) + " repeats its stored values (a broadcast or overlapping view: " +
                 std::to_string(extent.numel) + " values from " +
                 std::to_string(extent.bytesNeeded / elementSize - static_cast<std::uint64_t>(tensor.storageOffset)) +
                 " stored); intermap reads only tensors stored whole (save t.contiguous())");
        // numel * element size <= the entry's size was checked when the persistent id was read.
        const std::uint64_t storageBytes = static_cast<std::uint64_t>(storage.numel) * elementSize;
        if (extent.bytesNeeded > storageBytes)
            fail("tensor " + key + " needs " + std::to_string(extent.bytesNeeded) + " bytes but its storage " +
                 storage.key + " holds " + std::to_string(storageBytes));

        TensorRecord record;
        record.name = key;
        record.dtype = storage.dtype;
        record.sizes = tensor.sizes;
        record.strides = tensor.strides;
        record.storageOffset = tensor.storageOffset;
        return {std::move(record), [this, storageKey = storage.key] { return loadStorage(storageKey); }};
    }

    // Several tensors may view one storage: read each storage once, straight into its own buffer.
    StorageBytes loadStorage(const std::string& key) {
        if (const auto it = m_storages.find(key); it != m_storages.end())
            return it->second;
        StorageBytes bytes = m_archive.read(storageEntry(key));
        m_storages.emplace(key, bytes);
        return bytes;
    }

    ByteSource& m_source;
    detail::ZipArchive m_archive;
    std::string m_prefix; // "<archive>/" or ""
    std::map<std::string, StorageBytes> m_storages;
};

std::string hexPrefix(const std::uint8_t* bytes, std::size_t count) {
    std::string text;
    char part[4];
    for (std::size_t i = 0; i < count; ++i) {
        std::snprintf(part, sizeof part, i ? " %02x" : "%02x", bytes[i]);
        text += part;
    }
    return text;
}

StateDictFile readFrom(ByteSource& source, const UnreadTensorChooser& chooseUnread) {
    const std::string& path = source.displayName();
    const std::uint64_t size = source.size();
    if (size == 0)
        throw CheckpointError(path, "empty file");
    std::uint8_t head[64];
    const std::size_t headSize = static_cast<std::size_t>(std::min<std::uint64_t>(size, sizeof head));
    source.read(0, headSize, head);

    StateDictFile file;
    file.path = path;
    std::optional<TorchZipReader> zipReader; // reads the storages, so it lives until they are read
    std::vector<detail::PendingTensor> tensors;
    const bool zip = headSize >= 4 && head[0] == 'P' && head[1] == 'K' &&
                     ((head[2] == 3 && head[3] == 4) || (head[2] == 5 && head[3] == 6));
    if (zip) {
        zipReader.emplace(source);
        tensors = zipReader->tensors(file);
    } else if (detail::looksLikeSafetensors(head, headSize)) {
        tensors = detail::safetensorsTensors(source);
    } else if (head[0] == 0x80) {
        const bool legacyMagic = headSize >= sizeof kLegacyMagic && std::memcmp(head, kLegacyMagic, sizeof kLegacyMagic) == 0;
        throw CheckpointError(path, std::string(legacyMagic ? "this is a legacy (pre-1.6) PyTorch checkpoint; "
                                                            : "this is a bare pickle or a legacy (pre-1.6) PyTorch "
                                                              "checkpoint; ") +
                                        kResaveAdvice);
    } else {
        const std::string text(reinterpret_cast<const char*>(head), headSize);
        if (text.rfind("version https://git-lfs", 0) == 0)
            throw CheckpointError(path, "this is a Git LFS pointer, not the checkpoint itself: run 'git lfs pull'");
        throw CheckpointError(path, "not a PyTorch zip checkpoint or safetensors file (it starts with bytes " +
                                        hexPrefix(head, std::min<std::size_t>(headSize, 8)) + ")");
    }
    if (tensors.empty())
        throw CheckpointError(path, zip ? "no tensors found in the state dict" : "the safetensors file holds no tensors");
    finishNames(path, tensors);
    readChosenStorages(tensors, chooseUnread, file);
    return file;
}

} // namespace

StateDictFile readStateDict(const std::string& path, const UnreadTensorChooser& chooseUnread) {
    detail::FileByteSource source(path);
    return readFrom(source, chooseUnread);
}

StateDictFile readStateDictFromMemory(const std::vector<std::uint8_t>& bytes, const std::string& displayName,
                                      const UnreadTensorChooser& chooseUnread) {
    detail::MemoryByteSource source(bytes, displayName);
    return readFrom(source, chooseUnread);
}

} // namespace intermap::checkpoint
