#pragma once
// A small zip writer for tests and the fuzz harness, laid out like PyTorch's archives (local
// header, data, central directory, Zip64 end record and locator, end record). It remembers where
// every structure starts so that tests can corrupt exactly one field. Qt-free, so the fuzzer
// (which must build without Qt) can use it too.
#include <zlib.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace intermap::test {

using Bytes = std::vector<std::uint8_t>;

inline void put16(Bytes& out, std::uint32_t v) {
    out.push_back(static_cast<std::uint8_t>(v));
    out.push_back(static_cast<std::uint8_t>(v >> 8));
}
inline void put32(Bytes& out, std::uint32_t v) {
    put16(out, v & 0xffff);
    put16(out, v >> 16);
}
inline void put64(Bytes& out, std::uint64_t v) {
    put32(out, static_cast<std::uint32_t>(v));
    put32(out, static_cast<std::uint32_t>(v >> 32));
}
inline void set16(Bytes& out, std::size_t at, std::uint32_t v) {
    out.at(at) = static_cast<std::uint8_t>(v);
    out.at(at + 1) = static_cast<std::uint8_t>(v >> 8);
}
inline void set32(Bytes& out, std::size_t at, std::uint32_t v) {
    set16(out, at, v & 0xffff);
    set16(out, at + 2, v >> 16);
}
inline void append(Bytes& out, const std::string& text) { out.insert(out.end(), text.begin(), text.end()); }

inline std::uint32_t crcOf(const Bytes& data) {
    return static_cast<std::uint32_t>(crc32(crc32(0L, Z_NULL, 0), data.data(), static_cast<uInt>(data.size())));
}

inline Bytes rawDeflate(const Bytes& data) {
    z_stream stream{};
    deflateInit2(&stream, 9, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
    Bytes out(deflateBound(&stream, static_cast<uLong>(data.size())));
    stream.next_in = const_cast<Bytes::value_type*>(data.data());
    stream.avail_in = static_cast<uInt>(data.size());
    stream.next_out = out.data();
    stream.avail_out = static_cast<uInt>(out.size());
    deflate(&stream, Z_FINISH);
    out.resize(stream.total_out);
    deflateEnd(&stream);
    return out;
}

struct ZipInput {
    std::string name;
    Bytes data;
    bool deflate = false;
};

struct ZipLayout {
    struct Entry {
        std::string name;
        std::size_t localHeader = 0;
        std::size_t data = 0;
        std::size_t dataSize = 0;
        std::size_t central = 0;
    };
    Bytes bytes;
    std::vector<Entry> entries;
    std::size_t centralDirectory = 0;
    std::size_t zip64EndRecord = 0;
    std::size_t endRecord = 0;

    const Entry& entry(const std::string& name) const {
        for (const Entry& e : entries)
            if (e.name == name)
                return e;
        throw std::logic_error("no zip entry " + name);
    }
};

inline ZipLayout writeZip(const std::vector<ZipInput>& inputs) {
    ZipLayout zip;
    Bytes& out = zip.bytes;
    struct Written {
        std::uint32_t crc;
        std::size_t compressed;
        std::size_t uncompressed;
        std::uint16_t method;
    };
    std::vector<Written> written;
    for (const ZipInput& input : inputs) {
        const Bytes stored = input.deflate ? rawDeflate(input.data) : input.data;
        ZipLayout::Entry entry;
        entry.name = input.name;
        entry.localHeader = out.size();
        const Written w{crcOf(input.data), stored.size(), input.data.size(), static_cast<std::uint16_t>(input.deflate ? 8 : 0)};
        put32(out, 0x04034b50);
        put16(out, 20);
        put16(out, 0);
        put16(out, w.method);
        put32(out, 0); // time, date
        put32(out, w.crc);
        put32(out, static_cast<std::uint32_t>(w.compressed));
        put32(out, static_cast<std::uint32_t>(w.uncompressed));
        put16(out, static_cast<std::uint32_t>(input.name.size()));
        put16(out, 0);
        append(out, input.name);
        entry.data = out.size();
        entry.dataSize = stored.size();
        out.insert(out.end(), stored.begin(), stored.end());
        zip.entries.push_back(entry);
        written.push_back(w);
    }
    zip.centralDirectory = out.size();
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        zip.entries[i].central = out.size();
        put32(out, 0x02014b50);
        put16(out, 0x031e);
        put16(out, 20);
        put16(out, 0);
        put16(out, written[i].method);
        put32(out, 0);
        put32(out, written[i].crc);
        put32(out, static_cast<std::uint32_t>(written[i].compressed));
        put32(out, static_cast<std::uint32_t>(written[i].uncompressed));
        put16(out, static_cast<std::uint32_t>(inputs[i].name.size()));
        put16(out, 0);
        put16(out, 0);
        put16(out, 0);
        put16(out, 0);
        put32(out, 0);
        put32(out, static_cast<std::uint32_t>(zip.entries[i].localHeader));
        append(out, inputs[i].name);
    }
    const std::size_t directorySize = out.size() - zip.centralDirectory;
    zip.zip64EndRecord = out.size();
    put32(out, 0x06064b50);
    put64(out, 44);
    put16(out, 0x031e);
    put16(out, 45);
    put32(out, 0);
    put32(out, 0);
    put64(out, inputs.size());
    put64(out, inputs.size());
    put64(out, directorySize);
    put64(out, zip.centralDirectory);
    put32(out, 0x07064b50);
    put32(out, 0);
    put64(out, zip.zip64EndRecord);
    put32(out, 1);
    zip.endRecord = out.size();
    put32(out, 0x06054b50);
    put16(out, 0);
    put16(out, 0);
    put16(out, static_cast<std::uint32_t>(inputs.size()));
    put16(out, static_cast<std::uint32_t>(inputs.size()));
    put32(out, static_cast<std::uint32_t>(directorySize));
    put32(out, static_cast<std::uint32_t>(zip.centralDirectory));
    put16(out, 0);
    return zip;
}

} // namespace intermap::test
