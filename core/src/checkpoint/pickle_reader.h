#pragma once
// A pickle interpreter that only builds data and never calls anything. It understands the
// opcodes torch.save uses for state dicts (protocol 2, plus a few harmless protocol 3/4 ones) and
// gives meaning to a short allow-list of globals: collections.OrderedDict, the torch tensor and
// parameter rebuild functions and the typed storage classes. Every other global (os.system,
// argparse.Namespace, numpy scalars, ...) becomes an inert placeholder whose "calls" are recorded
// as data and never run. Private to intermap_checkpoint.
//
// Resource bounds: parsing is a loop, not a recursion, so nested containers cannot exhaust the C
// stack. Every value is created by an opcode that consumed input, no opcode copies a container
// (so memory stays linear in the pickle's size), and the value count, stack, mark stack and memo
// carry explicit caps besides. Values live in an arena owned by the reader, so reference cycles
// (legal in pickle) cannot leak.
#include "intermap/model/checkpoint_format.h"

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace intermap::checkpoint::detail {

struct PickleValue;

// What an allow-listed global means; everything else is a Placeholder.
enum class GlobalRole {
    Placeholder,
    OrderedDict,
    RebuildTensorV2,
    RebuildParameter,
    RebuildParameterWithState,
    StorageType,
    RestoreTypeTag // torch.jit._pickle.restore_type_tag(value, type): LibTorch's torch::pickle_save
};

struct StorageInfo {
    DType dtype = DType::Float32;
    std::string key;      // the archive entry is <prefix>/data/<key>
    std::string location; // "cpu", "cuda:0", ... (informational)
    std::int64_t numel = 0;
    std::uint64_t entryBytes = 0; // size of the archive entry, checked >= numel * element size
};

// A view of a storage, in elements. Sign and extent are checked when the tensor is taken into a
// state dict, where its name is known for the message.
struct TensorInfo {
    const PickleValue* storage = nullptr; // Kind::Storage
    std::int64_t storageOffset = 0;
    std::vector<std::int64_t> sizes;
    std::vector<std::int64_t> strides;
};

struct PickleValue {
    enum class Kind {
        None,
        Bool,
        Int,     // `integer`; `bigInteger` marks a LONG1/LONG4 wider than 64 bits (value unknown)
        Float,
        String,  // BINUNICODE and Python 2 BINSTRING
        Bytes,
        Tuple,
        List,    // also sets and frozensets (protocol 4), which are only ever skipped
        Dict,    // `entries` in insertion order; `ordered` says it was a collections.OrderedDict
        Global,  // `text` = "module.name", `role` says what it means
        Object,  // the inert result of calling a placeholder: `text` = callee, `arguments`, `state`
        Storage, // `storageInfo`
        Tensor,  // `tensorInfo`
    };

    Kind kind = Kind::None;
    bool boolean = false;
    bool bigInteger = false;
    bool ordered = false;
    GlobalRole role = GlobalRole::Placeholder;
    DType storageDtype = DType::Float32; // Global with role StorageType
    std::int64_t integer = 0;
    double floating = 0.0;
    std::string text;
    std::vector<PickleValue*> items;                           // Tuple, List
    // Dict: every SETITEM in order, a repeated key included. Merging equal keys (Python's
    // semantics) is left to the few dicts intermap actually looks into, so that a hostile pickle
    // cannot make the reader hash one huge memoized key for every SETITEM.
    std::vector<std::pair<PickleValue*, PickleValue*>> entries;
    const PickleValue* arguments = nullptr; // Object: the tuple it was "called" with (never used)
    const PickleValue* state = nullptr;     // Object: its BUILD state (never used)
    std::unique_ptr<StorageInfo> storageInfo;
    std::unique_ptr<TensorInfo> tensorInfo;
};

const char* pickleKindName(PickleValue::Kind kind);

class PickleReader {
public:
    struct Limits {
        std::size_t maxValues = 1u << 21; // ~170 bytes each; a real state dict needs ~20 per tensor
        std::size_t maxStackDepth = 1u << 20;
        std::size_t maxMarkDepth = 1u << 16;
        std::size_t maxMemoEntries = 1u << 21;
        std::size_t maxTensorDims = 64;
    };

    // Given a storage key from a persistent id, returns the size in bytes of the archive entry
    // holding it, or throws CheckpointError if there is none. Lets BINPERSID check the declared
    // element count against the archive before anything is read.
    using StorageSizeLookup = std::function<std::uint64_t(const std::string& key)>;

    // `displayName` names the checkpoint in errors, `context` the pickle inside it ("model/data.pkl").
    PickleReader(std::string displayName, std::string context, StorageSizeLookup storageSize, Limits limits);
    PickleReader(std::string displayName, std::string context, StorageSizeLookup storageSize)
        : PickleReader(std::move(displayName), std::move(context), std::move(storageSize), Limits()) {}

    // Interprets the pickle and returns its result; the value lives as long as this reader.
    const PickleValue& parse(const std::uint8_t* data, std::size_t size);

    // "module.name" of every non-allow-listed global met, in order of first appearance.
    const std::vector<std::string>& placeholderGlobals() const { return m_placeholderGlobals; }

private:
    PickleValue* make(PickleValue::Kind kind);
    [[noreturn]] void fail(std::size_t opcodeOffset, const std::string& reason) const;

    const std::uint8_t* need(std::size_t count, std::size_t opcodeOffset, const char* opcodeName);
    std::string readLine(std::size_t opcodeOffset, const char* opcodeName);
    std::string readText(std::uint64_t length, std::size_t opcodeOffset, const char* opcodeName);
    void push(PickleValue* value, std::size_t opcodeOffset);
    PickleValue* pop(std::size_t opcodeOffset, const char* opcodeName);
    PickleValue* top(std::size_t opcodeOffset, const char* opcodeName) const;
    std::size_t popMark(std::size_t opcodeOffset, const char* opcodeName);
    void memoize(std::uint64_t index, std::size_t opcodeOffset);
    PickleValue* memoGet(std::uint64_t index, std::size_t opcodeOffset) const;

    PickleValue* global(const std::string& module, const std::string& name);
    PickleValue* call(PickleValue* callable, PickleValue* args, std::size_t opcodeOffset, const char* opcodeName);
    PickleValue* rebuildTensor(const PickleValue* args, std::size_t opcodeOffset);
    PickleValue* persistentLoad(const PickleValue* pid, std::size_t opcodeOffset);
    void build(PickleValue* target, PickleValue* state, std::size_t opcodeOffset);
    void setItem(PickleValue* dict, PickleValue* key, PickleValue* value);
    PickleValue* container(PickleValue* value, PickleValue::Kind kind, std::size_t opcodeOffset, const char* opcodeName);

    std::string m_displayName;
    std::string m_context;
    StorageSizeLookup m_storageSize;
    Limits m_limits;

    const std::uint8_t* m_data = nullptr;
    std::size_t m_size = 0;
    std::size_t m_pos = 0;

    std::deque<PickleValue> m_arena; // stable addresses; owns every value
    std::vector<PickleValue*> m_stack;
    std::vector<std::size_t> m_marks; // stack heights at each MARK (Python 3's "metastack")
    std::unordered_map<std::uint64_t, PickleValue*> m_memo;
    std::unordered_map<std::string, PickleValue*> m_globals; // one value per module.name
    std::vector<std::string> m_placeholderGlobals;
};

} // namespace intermap::checkpoint::detail
