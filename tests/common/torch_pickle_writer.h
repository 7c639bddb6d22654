#pragma once
// What torch.save writes, byte for byte, built in C++ for the checkpoint tests: a protocol-2
// pickle of (ordered) dicts of tensors and the zip archive around it. Lets a test make any
// hostile variant (lying sizes, strides, storages) without Python at test time.
#include "zip_writer.h"

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace intermap::test {

// A pickle writer emitting what torch.save emits (protocol 2).
struct TensorSpec {
    std::string storageKey = "0";
    std::int64_t numel = 0;
    std::vector<std::int64_t> sizes{};
    std::vector<std::int64_t> strides{}; // empty: row-major
    std::int64_t offset = 0;
    std::string storageType = "FloatStorage";
};

class PickleWriter {
public:
    Bytes bytes;

    PickleWriter& op(std::uint8_t code) {
        bytes.push_back(code);
        return *this;
    }
    PickleWriter& proto() { return op(0x80).op(2); }
    PickleWriter& stop() { return op('.'); }
    PickleWriter& mark() { return op('('); }
    PickleWriter& tuple() { return op('t'); }
    PickleWriter& emptyTuple() { return op(')'); }
    PickleWriter& emptyDict() { return op('}'); }
    PickleWriter& emptyList() { return op(']'); }
    PickleWriter& reduce() { return op('R'); }
    PickleWriter& build() { return op('b'); }
    PickleWriter& setItem() { return op('s'); }
    PickleWriter& setItems() { return op('u'); }
    PickleWriter& none() { return op('N'); }
    PickleWriter& newFalse() { return op(0x89); }
    PickleWriter& binPut(std::uint8_t index) { return op('q').op(index); }
    PickleWriter& binGet(std::uint8_t index) { return op('h').op(index); }
    PickleWriter& global(const std::string& module, const std::string& name) {
        op('c');
        append(bytes, module + "\n" + name + "\n");
        return *this;
    }
    PickleWriter& string(const std::string& text) {
        op('X');
        put32(bytes, static_cast<std::uint32_t>(text.size()));
        append(bytes, text);
        return *this;
    }
    PickleWriter& integer(std::int64_t value) {
        if (value >= 0 && value < 256)
            return op('K').op(static_cast<std::uint8_t>(value));
        if (value >= 0 && value < 65536) {
            op('M');
            put16(bytes, static_cast<std::uint32_t>(value));
            return *this;
        }
        if (value >= INT32_MIN && value <= INT32_MAX) {
            op('J');
            put32(bytes, static_cast<std::uint32_t>(static_cast<std::int32_t>(value)));
            return *this;
        }
        op(0x8a).op(8);
        put64(bytes, static_cast<std::uint64_t>(value));
        return *this;
    }
    PickleWriter& integers(const std::vector<std::int64_t>& values) {
        mark();
        for (std::int64_t v : values)
            integer(v);
        return tuple();
    }
    PickleWriter& orderedDict() { return global("collections", "OrderedDict").emptyTuple().reduce(); }
    PickleWriter& tensor(const TensorSpec& t) {
        std::vector<std::int64_t> strides = t.strides;
        if (strides.empty()) {
            strides.assign(t.sizes.size(), 1);
            for (std::size_t d = t.sizes.size(); d-- > 1;)
                strides[d - 1] = strides[d] * t.sizes[d];
        }
        global("torch._utils", "_rebuild_tensor_v2").mark();
        mark().string("storage").global("torch", t.storageType).string(t.storageKey).string("cpu").integer(t.numel).tuple();
        op('Q');
        integer(t.offset).integers(t.sizes).integers(strides).newFalse().orderedDict();
        return tuple().reduce();
    }
};

using ValueWriter = std::function<void(PickleWriter&)>;
struct Item {
    std::string key;
    ValueWriter value;
};

inline ValueWriter tensorValue(const TensorSpec& spec) {
    return [spec](PickleWriter& p) { p.tensor(spec); };
}

inline ValueWriter dictValue(const std::vector<Item>& items, bool ordered = true) {
    return [items, ordered](PickleWriter& p) {
        if (ordered)
            p.orderedDict();
        else
            p.emptyDict();
        p.mark();
        for (const Item& item : items) {
            p.string(item.key);
            item.value(p);
        }
        p.setItems();
    };
}

inline Bytes dictPickle(const std::vector<Item>& items, bool ordered = true) {
    PickleWriter p;
    p.proto();
    dictValue(items, ordered)(p);
    // What nn.Module.state_dict() adds: BUILD with {'_metadata': OrderedDict(...)}.
    p.emptyDict().string("_metadata").orderedDict().setItem().build();
    return p.stop().bytes;
}

struct TorchCheckpoint {
    std::string archive = "archive";
    Bytes pickle;
    std::vector<std::pair<std::string, Bytes>> storages;
    bool deflate = false;

    ZipLayout zip() const {
        std::vector<ZipInput> inputs;
        inputs.push_back({archive + "/data.pkl", pickle, deflate});
        for (const auto& [key, data] : storages)
            inputs.push_back({archive + "/data/" + key, data, deflate});
        inputs.push_back({archive + "/version", {'3', '\n'}, false});
        return writeZip(inputs);
    }
    Bytes bytes() const { return zip().bytes; }
};

} // namespace intermap::test
