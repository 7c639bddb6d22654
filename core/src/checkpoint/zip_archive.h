#pragma once
// A deliberately small, distrustful zip reader for torch.save archives. Hand-rolled (not minizip
// or libzip) so that the whole path from file bytes to tensors can be fuzzed as one unit and so
// that every size and offset read from the file is checked before it is used. Supports what
// PyTorch writes (stored entries, Zip64 end records, data descriptors) plus deflated entries.
// Private to intermap_checkpoint.
#include "checkpoint/byte_source.h"
#include "intermap/model/checkpoint_format.h"

#include <cstdint>
#include <map>
#include <memory>
#include <utility>
#include <string>
#include <vector>

namespace intermap::checkpoint::detail {

struct ZipEntry {
    std::string name;
    std::uint16_t method = 0;          // 0 stored, 8 deflate; others are rejected when read
    std::uint16_t flags = 0;
    std::uint32_t crc32 = 0;
    std::uint64_t compressedSize = 0;
    std::uint64_t uncompressedSize = 0;
    std::uint64_t localHeaderOffset = 0;
};

class ZipArchive {
public:
    // Reads and checks the end records and the central directory (not the entries' data).
    // Throws CheckpointError(source.displayName(), reason) on anything malformed or truncated.
    explicit ZipArchive(ByteSource& source);

    const std::vector<ZipEntry>& entries() const { return m_entries; }
    const ZipEntry* find(const std::string& name) const;

    // Reads one entry into a new buffer of exactly uncompressedSize bytes (stored entries are
    // read straight into it, no intermediate copy) and verifies its CRC-32.
    std::shared_ptr<StorageBuffer> read(const ZipEntry& entry);

private:
    struct EndRecord {
        std::uint64_t entryCount = 0;
        std::uint64_t directorySize = 0;
        std::uint64_t directoryOffset = 0;
        std::uint64_t recordOffset = 0; // where the (32-bit) end record starts
    };

    EndRecord readEndRecord();
    void readZip64EndRecord(EndRecord& record, bool entryCountSaturated, bool sizeSaturated, bool offsetSaturated);
    void readCentralDirectory(const EndRecord& record);
    std::uint64_t dataOffset(const ZipEntry& entry);
    void claimRange(const ZipEntry& entry, std::uint64_t dataEnd);
    void inflateInto(const ZipEntry& entry, std::uint64_t offset, std::vector<std::uint8_t>& out);
    [[noreturn]] void fail(const std::string& reason) const;

    ByteSource& m_source;
    std::uint64_t m_size = 0;
    std::vector<ZipEntry> m_entries;
    std::map<std::string, std::size_t> m_index;
    // Bytes handed out so far. A valid archive's entries do not overlap, so their total cannot
    // exceed the file size (times deflate's best ratio); entries that overlap to multiply a small
    // file into gigabytes are refused.
    std::uint64_t m_bytesDelivered = 0;
    // At most this many bytes are handed out in all (materialisedBytesLimit): a checkpoint's
    // tensors never take much more memory than its file, whatever its entries declare.
    std::uint64_t m_materialisedLimit = 0;
    // The file ranges [local header, end of data) of the entries read so far, by start: a range
    // read twice under two names (overlapping entries) is refused.
    std::map<std::uint64_t, std::pair<std::uint64_t, std::string>> m_claimedRanges;
};

// The budget of bytes one checkpoint archive may inflate to: its file size plus
// INTERMAP_CHECKPOINT_EXTRA_MIB (default 256 MiB, what deflate can add to a real checkpoint),
// at most INTERMAP_CHECKPOINT_MAX_MIB (default 8 GiB; a ViT-g/14 file is about 4.4 GB).
// Throws UsageError naming a variable that is not a whole number of MiB.
std::uint64_t materialisedBytesLimit(std::uint64_t fileSize);

} // namespace intermap::checkpoint::detail
