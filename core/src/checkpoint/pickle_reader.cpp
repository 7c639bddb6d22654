#include "checkpoint/pickle_reader.h"

#include "intermap/util/byte_order.h"
#include "intermap/util/errors.h"

#include <cstdio>
#include <cstring>
#include <limits>

namespace intermap::checkpoint::detail {
namespace {

// Opcode values from CPython's Lib/pickle.py.
enum Opcode : std::uint8_t {
    MARK = '(',
    STOP = '.',
    POP = '0',
    POP_MARK = '1',
    BINFLOAT = 'G',
    BININT = 'J',
    BININT1 = 'K',
    BININT2 = 'M',
    NONE = 'N',
    BINPERSID = 'Q',
    REDUCE = 'R',
    BINSTRING = 'T',
    SHORT_BINSTRING = 'U',
    BINUNICODE = 'X',
    APPEND = 'a',
    BUILD = 'b',
    GLOBAL = 'c',
    DICT = 'd',
    EMPTY_DICT = '}',
    APPENDS = 'e',
    BINGET = 'h',
    LONG_BINGET = 'j',
    LIST = 'l',
    EMPTY_LIST = ']',
    BINPUT = 'q',
    LONG_BINPUT = 'r',
    SETITEM = 's',
    TUPLE = 't',
    EMPTY_TUPLE = ')',
    SETITEMS = 'u',
    // protocol 2
    PROTO = 0x80,
    NEWOBJ = 0x81,
    TUPLE1 = 0x85,
    TUPLE2 = 0x86,
    TUPLE3 = 0x87,
    NEWTRUE = 0x88,
    NEWFALSE = 0x89,
    LONG1 = 0x8a,
    LONG4 = 0x8b,
    // protocol 3
    BINBYTES = 'B',
    SHORT_BINBYTES = 'C',
    // protocol 4
    SHORT_BINUNICODE = 0x8c,
    BINUNICODE8 = 0x8d,
    BINBYTES8 = 0x8e,
    EMPTY_SET = 0x8f,
    ADDITEMS = 0x90,
    FROZENSET = 0x91,
    STACK_GLOBAL = 0x93,
    MEMOIZE = 0x94,
    FRAME = 0x95,
};

struct StorageTypeName {
    const char* name;
    DType dtype;
};

// torch.<X>Storage as written into persistent ids (torch/storage.py, _save's persistent_id).
constexpr StorageTypeName kStorageTypes[] = {
    {"FloatStorage", DType::Float32}, {"DoubleStorage", DType::Float64}, {"HalfStorage", DType::Float16},
    {"BFloat16Storage", DType::BFloat16}, {"LongStorage", DType::Int64}, {"IntStorage", DType::Int32},
    {"ShortStorage", DType::Int16}, {"CharStorage", DType::Int8}, {"ByteStorage", DType::UInt8},
    {"BoolStorage", DType::Bool},
    // PyTorch 2.x writes UntypedStorage for storages saved on their own; numel counts bytes.
    {"UntypedStorage", DType::UInt8},
};

std::string hexByte(std::uint8_t value) {
    char text[8];
    std::snprintf(text, sizeof text, "0x%02x", value);
    return text;
}

bool isInteger(const PickleValue* value) {
    return value && (value->kind == PickleValue::Kind::Int || value->kind == PickleValue::Kind::Bool) &&
           !value->bigInteger;
}

std::int64_t integerOf(const PickleValue* value) {
    return value->kind == PickleValue::Kind::Bool ? (value->boolean ? 1 : 0) : value->integer;
}

} // namespace

const char* pickleKindName(PickleValue::Kind kind) {
    switch (kind) {
    case PickleValue::Kind::None: return "None";
    case PickleValue::Kind::Bool: return "bool";
    case PickleValue::Kind::Int: return "int";
    case PickleValue::Kind::Float: return "float";
    case PickleValue::Kind::String: return "str";
    case PickleValue::Kind::Bytes: return "bytes";
    case PickleValue::Kind::Tuple: return "tuple";
    case PickleValue::Kind::List: return "list";
    case PickleValue::Kind::Dict: return "dict";
    case PickleValue::Kind::Global: return "global";
    case PickleValue::Kind::Object: return "object";
    case PickleValue::Kind::Storage: return "storage";
    case PickleValue::Kind::Tensor: return "tensor";
    }
    return "?";
}

PickleReader::PickleReader(std::string displayName, std::string context, StorageSizeLookup storageSize, Limits limits)
    : m_displayName(std::move(displayName)), m_context(std::move(context)), m_storageSize(std::move(storageSize)),
      m_limits(limits) {}

void PickleReader::fail(std::size_t opcodeOffset, const std::string& reason) const {
    throw CheckpointError(m_displayName, m_context + ": " + reason + " (at byte " + std::to_string(opcodeOffset) + ")");
}

PickleValue* PickleReader::make(PickleValue::Kind kind) {
    if (m_arena.size() >= m_limits.maxValues)
        fail(m_pos, "the pickle builds more than " + std::to_string(m_limits.maxValues) + " values");
    m_arena.emplace_back();
    m_arena.back().kind = kind;
    return &m_arena.back();
}

const std::uint8_t* PickleReader::need(std::size_t count, std::size_t opcodeOffset, const char* opcodeName) {
    if (m_size - m_pos < count)
        fail(opcodeOffset, std::string("truncated: ") + opcodeName + " needs " + std::to_string(count) +
                               " more bytes, only " + std::to_string(m_size - m_pos) + " left");
    const std::uint8_t* bytes = m_data + m_pos;
    m_pos += count;
    return bytes;
}

std::string PickleReader::readLine(std::size_t opcodeOffset, const char* opcodeName) {
    const void* newline = std::memchr(m_data + m_pos, '\n', m_size - m_pos);
    if (!newline)
        fail(opcodeOffset, std::string("truncated: ") + opcodeName + " argument has no terminating newline");
    const auto* end = static_cast<const std::uint8_t*>(newline);
    std::string line(reinterpret_cast<const char*>(m_data + m_pos), static_cast<std::size_t>(end - (m_data + m_pos)));
    m_pos = static_cast<std::size_t>(end - m_data) + 1;
    return line;
}

std::string PickleReader::readText(std::uint64_t length, std::size_t opcodeOffset, const char* opcodeName) {
    if (length > m_size - m_pos)
        fail(opcodeOffset, std::string("truncated: ") + opcodeName + " declares " + std::to_string(length) +
                               " bytes, only " + std::to_string(m_size - m_pos) + " left");
    const std::uint8_t* bytes = need(static_cast<std::size_t>(length), opcodeOffset, opcodeName);
    return std::string(reinterpret_cast<const char*>(bytes), static_cast<std::size_t>(length));
}

void PickleReader::push(PickleValue* value, std::size_t opcodeOffset) {
    if (m_stack.size() >= m_limits.maxStackDepth)
        fail(opcodeOffset, "the pickle stack grows beyond " + std::to_string(m_limits.maxStackDepth) + " entries");
    m_stack.push_back(value);
}

PickleValue* PickleReader::pop(std::size_t opcodeOffset, const char* opcodeName) {
    const std::size_t floor = m_marks.empty() ? 0 : m_marks.back();
    if (m_stack.size() <= floor)
        fail(opcodeOffset, std::string(opcodeName) + " needs a value but the stack is empty" +
                               (m_marks.empty() ? "" : " above the last MARK"));
    PickleValue* value = m_stack.back();
    m_stack.pop_back();
    return value;
}

PickleValue* PickleReader::top(std::size_t opcodeOffset, const char* opcodeName) const {
    const std::size_t floor = m_marks.empty() ? 0 : m_marks.back();
    if (m_stack.size() <= floor)
        fail(opcodeOffset, std::string(opcodeName) + " needs a value but the stack is empty");
    return m_stack.back();
}

std::size_t PickleReader::popMark(std::size_t opcodeOffset, const char* opcodeName) {
    if (m_marks.empty())
        fail(opcodeOffset, std::string(opcodeName) + " without a preceding MARK");
    const std::size_t height = m_marks.back();
    m_marks.pop_back();
    return height;
}

void PickleReader::memoize(std::uint64_t index, std::size_t opcodeOffset) {
    PickleValue* value = top(opcodeOffset, "PUT");
    const auto it = m_memo.find(index);
    if (it != m_memo.end()) {
        it->second = value;
        return;
    }
    if (m_memo.size() >= m_limits.maxMemoEntries)
        fail(opcodeOffset, "the pickle memo grows beyond " + std::to_string(m_limits.maxMemoEntries) + " entries");
    m_memo.emplace(index, value);
}

PickleValue* PickleReader::memoGet(std::uint64_t index, std::size_t opcodeOffset) const {
    const auto it = m_memo.find(index);
    if (it == m_memo.end())
        fail(opcodeOffset, "GET of memo entry " + std::to_string(index) + ", which was never stored");
    return it->second;
}

PickleValue* PickleReader::container(PickleValue* value, PickleValue::Kind kind, std::size_t opcodeOffset,
                                     const char* opcodeName) {
    if (value->kind != kind)
        fail(opcodeOffset, std::string(opcodeName) + " expects a " + pickleKindName(kind) + ", found a " +
                               pickleKindName(value->kind));
    return value;
}

PickleValue* PickleReader::global(const std::string& module, const std::string& name) {
    const std::string qualified = module + "." + name;
    if (const auto it = m_globals.find(qualified); it != m_globals.end())
        return it->second;
    PickleValue* value = make(PickleValue::Kind::Global);
    value->text = qualified;
    if (qualified == "collections.OrderedDict") {
        value->role = GlobalRole::OrderedDict;
    } else if (qualified == "torch._utils._rebuild_tensor_v2") {
        value->role = GlobalRole::RebuildTensorV2;
    } else if (qualified == "torch._utils._rebuild_parameter") {
        value->role = GlobalRole::RebuildParameter;
    } else if (qualified == "torch._utils._rebuild_parameter_with_state") {
        value->role = GlobalRole::RebuildParameterWithState;
    } else if (qualified == "torch.jit._pickle.restore_type_tag") {
        value->role = GlobalRole::RestoreTypeTag;
    } else if (module == "torch") {
        for (const StorageTypeName& type : kStorageTypes) {
            if (name == type.name) {
                value->role = GlobalRole::StorageType;
                value->storageDtype = type.dtype;
            }
        }
    }
    if (value->role == GlobalRole::Placeholder)
        m_placeholderGlobals.push_back(qualified);
    m_globals.emplace(qualified, value);
    return value;
}

PickleValue* PickleReader::call(PickleValue* callable, PickleValue* args, std::size_t opcodeOffset,
                                const char* opcodeName) {
    if (args->kind != PickleValue::Kind::Tuple)
        fail(opcodeOffset, std::string(opcodeName) + " expects an argument tuple, found a " + pickleKindName(args->kind));
    if (callable->kind == PickleValue::Kind::Object) {
        // Calling a placeholder instance: still nothing runs.
        PickleValue* object = make(PickleValue::Kind::Object);
        object->text = callable->text;
        object->arguments = args;
        return object;
    }
    if (callable->kind != PickleValue::Kind::Global)
        fail(opcodeOffset, std::string(opcodeName) + " expects a global to call, found a " +
                               pickleKindName(callable->kind));
    const bool isNewObj = std::strcmp(opcodeName, "NEWOBJ") == 0;
    switch (callable->role) {
    case GlobalRole::Placeholder: {
        PickleValue* object = make(PickleValue::Kind::Object);
        object->text = callable->text;
        object->arguments = args;
        return object;
    }
    case GlobalRole::OrderedDict: {
        // OrderedDict pickles as OrderedDict() followed by SETITEMS; NEWOBJ's arguments go to
        // __new__, which ignores them.
        if (!isNewObj && !args->items.empty())
            fail(opcodeOffset, "collections.OrderedDict called with " + std::to_string(args->items.size()) +
                                   " arguments; only OrderedDict() is supported");
        PickleValue* dict = make(PickleValue::Kind::Dict);
        dict->ordered = true;
        return dict;
    }
    case GlobalRole::RebuildTensorV2:
        if (isNewObj)
            break;
        return rebuildTensor(args, opcodeOffset);
    case GlobalRole::RebuildParameter:
    case GlobalRole::RebuildParameterWithState: {
        if (isNewObj)
            break;
        // _rebuild_parameter(data, requires_grad, backward_hooks[, state]) wraps `data` in an
        // nn.Parameter; for a state dict only the data matters.
        const std::size_t expected = callable->role == GlobalRole::RebuildParameter ? 3 : 4;
        if (args->items.size() != expected || args->items[0]->kind != PickleValue::Kind::Tensor)
            fail(opcodeOffset, callable->text + " expects (tensor, requires_grad, hooks" +
                                   (expected == 4 ? ", state)" : ")") + ", found " +
                                   std::to_string(args->items.size()) + " arguments");
        return args->items[0];
    }
    case GlobalRole::RestoreTypeTag:
        // restore_type_tag(value, "Dict[str, Tensor]") only annotates `value` with its TorchScript
        // type and returns it: files written by LibTorch's torch::pickle_save wrap the dict so.
        if (isNewObj)
            break;
        if (args->items.size() != 2)
            fail(opcodeOffset, callable->text + " expects (value, type), found " + std::to_string(args->items.size()) +
                                   " arguments");
        return args->items[0];
    case GlobalRole::StorageType:
        break;
    }
    fail(opcodeOffset, std::string(opcodeName) + " on " + callable->text + " is not something a checkpoint does");
}

PickleValue* PickleReader::rebuildTensor(const PickleValue* args, std::size_t opcodeOffset) {
    // torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad,
    //                                 backward_hooks[, metadata])
    const auto& a = args->items;
    if (a.size() != 6 && a.size() != 7)
        fail(opcodeOffset, "torch._utils._rebuild_tensor_v2 expects 6 or 7 arguments, found " + std::to_string(a.size()));
    if (a[0]->kind != PickleValue::Kind::Storage)
        fail(opcodeOffset, std::string("torch._utils._rebuild_tensor_v2 expects a storage as its first argument, found a ") +
                               pickleKindName(a[0]->kind));
    if (!isInteger(a[1]))
        fail(opcodeOffset, std::string("torch._utils._rebuild_tensor_v2 expects an integer storage offset, found a ") +
                               pickleKindName(a[1]->kind));
    auto tensor = std::make_unique<TensorInfo>();
    tensor->storage = a[0];
    tensor->storageOffset = integerOf(a[1]);
    const auto readShape = [&](const PickleValue* value, const char* what, std::vector<std::int64_t>& out) {
        if (value->kind != PickleValue::Kind::Tuple && value->kind != PickleValue::Kind::List)
            fail(opcodeOffset, std::string("torch._utils._rebuild_tensor_v2 expects a tuple of ") + what + ", found a " +
                                   pickleKindName(value->kind));
        if (value->items.size() > m_limits.maxTensorDims)
            fail(opcodeOffset, "tensor has " + std::to_string(value->items.size()) + " dimensions; at most " +
                                   std::to_string(m_limits.maxTensorDims) + " are supported");
        out.reserve(value->items.size());
        for (const PickleValue* item : value->items) {
            if (!isInteger(item))
                fail(opcodeOffset, std::string("tensor ") + what + " must be integers, found a " + pickleKindName(item->kind));
            out.push_back(integerOf(item));
        }
    };
    readShape(a[2], "sizes", tensor->sizes);
    readShape(a[3], "strides", tensor->strides);
    if (tensor->sizes.size() != tensor->strides.size())
        fail(opcodeOffset, "tensor has " + std::to_string(tensor->sizes.size()) + " sizes but " +
                               std::to_string(tensor->strides.size()) + " strides");
    PickleValue* value = make(PickleValue::Kind::Tensor);
    value->tensorInfo = std::move(tensor);
    return value;
}

PickleValue* PickleReader::persistentLoad(const PickleValue* pid, std::size_t opcodeOffset) {
    // torch.save's persistent id for a storage: ('storage', torch.<X>Storage, key, location, numel)
    const auto& p = pid->items;
    if (pid->kind != PickleValue::Kind::Tuple || p.size() != 5 || p[0]->kind != PickleValue::Kind::String ||
        p[0]->text != "storage")
        fail(opcodeOffset, std::string("unsupported persistent id: expected ('storage', type, key, location, numel), found a ") +
                               pickleKindName(pid->kind) +
                               (pid->kind == PickleValue::Kind::Tuple ? " of " + std::to_string(p.size()) : std::string()));
    if (p[1]->kind != PickleValue::Kind::Global || p[1]->role != GlobalRole::StorageType)
        fail(opcodeOffset, "unsupported storage type " +
                               (p[1]->kind == PickleValue::Kind::Global ? p[1]->text : std::string(pickleKindName(p[1]->kind))) +
                               " (supported: float32/64, float16, bfloat16, int8/16/32/64, uint8, bool)");
    if (p[2]->kind != PickleValue::Kind::String)
        fail(opcodeOffset, std::string("storage key must be a string, found a ") + pickleKindName(p[2]->kind));
    if (!isInteger(p[4]) || integerOf(p[4]) < 0)
        fail(opcodeOffset, "storage " + p[2]->text + " has an invalid element count");

    auto info = std::make_unique<StorageInfo>();
    info->dtype = p[1]->storageDtype;
    info->key = p[2]->text;
    info->location = p[3]->kind == PickleValue::Kind::String ? p[3]->text : std::string();
    info->numel = integerOf(p[4]);
    info->entryBytes = m_storageSize(info->key);
    const std::uint64_t elementSize = dtypeSize(info->dtype);
    const auto numel = static_cast<std::uint64_t>(info->numel);
    if (numel > info->entryBytes / elementSize)
        fail(opcodeOffset, "storage " + info->key + " declares " + std::to_string(numel) + " " +
                               dtypeName(info->dtype) + " elements (" +
                               (numel > std::numeric_limits<std::uint64_t>::max() / elementSize
                                    ? std::string("too many")
                                    : std::to_string(numel * elementSize)) +
                               " bytes) but its archive entry holds " + std::to_string(info->entryBytes) + " bytes");
    PickleValue* value = make(PickleValue::Kind::Storage);
    value->storageInfo = std::move(info);
    return value;
}

void PickleReader::build(PickleValue* target, PickleValue* state, std::size_t opcodeOffset) {
    switch (target->kind) {
    case PickleValue::Kind::Dict:
        // OrderedDict state dicts carry `_metadata` (module versions) this way; not needed.
    case PickleValue::Kind::Tensor:
        return;
    case PickleValue::Kind::Object:
        target->state = state;
        return;
    default:
        fail(opcodeOffset, std::string("BUILD on a ") + pickleKindName(target->kind));
    }
}

void PickleReader::setItem(PickleValue* dict, PickleValue* key, PickleValue* value) {
    dict->entries.emplace_back(key, value);
}

const PickleValue& PickleReader::parse(const std::uint8_t* data, std::size_t size) {
    m_data = data;
    m_size = size;
    m_pos = 0;
    using Kind = PickleValue::Kind;

    while (m_pos < m_size) {
        const std::size_t at = m_pos;
        const std::uint8_t opcode = m_data[m_pos++];
        switch (opcode) {
        case PROTO: {
            const std::uint8_t version = *need(1, at, "PROTO");
            if (version > 5)
                fail(at, "unsupported pickle protocol " + std::to_string(version));
            break;
        }
        case FRAME: {
            // Framing only groups opcodes for buffered reading; the contents are parsed as usual.
            const std::uint64_t length = util::loadLittleEndian(need(8, at, "FRAME"), 8);
            if (length > m_size - m_pos)
                fail(at, "truncated: FRAME declares " + std::to_string(length) + " bytes, only " +
                             std::to_string(m_size - m_pos) + " left");
            break;
        }
        case STOP: {
            if (!m_marks.empty())
                fail(at, "STOP with an unclosed MARK");
            return *pop(at, "STOP");
        }
        case MARK:
            if (m_marks.size() >= m_limits.maxMarkDepth)
                fail(at, "MARKs nest deeper than " + std::to_string(m_limits.maxMarkDepth));
            m_marks.push_back(m_stack.size());
            break;
        case POP:
            pop(at, "POP");
            break;
        case POP_MARK:
            m_stack.resize(popMark(at, "POP_MARK"));
            break;
        case NONE: push(make(Kind::None), at); break;
        case NEWTRUE:
        case NEWFALSE: {
            PickleValue* value = make(Kind::Bool);
            value->boolean = opcode == NEWTRUE;
            push(value, at);
            break;
        }
        case BININT: {
            PickleValue* value = make(Kind::Int);
            value->integer = static_cast<std::int32_t>(static_cast<std::uint32_t>(util::loadLittleEndian(need(4, at, "BININT"), 4)));
            push(value, at);
            break;
        }
        case BININT1: {
            PickleValue* value = make(Kind::Int);
            value->integer = *need(1, at, "BININT1");
            push(value, at);
            break;
        }
        case BININT2: {
            PickleValue* value = make(Kind::Int);
            value->integer = static_cast<std::int64_t>(util::loadLittleEndian(need(2, at, "BININT2"), 2));
            push(value, at);
            break;
        }
        case LONG1:
        case LONG4: {
            const char* name = opcode == LONG1 ? "LONG1" : "LONG4";
            const std::uint64_t length = opcode == LONG1 ? *need(1, at, name) : util::loadLittleEndian(need(4, at, name), 4);
            if (length > m_size - m_pos)
                fail(at, std::string("truncated: ") + name + " declares " + std::to_string(length) + " bytes, only " +
                             std::to_string(m_size - m_pos) + " left");
            const std::uint8_t* bytes = need(static_cast<std::size_t>(length), at, name);
            PickleValue* value = make(Kind::Int);
            if (length > 8) {
                value->bigInteger = true; // e.g. a random seed in training metadata; never a size
            } else if (length > 0) {
                // Little-endian two's complement of `length` bytes, sign-extended to 64 bits.
                std::uint64_t raw = util::loadLittleEndian(bytes, static_cast<std::size_t>(length));
                if (length < 8 && (bytes[length - 1] & 0x80))
                    raw |= ~std::uint64_t{0} << (8 * length);
                std::int64_t signedValue;
                std::memcpy(&signedValue, &raw, sizeof signedValue);
                value->integer = signedValue;
            }
            push(value, at);
            break;
        }
        case BINFLOAT: {
            // Big-endian IEEE 754 double (pickle's one big-endian field).
            const std::uint8_t* bytes = need(8, at, "BINFLOAT");
            std::uint64_t raw = 0;
            for (int i = 0; i < 8; ++i)
                raw = (raw << 8) | bytes[i];
            PickleValue* value = make(Kind::Float);
            std::memcpy(&value->floating, &raw, sizeof raw);
            push(value, at);
            break;
        }
        case BINUNICODE:
        case SHORT_BINUNICODE:
        case BINUNICODE8:
        case BINSTRING:
        case SHORT_BINSTRING:
        case BINBYTES:
        case SHORT_BINBYTES:
        case BINBYTES8: {
            const char* name = "BINUNICODE";
            std::size_t lengthBytes = 4;
            Kind kind = Kind::String;
            switch (opcode) {
            case SHORT_BINUNICODE: name = "SHORT_BINUNICODE"; lengthBytes = 1; break;
            case BINUNICODE8: name = "BINUNICODE8"; lengthBytes = 8; break;
            case BINSTRING: name = "BINSTRING"; break;
            case SHORT_BINSTRING: name = "SHORT_BINSTRING"; lengthBytes = 1; break;
            case BINBYTES: name = "BINBYTES"; kind = Kind::Bytes; break;
            case SHORT_BINBYTES: name = "SHORT_BINBYTES"; lengthBytes = 1; kind = Kind::Bytes; break;
            case BINBYTES8: name = "BINBYTES8"; lengthBytes = 8; kind = Kind::Bytes; break;
            default: break;
            }
            std::uint64_t length = util::loadLittleEndian(need(lengthBytes, at, name), lengthBytes);
            if (opcode == BINSTRING && (length & 0x80000000u))
                fail(at, "BINSTRING with a negative length");
            PickleValue* value = make(kind);
            value->text = readText(length, at, name);
            push(value, at);
            break;
        }
        case EMPTY_TUPLE: push(make(Kind::Tuple), at); break;
        case TUPLE1:
        case TUPLE2:
        case TUPLE3: {
            const std::size_t count = static_cast<std::size_t>(opcode - TUPLE1) + 1;
            PickleValue* tuple = make(Kind::Tuple);
            tuple->items.resize(count);
            for (std::size_t i = count; i-- > 0;)
                tuple->items[i] = pop(at, "TUPLE1/2/3");
            push(tuple, at);
            break;
        }
        case TUPLE:
        case LIST:
        case FROZENSET: {
            const std::size_t height = popMark(at, opcode == TUPLE ? "TUPLE" : opcode == LIST ? "LIST" : "FROZENSET");
            PickleValue* value = make(opcode == TUPLE ? Kind::Tuple : Kind::List);
            value->items.assign(m_stack.begin() + static_cast<std::ptrdiff_t>(height), m_stack.end());
            m_stack.resize(height);
            push(value, at);
            break;
        }
        case EMPTY_LIST:
        case EMPTY_SET: push(make(Kind::List), at); break;
        case EMPTY_DICT: push(make(Kind::Dict), at); break;
        case DICT: {
            const std::size_t height = popMark(at, "DICT");
            if ((m_stack.size() - height) % 2 != 0)
                fail(at, "DICT with an odd number of items");
            PickleValue* dict = make(Kind::Dict);
            for (std::size_t i = height; i < m_stack.size(); i += 2)
                setItem(dict, m_stack[i], m_stack[i + 1]);
            m_stack.resize(height);
            push(dict, at);
            break;
        }
        case APPEND: {
            PickleValue* value = pop(at, "APPEND");
            container(top(at, "APPEND"), Kind::List, at, "APPEND")->items.push_back(value);
            break;
        }
        case APPENDS:
        case ADDITEMS: {
            const char* name = opcode == APPENDS ? "APPENDS" : "ADDITEMS";
            const std::size_t height = popMark(at, name);
            if (height == 0 || (!m_marks.empty() && height <= m_marks.back()))
                fail(at, std::string(name) + " has no list below its MARK");
            PickleValue* list = container(m_stack[height - 1], Kind::List, at, name);
            list->items.insert(list->items.end(), m_stack.begin() + static_cast<std::ptrdiff_t>(height), m_stack.end());
            m_stack.resize(height);
            break;
        }
        case SETITEM: {
            PickleValue* value = pop(at, "SETITEM");
            PickleValue* key = pop(at, "SETITEM");
            setItem(container(top(at, "SETITEM"), Kind::Dict, at, "SETITEM"), key, value);
            break;
        }
        case SETITEMS: {
            const std::size_t height = popMark(at, "SETITEMS");
            if (height == 0 || (!m_marks.empty() && height <= m_marks.back()))
                fail(at, "SETITEMS has no dict below its MARK");
            if ((m_stack.size() - height) % 2 != 0)
                fail(at, "SETITEMS with an odd number of items");
            PickleValue* dict = container(m_stack[height - 1], Kind::Dict, at, "SETITEMS");
            for (std::size_t i = height; i < m_stack.size(); i += 2)
                setItem(dict, m_stack[i], m_stack[i + 1]);
            m_stack.resize(height);
            break;
        }
        case BINPUT: memoize(*need(1, at, "BINPUT"), at); break;
        case LONG_BINPUT: memoize(util::loadLittleEndian(need(4, at, "LONG_BINPUT"), 4), at); break;
        case MEMOIZE: memoize(m_memo.size(), at); break;
        case BINGET: push(memoGet(*need(1, at, "BINGET"), at), at); break;
        case LONG_BINGET: push(memoGet(util::loadLittleEndian(need(4, at, "LONG_BINGET"), 4), at), at); break;
        case GLOBAL: {
            const std::string module = readLine(at, "GLOBAL");
            const std::string name = readLine(at, "GLOBAL");
            push(global(module, name), at);
            break;
        }
        case STACK_GLOBAL: {
            PickleValue* name = pop(at, "STACK_GLOBAL");
            PickleValue* module = pop(at, "STACK_GLOBAL");
            if (module->kind != Kind::String || name->kind != Kind::String)
                fail(at, "STACK_GLOBAL expects two strings");
            push(global(module->text, name->text), at);
            break;
        }
        case REDUCE:
        case NEWOBJ: {
            const char* name = opcode == REDUCE ? "REDUCE" : "NEWOBJ";
            PickleValue* args = pop(at, name);
            PickleValue* callable = pop(at, name);
            push(call(callable, args, at, name), at);
            break;
        }
        case BUILD: {
            PickleValue* state = pop(at, "BUILD");
            build(top(at, "BUILD"), state, at);
            break;
        }
        case BINPERSID: {
            PickleValue* pid = pop(at, "BINPERSID");
            push(persistentLoad(pid, at), at);
            break;
        }
        default:
            throw CheckpointError(m_displayName, m_context + ": unsupported pickle opcode " + hexByte(opcode) +
                                                     " at byte " + std::to_string(at));
        }
    }
    fail(m_pos, "truncated: the pickle ends without a STOP opcode");
}

} // namespace intermap::checkpoint::detail
