#include "intermap/model/checkpoint_fingerprint.h"

#include "checkpoint/byte_source.h"
#include "checkpoint/zip_archive.h"
#include "intermap/util/hash.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <vector>

namespace intermap::checkpoint {
namespace {

using detail::ByteSource;

bool startsLikeAZip(ByteSource& source) {
    std::array<std::uint8_t, 4> magic{};
    if (source.size() < magic.size())
        return false;
    source.read(0, magic.size(), magic.data());
    return std::memcmp(magic.data(), "PK\x03\x04", magic.size()) == 0;
}

// Fixed-width little-endian, so that the digest is the same on every platform.
void absorbNumber(util::Sha256& hash, std::uint64_t value) {
    std::array<char, 8> bytes{};
    for (std::size_t i = 0; i < bytes.size(); ++i)
        bytes[i] = static_cast<char>(value >> (8 * i));
    hash.absorb(std::string_view(bytes.data(), bytes.size()));
}

std::string centralDirectoryDigest(const detail::ZipArchive& archive) {
    util::Sha256 hash;
    absorbNumber(hash, archive.entries().size());
    for (const auto& entry : archive.entries()) {
        absorbNumber(hash, entry.name.size());
        hash.absorb(entry.name);
        absorbNumber(hash, entry.crc32);
        absorbNumber(hash, entry.method);
        absorbNumber(hash, entry.compressedSize);
        absorbNumber(hash, entry.uncompressedSize);
    }
    return hash.hexDigest();
}

std::string wholeFileDigest(ByteSource& source) {
    constexpr std::uint64_t kChunk = 1 << 20;
    std::vector<std::uint8_t> buffer(kChunk);
    util::Sha256 hash;
    for (std::uint64_t offset = 0; offset < source.size(); offset += kChunk) {
        const auto count = static_cast<std::size_t>(std::min(kChunk, source.size() - offset));
        source.read(offset, count, buffer.data());
        hash.absorb(std::string_view(reinterpret_cast<const char*>(buffer.data()), count));
    }
    return hash.hexDigest();
}

} // namespace

std::string checkpointFileFingerprint(const std::string& path) {
    detail::FileByteSource source(path);
    if (startsLikeAZip(source)) {
        try {
            const detail::ZipArchive archive(source);
            return "zip-crc32:" + centralDirectoryDigest(archive);
        } catch (const CheckpointError&) {
            // A directory the reader refuses: loading will say why; identify the bytes meanwhile.
        }
    }
    return "sha256:" + wholeFileDigest(source);
}

} // namespace intermap::checkpoint
