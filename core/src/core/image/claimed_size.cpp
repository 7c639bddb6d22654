#include "claimed_size.h"

#include "intermap/util/byte_order.h"

#include <cstdlib>

namespace intermap::image {
namespace {

using Bytes = std::string_view;

const std::uint8_t* at(Bytes bytes, std::size_t offset) { return reinterpret_cast<const std::uint8_t*>(bytes.data()) + offset; }

std::uint64_t bigEndian(Bytes bytes, std::size_t offset, std::size_t size) {
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < size; ++i)
        value = (value << 8) | at(bytes, offset)[i];
    return value;
}

// A TIFF's integers follow the byte order its first two bytes name.
std::uint64_t tiffInteger(Bytes bytes, std::size_t offset, std::size_t size, bool littleEndian) {
    return littleEndian ? util::loadLittleEndian(at(bytes, offset), size) : bigEndian(bytes, offset, size);
}

std::optional<ClaimedSize> pngSize(Bytes bytes) {
    // 8-byte signature, then the IHDR chunk: length (4), "IHDR", width (4), height (4), big-endian.
    if (bytes.size() < 24 || bytes.substr(12, 4) != "IHDR")
        return std::nullopt;
    return ClaimedSize{static_cast<std::int64_t>(bigEndian(bytes, 16, 4)), static_cast<std::int64_t>(bigEndian(bytes, 20, 4))};
}

std::optional<ClaimedSize> jpegSize(Bytes bytes) {
    // Segments after SOI until a start-of-frame marker (C0-CF but DHT C4, JPG C8, DAC CC), whose
    // payload is precision (1), height (2), width (2).
    std::size_t pos = 2;
    while (pos + 4 <= bytes.size()) {
        if (*at(bytes, pos) != 0xFF)
            return std::nullopt;
        const unsigned marker = *at(bytes, pos + 1);
        if (marker == 0xFF) { // fill byte
            ++pos;
            continue;
        }
        const std::size_t length = static_cast<std::size_t>(bigEndian(bytes, pos + 2, 2));
        const bool startOfFrame = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
        if (startOfFrame) {
            if (pos + 9 > bytes.size())
                return std::nullopt;
            return ClaimedSize{static_cast<std::int64_t>(bigEndian(bytes, pos + 7, 2)),
                               static_cast<std::int64_t>(bigEndian(bytes, pos + 5, 2))};
        }
        if (marker == 0xDA || length < 2)
            return std::nullopt; // scan data before any frame header: malformed
        pos += 2 + length;
    }
    return std::nullopt;
}

std::optional<ClaimedSize> bmpSize(Bytes bytes) {
    // 14-byte file header, then the info header: its size (4), then width and height, 16-bit
    // unsigned in the OS/2 core header (size 12), 32-bit signed otherwise (negative height = top-down).
    if (bytes.size() < 26)
        return std::nullopt;
    const std::uint64_t headerSize = util::loadLittleEndian(at(bytes, 14), 4);
    if (headerSize == 12)
        return ClaimedSize{static_cast<std::int64_t>(util::loadLittleEndian(at(bytes, 18), 2)),
                           static_cast<std::int64_t>(util::loadLittleEndian(at(bytes, 20), 2))};
    const auto width = static_cast<std::int32_t>(static_cast<std::uint32_t>(util::loadLittleEndian(at(bytes, 18), 4)));
    const auto height = static_cast<std::int32_t>(static_cast<std::uint32_t>(util::loadLittleEndian(at(bytes, 22), 4)));
    return ClaimedSize{std::llabs(static_cast<long long>(width)), std::llabs(static_cast<long long>(height))};
}

std::optional<ClaimedSize> tiffSize(Bytes bytes) {
    const bool littleEndian = bytes[0] == 'I';
    const bool bigTiff = tiffInteger(bytes, 2, 2, littleEndian) == 43;
    // Classic TIFF: IFD offset (4) at 4, entry count (2), 12-byte entries {tag 2, type 2, count 4, value 4}.
    // BigTIFF: IFD offset (8) at 8, entry count (8), 20-byte entries {tag 2, type 2, count 8, value 8}.
    const std::size_t offsetSize = bigTiff ? 8 : 4;
    const std::size_t countSize = bigTiff ? 8 : 2;
    const std::size_t entrySize = bigTiff ? 20 : 12;
    const std::size_t headerEnd = bigTiff ? 16 : 8;
    if (bytes.size() < headerEnd)
        return std::nullopt;
    const std::uint64_t directory = tiffInteger(bytes, bigTiff ? 8 : 4, offsetSize, littleEndian);
    if (directory > bytes.size() || bytes.size() - directory < countSize)
        return std::nullopt;
    const std::uint64_t entries = tiffInteger(bytes, directory, countSize, littleEndian);
    std::optional<std::int64_t> width;
    std::optional<std::int64_t> height;
    for (std::uint64_t i = 0; i < entries; ++i) {
        const std::uint64_t entry = directory + countSize + i * entrySize;
        if (entry > bytes.size() || bytes.size() - entry < entrySize)
            break;
        const std::uint64_t tag = tiffInteger(bytes, entry, 2, littleEndian);
        const std::uint64_t type = tiffInteger(bytes, entry + 2, 2, littleEndian);
        const std::size_t valueOffset = entry + 4 + (bigTiff ? 8 : 4);
        // SHORT (3), LONG (4) or LONG8 (16), stored left-justified in the value field.
        const std::size_t valueSize = type == 3 ? 2 : type == 4 ? 4 : type == 16 ? 8 : 0;
        if ((tag != 256 && tag != 257) || valueSize == 0 || valueSize > offsetSize)
            continue;
        const auto value = static_cast<std::int64_t>(tiffInteger(bytes, valueOffset, valueSize, littleEndian) &
                                                     0x7FFFFFFFFFFFFFFFull);
        (tag == 256 ? width : height) = value;
    }
    if (!width || !height)
        return std::nullopt;
    return ClaimedSize{*width, *height};
}

} // namespace

std::optional<ClaimedSize> claimedImageSize(std::string_view encoded) {
    using namespace std::string_view_literals;
    if (encoded.substr(0, 8) == "\x89PNG\r\n\x1a\n"sv)
        return pngSize(encoded);
    if (encoded.substr(0, 3) == "\xFF\xD8\xFF"sv)
        return jpegSize(encoded);
    if (encoded.substr(0, 2) == "BM"sv)
        return bmpSize(encoded);
    if (encoded.size() >= 4 && (encoded.substr(0, 2) == "II"sv || encoded.substr(0, 2) == "MM"sv))
        return tiffSize(encoded);
    return std::nullopt;
}

} // namespace intermap::image
