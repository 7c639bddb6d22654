#include "checkpoint/zip_archive.h"

#include "intermap/util/byte_order.h"
#include "intermap/util/errors.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <limits>

namespace intermap::checkpoint::detail {
namespace {

// Sizes and signatures from PKWARE's APPNOTE.TXT (6.3.x), sections 4.3.7, 4.3.12, 4.3.14-16.
constexpr std::uint32_t kLocalHeaderSignature = 0x04034b50;
constexpr std::uint32_t kCentralHeaderSignature = 0x02014b50;
constexpr std::uint32_t kEndRecordSignature = 0x06054b50;
constexpr std::uint32_t kZip64EndRecordSignature = 0x06064b50;
constexpr std::uint32_t kZip64LocatorSignature = 0x07064b50;
constexpr std::uint64_t kLocalHeaderSize = 30;
constexpr std::uint64_t kCentralHeaderSize = 46;
constexpr std::uint64_t kEndRecordSize = 22;
constexpr std::uint64_t kZip64LocatorSize = 20;
constexpr std::uint64_t kZip64EndRecordSize = 56;
constexpr std::uint64_t kMaxCommentLength = 0xffff;
constexpr std::uint16_t kZip64ExtraId = 0x0001;
// deflate cannot expand data by more than ~1032:1 (a run of one byte at maximum match length);
// a larger declared ratio is a lie meant to make the reader allocate.
constexpr std::uint64_t kMaxDeflateRatio = 1032;
constexpr std::uint64_t kMaxEntries = 1u << 20;

// Zip records are little-endian.
std::uint16_t u16(const std::uint8_t* p) { return static_cast<std::uint16_t>(util::loadLittleEndian(p, 2)); }
std::uint32_t u32(const std::uint8_t* p) { return static_cast<std::uint32_t>(util::loadLittleEndian(p, 4)); }
std::uint64_t u64(const std::uint8_t* p) { return util::loadLittleEndian(p, 8); }

std::uint64_t saturatingMultiply(std::uint64_t a, std::uint64_t b) {
    if (a != 0 && b > std::numeric_limits<std::uint64_t>::max() / a)
        return std::numeric_limits<std::uint64_t>::max();
    return a * b;
}

std::string hex32(std::uint32_t value) {
    char text[16];
    std::snprintf(text, sizeof text, "0x%08x", value);
    return text;
}

std::string entryName(const std::string& name) { return "'" + name + "'"; }

constexpr const char* kExtraVariable = "INTERMAP_CHECKPOINT_EXTRA_MIB";
constexpr const char* kMaxVariable = "INTERMAP_CHECKPOINT_MAX_MIB";
constexpr std::uint64_t kDefaultExtraMiB = 256;
constexpr std::uint64_t kDefaultMaxMiB = 8192;
constexpr std::uint64_t kMiB = 1u << 20;

std::uint64_t mebibytesFromEnvironment(const char* variable, std::uint64_t defaultMiB) {
    const char* text = std::getenv(variable);
    if (!text || !*text)
        return defaultMiB;
    char* end = nullptr;
    errno = 0;
    const unsigned long long value = std::strtoull(text, &end, 10);
    if (*end != '\0' || errno != 0 || text[0] == '-' || value > std::numeric_limits<std::uint64_t>::max() / kMiB)
        throw UsageError(std::string(variable) + " must be a whole number of MiB, got '" + text + "'");
    return value;
}

std::string mebibytesText(std::uint64_t bytes) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f MiB", static_cast<double>(bytes) / static_cast<double>(kMiB));
    return text;
}

} // namespace

std::uint64_t materialisedBytesLimit(std::uint64_t fileSize) {
    const std::uint64_t extra = mebibytesFromEnvironment(kExtraVariable, kDefaultExtraMiB) * kMiB;
    const std::uint64_t cap = mebibytesFromEnvironment(kMaxVariable, kDefaultMaxMiB) * kMiB;
    const std::uint64_t relative = fileSize > std::numeric_limits<std::uint64_t>::max() - extra
                                       ? std::numeric_limits<std::uint64_t>::max()
                                       : fileSize + extra;
    return std::min(relative, cap);
}

ZipArchive::ZipArchive(ByteSource& source)
    : m_source(source), m_size(source.size()), m_materialisedLimit(materialisedBytesLimit(source.size())) {
    const EndRecord record = readEndRecord();
    readCentralDirectory(record);
}

void ZipArchive::fail(const std::string& reason) const { throw CheckpointError(m_source.displayName(), reason); }

ZipArchive::EndRecord ZipArchive::readEndRecord() {
    if (m_size < kEndRecordSize)
        fail("truncated zip archive: " + std::to_string(m_size) +
             " bytes cannot hold the 22-byte end-of-central-directory record");
    // The end record sits at the very end, followed only by an archive comment of up to 64 KiB.
    const std::uint64_t tailSize = std::min<std::uint64_t>(m_size, kEndRecordSize + kMaxCommentLength);
    const std::uint64_t tailStart = m_size - tailSize;
    std::vector<std::uint8_t> tail(static_cast<std::size_t>(tailSize));
    m_source.read(tailStart, tail.size(), tail.data());

    std::uint64_t found = std::numeric_limits<std::uint64_t>::max();
    for (std::uint64_t pos = tailSize - kEndRecordSize + 1; pos-- > 0;) {
        const std::uint8_t* p = tail.data() + pos;
        if (u32(p) == kEndRecordSignature && pos + kEndRecordSize + u16(p + 20) <= tailSize) {
            found = pos;
            break;
        }
    }
    if (found == std::numeric_limits<std::uint64_t>::max())
        fail("truncated zip archive: no end-of-central-directory record in its last " + std::to_string(tailSize) +
             " bytes (the file has " + std::to_string(m_size) + " bytes; was the copy or download cut short?)");

    const std::uint8_t* p = tail.data() + found;
    const std::uint16_t diskNumber = u16(p + 4);
    const std::uint16_t directoryDisk = u16(p + 6);
    const std::uint16_t entriesOnDisk = u16(p + 8);
    const std::uint16_t entriesTotal = u16(p + 10);
    const std::uint32_t directorySize = u32(p + 12);
    const std::uint32_t directoryOffset = u32(p + 16);

    EndRecord record;
    record.recordOffset = tailStart + found;
    record.entryCount = entriesTotal;
    record.directorySize = directorySize;
    record.directoryOffset = directoryOffset;

    const bool countSaturated = entriesTotal == 0xffff || entriesOnDisk == 0xffff;
    const bool sizeSaturated = directorySize == 0xffffffffu;
    const bool offsetSaturated = directoryOffset == 0xffffffffu;
    if (countSaturated || sizeSaturated || offsetSaturated || diskNumber == 0xffff || directoryDisk == 0xffff) {
        readZip64EndRecord(record, countSaturated, sizeSaturated, offsetSaturated);
    } else if (diskNumber != 0 || directoryDisk != 0 || entriesOnDisk != entriesTotal) {
        fail("multi-part (spanned) zip archives are not supported (disk " + std::to_string(diskNumber) + ")");
    }
    return record;
}

void ZipArchive::readZip64EndRecord(EndRecord& record, bool countSaturated, bool sizeSaturated, bool offsetSaturated) {
    if (record.recordOffset < kZip64LocatorSize)
        fail("corrupt zip archive: its end record asks for Zip64 values but there is no room for a Zip64 locator");
    const std::uint64_t locatorOffset = record.recordOffset - kZip64LocatorSize;
    std::uint8_t locator[kZip64LocatorSize];
    m_source.read(locatorOffset, sizeof locator, locator);
    if (u32(locator) != kZip64LocatorSignature)
        fail("corrupt zip archive: its end record asks for Zip64 values but the Zip64 locator is missing (found " +
             hex32(u32(locator)) + " at offset " + std::to_string(locatorOffset) + ")");
    if (u32(locator + 4) != 0 || u32(locator + 16) > 1)
        fail("multi-part (spanned) zip archives are not supported");
    const std::uint64_t zip64Offset = u64(locator + 8);
    if (zip64Offset > locatorOffset || locatorOffset - zip64Offset < kZip64EndRecordSize)
        fail("corrupt zip archive: the Zip64 end record offset " + std::to_string(zip64Offset) +
             " does not leave room for the record before its locator at " + std::to_string(locatorOffset));
    std::uint8_t zip64[kZip64EndRecordSize];
    m_source.read(zip64Offset, sizeof zip64, zip64);
    if (u32(zip64) != kZip64EndRecordSignature)
        fail("corrupt zip archive: no Zip64 end record at offset " + std::to_string(zip64Offset) + " (found " +
             hex32(u32(zip64)) + ")");
    if (u32(zip64 + 16) != 0 || u32(zip64 + 20) != 0 || u64(zip64 + 24) != u64(zip64 + 32))
        fail("multi-part (spanned) zip archives are not supported");
    if (countSaturated)
        record.entryCount = u64(zip64 + 32);
    if (sizeSaturated)
        record.directorySize = u64(zip64 + 40);
    if (offsetSaturated)
        record.directoryOffset = u64(zip64 + 48);
    // The central directory ends where the Zip64 end record begins.
    record.recordOffset = zip64Offset;
}

void ZipArchive::readCentralDirectory(const EndRecord& record) {
    if (record.directoryOffset > record.recordOffset ||
        record.directorySize > record.recordOffset - record.directoryOffset)
        fail("corrupt or truncated zip archive: the central directory (" + std::to_string(record.directorySize) +
             " bytes at offset " + std::to_string(record.directoryOffset) + ") does not end before the end record at " +
             std::to_string(record.recordOffset));
    if (record.entryCount > record.directorySize / kCentralHeaderSize)
        fail("corrupt zip archive: the end record claims " + std::to_string(record.entryCount) +
             " entries but a central directory of " + std::to_string(record.directorySize) +
             " bytes has room for at most " + std::to_string(record.directorySize / kCentralHeaderSize));
    if (record.entryCount > kMaxEntries)
        fail("zip archive has " + std::to_string(record.entryCount) + " entries; at most " +
             std::to_string(kMaxEntries) + " are supported");

    std::vector<std::uint8_t> directory(static_cast<std::size_t>(record.directorySize));
    m_source.read(record.directoryOffset, directory.size(), directory.data());

    m_entries.reserve(static_cast<std::size_t>(record.entryCount));
    std::size_t pos = 0;
    for (std::uint64_t i = 0; i < record.entryCount; ++i) {
        const std::string where = "central directory entry " + std::to_string(i) + " (offset " +
                                  std::to_string(record.directoryOffset + pos) + ")";
        if (directory.size() - pos < kCentralHeaderSize)
            fail("corrupt zip archive: " + where + " runs past the end of the central directory");
        const std::uint8_t* p = directory.data() + pos;
        if (u32(p) != kCentralHeaderSignature)
            fail("corrupt zip archive: " + where + " has signature " + hex32(u32(p)) + ", expected " +
                 hex32(kCentralHeaderSignature));
        ZipEntry entry;
        entry.flags = u16(p + 8);
        entry.method = u16(p + 10);
        entry.crc32 = u32(p + 16);
        entry.compressedSize = u32(p + 20);
        entry.uncompressedSize = u32(p + 24);
        const std::size_t nameLength = u16(p + 28);
        const std::size_t extraLength = u16(p + 30);
        const std::size_t commentLength = u16(p + 32);
        const std::uint16_t diskStart = u16(p + 34);
        entry.localHeaderOffset = u32(p + 42);
        if (directory.size() - pos - kCentralHeaderSize < nameLength + extraLength + commentLength)
            fail("corrupt zip archive: the name, extra field and comment of " + where +
                 " run past the end of the central directory");
        entry.name.assign(reinterpret_cast<const char*>(p + kCentralHeaderSize), nameLength);

        // Zip64 extended information (APPNOTE 4.5.3): 64-bit values for exactly the fields that
        // are saturated in the fixed header, in this order.
        const bool needUncompressed = entry.uncompressedSize == 0xffffffffu;
        const bool needCompressed = entry.compressedSize == 0xffffffffu;
        const bool needOffset = entry.localHeaderOffset == 0xffffffffu;
        const bool needDisk = diskStart == 0xffff;
        bool haveZip64 = false;
        const std::uint8_t* extra = p + kCentralHeaderSize + nameLength;
        for (std::size_t e = 0; e + 4 <= extraLength;) {
            const std::uint16_t id = u16(extra + e);
            const std::size_t length = u16(extra + e + 2);
            if (e + 4 + length > extraLength)
                fail("corrupt zip archive: an extra field of " + where + " runs past its end");
            if (id == kZip64ExtraId && !haveZip64) {
                haveZip64 = true;
                const std::uint8_t* field = extra + e + 4;
                std::size_t used = 0;
                auto take64 = [&](std::uint64_t& target) {
                    if (used + 8 > length)
                        fail("corrupt zip archive: the Zip64 extra field of " + where + " is too short");
                    target = u64(field + used);
                    used += 8;
                };
                if (needUncompressed)
                    take64(entry.uncompressedSize);
                if (needCompressed)
                    take64(entry.compressedSize);
                if (needOffset)
                    take64(entry.localHeaderOffset);
            }
            e += 4 + length;
        }
        if ((needUncompressed || needCompressed || needOffset) && !haveZip64)
            fail("corrupt zip archive: " + where + " has saturated 32-bit sizes but no Zip64 extra field");
        if (diskStart != 0 && !needDisk)
            fail("multi-part (spanned) zip archives are not supported");

        if (entry.compressedSize > m_size)
            fail("corrupt zip archive: entry " + entryName(entry.name) + " claims " + std::to_string(entry.compressedSize) +
                 " bytes of data but the file has only " + std::to_string(m_size));
        if (entry.localHeaderOffset > m_size || m_size - entry.localHeaderOffset < kLocalHeaderSize)
            fail("corrupt or truncated zip archive: entry " + entryName(entry.name) + " starts at offset " +
                 std::to_string(entry.localHeaderOffset) + " but the file has only " + std::to_string(m_size) + " bytes");
        if (!m_index.emplace(entry.name, m_entries.size()).second)
            fail("corrupt zip archive: two entries are named " + entryName(entry.name));
        m_entries.push_back(std::move(entry));
        pos += kCentralHeaderSize + nameLength + extraLength + commentLength;
    }
}

void ZipArchive::claimRange(const ZipEntry& entry, std::uint64_t dataEnd) {
    const std::uint64_t start = entry.localHeaderOffset;
    const auto next = m_claimedRanges.lower_bound(start);
    if (next != m_claimedRanges.end() && next->first == start && next->second == std::make_pair(dataEnd, entry.name))
        return; // the same entry read again
    const auto overlaps = [&](const auto& claimed) {
        return claimed.first < dataEnd && start < claimed.second.first;
    };
    if ((next != m_claimedRanges.end() && overlaps(*next)) ||
        (next != m_claimedRanges.begin() && overlaps(*std::prev(next)))) {
        const auto& other = next != m_claimedRanges.end() && overlaps(*next) ? *next : *std::prev(next);
        fail("corrupt zip archive: the data of entries " + entryName(entry.name) + " and " + entryName(other.second.second) +
             " overlap (bytes " + std::to_string(std::max(start, other.first)) + " to " +
             std::to_string(std::min(dataEnd, other.second.first)) + ")");
    }
    m_claimedRanges.emplace(start, std::make_pair(dataEnd, entry.name));
}

const ZipEntry* ZipArchive::find(const std::string& name) const {
    const auto it = m_index.find(name);
    return it == m_index.end() ? nullptr : &m_entries[it->second];
}

std::uint64_t ZipArchive::dataOffset(const ZipEntry& entry) {
    std::uint8_t header[kLocalHeaderSize];
    m_source.read(entry.localHeaderOffset, sizeof header, header);
    if (u32(header) != kLocalHeaderSignature)
        fail("corrupt zip archive: no local header for entry " + entryName(entry.name) + " at offset " +
             std::to_string(entry.localHeaderOffset) + " (found " + hex32(u32(header)) + ")");
    // The local header's own name and extra lengths count (PyTorch pads the extra field so that
    // data is 64-byte aligned); its sizes may be zero because PyTorch writes data descriptors, so
    // the central directory's sizes are the ones used.
    const std::uint64_t nameLength = u16(header + 26);
    const std::uint64_t extraLength = u16(header + 28);
    const std::uint64_t headerEnd = entry.localHeaderOffset + kLocalHeaderSize;
    if (m_size - headerEnd < nameLength + extraLength)
        fail("truncated zip archive: the local header of entry " + entryName(entry.name) + " runs past the end of the file");
    if (nameLength != entry.name.size())
        fail("corrupt zip archive: the local header at offset " + std::to_string(entry.localHeaderOffset) +
             " names a different entry than the central directory's " + entryName(entry.name));
    std::string localName(entry.name.size(), '\0');
    m_source.read(headerEnd, localName.size(), reinterpret_cast<std::uint8_t*>(localName.data()));
    if (localName != entry.name)
        fail("corrupt zip archive: the local header at offset " + std::to_string(entry.localHeaderOffset) + " names " +
             entryName(localName) + ", the central directory " + entryName(entry.name));
    const std::uint64_t data = headerEnd + nameLength + extraLength;
    if (m_size - data < entry.compressedSize)
        fail("truncated zip archive: entry " + entryName(entry.name) + " needs " + std::to_string(entry.compressedSize) +
             " bytes at offset " + std::to_string(data) + " but the file ends at " + std::to_string(m_size));
    claimRange(entry, data + entry.compressedSize);
    return data;
}

std::shared_ptr<StorageBuffer> ZipArchive::read(const ZipEntry& entry) {
    if (entry.flags & 0x1)
        fail("entry " + entryName(entry.name) + " is encrypted; encrypted zip archives are not supported");
    if (entry.method != 0 && entry.method != 8)
        fail("entry " + entryName(entry.name) + " uses compression method " + std::to_string(entry.method) +
             "; only stored (0) and deflate (8) are supported");
    if (entry.method == 0 && entry.compressedSize != entry.uncompressedSize)
        fail("corrupt zip archive: stored entry " + entryName(entry.name) + " has " +
             std::to_string(entry.compressedSize) + " bytes of data but declares " +
             std::to_string(entry.uncompressedSize) + " uncompressed");
    if (entry.method == 8 && entry.uncompressedSize > saturatingMultiply(entry.compressedSize, kMaxDeflateRatio))
        fail("corrupt zip archive: entry " + entryName(entry.name) + " declares " + std::to_string(entry.uncompressedSize) +
             " bytes from " + std::to_string(entry.compressedSize) +
             " compressed, more than deflate's maximum ratio of 1032:1");
    const std::uint64_t budget = saturatingMultiply(m_size, kMaxDeflateRatio);
    if (entry.uncompressedSize > budget - std::min(budget, m_bytesDelivered))
        fail("corrupt zip archive: its entries add up to more data than a " + std::to_string(m_size) +
             "-byte archive can hold (overlapping entries?)");
    if (entry.uncompressedSize > m_materialisedLimit - std::min(m_materialisedLimit, m_bytesDelivered))
        fail("reading entry " + entryName(entry.name) + " (" + mebibytesText(entry.uncompressedSize) + " inflated) would take the " +
             "checkpoint past its memory budget of " + mebibytesText(m_materialisedLimit) + " (" +
             mebibytesText(m_bytesDelivered) + " read so far): the file size plus " +
             std::to_string(mebibytesFromEnvironment(kExtraVariable, kDefaultExtraMiB)) +
             " MiB (" + kExtraVariable + "), at most " + std::to_string(mebibytesFromEnvironment(kMaxVariable, kDefaultMaxMiB)) +
             " MiB (" + kMaxVariable + "); raise them to read a file that really holds this much");
    if (entry.uncompressedSize > std::numeric_limits<std::size_t>::max() / 2)
        fail("entry " + entryName(entry.name) + " is too large for this machine");

    const std::uint64_t offset = dataOffset(entry);
    std::shared_ptr<StorageBuffer> bytes;
    if (entry.method == 0) {
        bytes = std::make_shared<StorageBuffer>(static_cast<std::size_t>(entry.uncompressedSize));
        m_source.read(offset, bytes->size(), bytes->data());
    } else {
        // Deflated entries (torch.save stores, never deflates) grow as data arrives, then move
        // into a buffer of their exact size.
        std::vector<std::uint8_t> inflated;
        inflateInto(entry, offset, inflated);
        bytes = std::make_shared<StorageBuffer>(inflated.data(), inflated.data() + inflated.size());
    }
    m_bytesDelivered += bytes->size();

    // Fuzzing builds (the libFuzzer convention's macro) skip the check, so that mutated bytes
    // reach the pickle and tensor checks behind it instead of all stopping here.
#ifndef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
    // zlib's crc32 takes 32-bit lengths; feed large storages in pieces.
    uLong crc = crc32(0L, Z_NULL, 0);
    constexpr std::size_t kPiece = 1u << 30;
    for (std::size_t done = 0; done < bytes->size(); done += kPiece) {
        const std::size_t piece = std::min(kPiece, bytes->size() - done);
        crc = crc32(crc, bytes->data() + done, static_cast<uInt>(piece));
    }
    if (static_cast<std::uint32_t>(crc) != entry.crc32)
        fail("corrupt zip archive: CRC-32 mismatch in entry " + entryName(entry.name) + " (directory says " +
             hex32(entry.crc32) + ", data gives " + hex32(static_cast<std::uint32_t>(crc)) + ")");
#endif
    return bytes;
}

void ZipArchive::inflateInto(const ZipEntry& entry, std::uint64_t offset, std::vector<std::uint8_t>& out) {
    z_stream stream{};
    if (inflateInit2(&stream, -MAX_WBITS) != Z_OK) // raw deflate: zip entries carry no zlib header
        fail("cannot initialise zlib to inflate entry " + entryName(entry.name));
    struct InflateEnd {
        z_stream* stream;
        ~InflateEnd() { inflateEnd(stream); }
    } inflateEndGuard{&stream};

    const std::uint64_t declared = entry.uncompressedSize;
    const std::uint64_t compressed = entry.compressedSize;
    // The output grows as data actually arrives (up to the declared size), so a lying declared
    // size costs at most what the compressed bytes really produce.
    out.resize(static_cast<std::size_t>(std::min<std::uint64_t>(declared, 1u << 16)));
    std::vector<std::uint8_t> input(static_cast<std::size_t>(std::min<std::uint64_t>(compressed, 1u << 16)));
    std::uint64_t consumed = 0;
    std::size_t produced = 0;
    const auto where = [&] {
        return "entry " + entryName(entry.name) + " (" + std::to_string(produced) + " of " + std::to_string(declared) +
               " bytes inflated)";
    };

    for (;;) {
        if (stream.avail_in == 0 && consumed < compressed) {
            const std::size_t piece = static_cast<std::size_t>(std::min<std::uint64_t>(input.size(), compressed - consumed));
            m_source.read(offset + consumed, piece, input.data());
            consumed += piece;
            stream.next_in = input.data();
            stream.avail_in = static_cast<uInt>(piece);
        }
        bool probing = false;
        std::uint8_t probe = 0;
        if (produced == out.size()) {
            if (out.size() < declared) {
                const std::uint64_t grown = std::max<std::uint64_t>(out.size() * 2u, 1u << 16);
                out.resize(static_cast<std::size_t>(std::min<std::uint64_t>(declared, grown)));
            } else {
                probing = true; // every declared byte is there; the stream must end now
            }
        }
        if (probing) {
            stream.next_out = &probe;
            stream.avail_out = 1;
        } else {
            stream.next_out = out.data() + produced;
            stream.avail_out = static_cast<uInt>(std::min<std::size_t>(out.size() - produced, 1u << 30));
        }
        const uInt outBefore = stream.avail_out;
        const uInt inBefore = stream.avail_in;
        const int status = inflate(&stream, Z_NO_FLUSH);
        const std::size_t wrote = outBefore - stream.avail_out;
        if (probing && wrote > 0)
            fail("corrupt zip archive: " + where() + " inflates to more than its declared size");
        produced += probing ? 0 : wrote;
        if (status == Z_STREAM_END)
            break;
        if (status != Z_OK && status != Z_BUF_ERROR)
            fail("corrupt zip archive: invalid deflate data in " + where() + ": " +
                 (stream.msg ? stream.msg : "zlib error " + std::to_string(status)));
        if (wrote == 0 && stream.avail_in == inBefore) {
            if (stream.avail_in == 0 && consumed == compressed)
                fail("corrupt or truncated zip archive: the deflate data of " + where() + " ends early");
            fail("corrupt zip archive: inflating " + where() + " makes no progress");
        }
    }
    if (produced != declared)
        fail("corrupt zip archive: " + where() + " ends early; its directory entry declares " +
             std::to_string(declared) + " bytes");
}

} // namespace intermap::checkpoint::detail
