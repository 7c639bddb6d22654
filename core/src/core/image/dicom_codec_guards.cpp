#include "dicom_codec_guards.h"

#include "intermap/util/errors.h"

#include <gdcmFragment.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace intermap::image {

// GDCM 3.0.21's JPEG codec picks an 8-, 12- or 16-bit decoder by the precision of the stream's
// frame header and dereferences a null one for any other (a SEGV the fuzzer found with a precision
// of 72): each fragment that starts a JPEG stream is read up to its frame header, and a precision
// outside 1..16 is refused.
void checkJpegFramePrecision(const gdcm::SequenceOfFragments& fragments, const std::string& source) {
    for (gdcm::SequenceOfFragments::SizeType f = 0; f < fragments.GetNumberOfFragments(); ++f) {
        const gdcm::ByteValue* value = fragments.GetFragment(f).GetByteValue();
        if (!value || !value->GetPointer() || value->GetLength() < 4)
            continue;
        const auto* bytes = reinterpret_cast<const unsigned char*>(value->GetPointer());
        const std::size_t size = value->GetLength();
        if (bytes[0] != 0xFF || bytes[1] != 0xD8) // not the start of an image (a later fragment of one)
            continue;
        std::size_t at = 2;
        while (at + 4 < size && bytes[at] == 0xFF) {
            const unsigned char marker = bytes[at + 1];
            if (marker == 0xFF) { // fill byte
                ++at;
                continue;
            }
            if (marker == 0xDA) // start of scan: no frame header before it
                break;
            const bool frameHeader = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
            if (frameHeader) {
                const int precision = bytes[at + 4];
                if (precision < 1 || precision > 16)
                    throw ImageError(source, "JPEG frame header in Pixel Data fragment " + std::to_string(f) + " gives a precision of " +
                                                 std::to_string(precision) + " bits (a JPEG stream has 1 to 16)");
                break;
            }
            at += 2 + (static_cast<std::size_t>(bytes[at + 2]) << 8 | bytes[at + 3]);
        }
    }
}

// PS3.5 G.3.1: each frame's fragment starts with a 64-byte header, the number of segments (1 to
// 15) and their offsets, the first 64, in order, within the fragment. GDCM 3.0.21's RLE codec
// reads segments where the header says without checking (a SEGV the fuzzer found): a header that
// says otherwise is refused. (GDCM keeps the Basic Offset Table apart from the fragments.)
void checkRleSegmentOffsets(const gdcm::SequenceOfFragments& fragments, const std::string& source) {
    for (gdcm::SequenceOfFragments::SizeType f = 0; f < fragments.GetNumberOfFragments(); ++f) {
        const gdcm::ByteValue* value = fragments.GetFragment(f).GetByteValue();
        const std::size_t size = value && value->GetPointer() ? static_cast<std::size_t>(value->GetLength()) : 0;
        const auto* bytes = size > 0 ? reinterpret_cast<const unsigned char*>(value->GetPointer()) : nullptr;
        const auto word = [&](std::size_t index) {
            const unsigned char* at = bytes + 4 * index;
            return static_cast<std::uint32_t>(at[0] | at[1] << 8 | at[2] << 16) | static_cast<std::uint32_t>(at[3]) << 24;
        };
        const auto refuse = [&](const std::string& what) {
            throw ImageError(source, "RLE Lossless fragment " + std::to_string(f) + ": " + what);
        };
        if (size < 64)
            refuse("shorter than its 64-byte header (" + std::to_string(size) + " bytes)");
        const std::uint32_t segments = word(0);
        if (segments < 1 || segments > 15)
            refuse("its header gives " + std::to_string(segments) + " segments (1 to 15)");
        std::uint32_t previous = 64;
        for (std::uint32_t i = 1; i <= segments; ++i) {
            const std::uint32_t offset = word(i);
            if ((i == 1 && offset != 64) || offset < previous || offset >= size)
                refuse("segment " + std::to_string(i) + " starts at " + std::to_string(offset) + ", outside its " +
                       std::to_string(size) + " bytes or out of order");
            previous = offset;
        }
    }
}

namespace {

// The bytes of a JPEG 2000 frame that starts in fragment `first`: that fragment's bytes from
// `offset`, followed by the next fragments' while fewer than `needed` are at hand (an encoder may
// cut a frame anywhere, in principle inside its main header).
std::string frameHeaderBytes(const gdcm::SequenceOfFragments& fragments, gdcm::SequenceOfFragments::SizeType first,
                             std::size_t offset, std::size_t needed) {
    std::string bytes;
    for (auto f = first; f < fragments.GetNumberOfFragments() && bytes.size() < needed; ++f) {
        const gdcm::ByteValue* value = fragments.GetFragment(f).GetByteValue();
        if (!value || !value->GetPointer())
            break;
        const std::size_t skip = f == first ? offset : 0;
        if (value->GetLength() > skip)
            bytes.append(value->GetPointer() + skip, std::min<std::size_t>(value->GetLength() - skip, needed - bytes.size()));
    }
    return bytes;
}

std::uint32_t bigEndian(std::string_view bytes, std::size_t at, int width) {
    std::uint32_t value = 0;
    for (int i = 0; i < width; ++i)
        value = value << 8 | static_cast<unsigned char>(bytes[at + static_cast<std::size_t>(i)]);
    return value;
}

constexpr char kCodestreamStart[] = "\xFF\x4F\xFF\x51"; // SOC, then SIZ (ISO 15444-1 A.4.1, A.5.1)
constexpr char kJp2Signature[] = "\x00\x00\x00\x0C\x6A\x50\x20\x20\x0D\x0A\x87\x0A";

// Where the codestream starts in a fragment that starts a frame: 0 for a bare codestream, the
// contents of the top-level 'jp2c' box of a JP2 file; npos for a fragment that starts no frame.
std::size_t codestreamOffset(const char* bytes, std::size_t size) {
    if (size >= 4 && std::memcmp(bytes, kCodestreamStart, 4) == 0)
        return 0;
    if (size < sizeof kJp2Signature - 1 || std::memcmp(bytes, kJp2Signature, sizeof kJp2Signature - 1) != 0)
        return std::string::npos;
    const std::string_view file(bytes, size);
    std::size_t at = 0;
    while (at + 8 <= size) { // ISO 15444-1 I.4: LBox, TBox[, XLBox], contents
        std::uint64_t length = bigEndian(file, at, 4);
        std::size_t header = 8;
        if (length == 1 && at + 16 <= size) {
            length = std::uint64_t(bigEndian(file, at + 8, 4)) << 32 | bigEndian(file, at + 12, 4);
            header = 16;
        }
        if (file.compare(at + 4, 4, "jp2c") == 0)
            return at + header;
        if (length < header || length > size - at) // 0 ("to the end") or a broken length: no codestream after it
            break;
        at += static_cast<std::size_t>(length);
    }
    return size; // a JP2 file without its codestream box in this fragment
}

} // namespace

// GDCM 3.0.21's JPEG 2000 codec sizes its output from the data set (Columns x Rows x Samples per
// Pixel x Bits Allocated) and copies whatever image OpenJPEG decodes into it, with samples as wide
// as the stream's precision needs (8, 16 or 32 bits): a stream larger or with wider samples than
// the data set's writes past that buffer (fuzz_dicom: heap corruption that crashed later or not at
// all, depending on what the process had allocated before); a component count other than Samples
// per Pixel fails an assertion. Each frame's main header (SIZ) is read and must agree with the data set.
void checkJpeg2000Geometry(const gdcm::SequenceOfFragments& fragments, const Jpeg2000Expectation& expected,
                           const std::string& source) {
    for (gdcm::SequenceOfFragments::SizeType f = 0; f < fragments.GetNumberOfFragments(); ++f) {
        const gdcm::ByteValue* value = fragments.GetFragment(f).GetByteValue();
        if (!value || !value->GetPointer())
            continue;
        const std::size_t offset = codestreamOffset(value->GetPointer(), value->GetLength());
        if (offset == std::string::npos) // not the start of a frame (a later fragment of one)
            continue;
        const auto refuse = [&](const std::string& what) {
            throw ImageError(source, "JPEG 2000 codestream in Pixel Data fragment " + std::to_string(f) + ": " + what);
        };
        if (offset >= value->GetLength())
            refuse("a JP2 file with no codestream box ('jp2c') in this fragment");
        constexpr std::size_t kFixedPart = 42; // SOC, SIZ's marker, Lsiz, Rsiz, 8 sizes and offsets, Csiz
        std::string header = frameHeaderBytes(fragments, f, offset, kFixedPart);
        if (header.size() < kFixedPart || header.compare(0, 4, kCodestreamStart, 4) != 0)
            refuse("no complete image and tile size marker (SIZ) at its start");
        const std::uint32_t components = bigEndian(header, 40, 2);
        header = frameHeaderBytes(fragments, f, offset, kFixedPart + 3 * std::size_t(components));
        if (header.size() < kFixedPart + 3 * std::size_t(components))
            refuse("its SIZ marker is cut short");
        if (components != static_cast<std::uint32_t>(expected.samplesPerPixel))
            refuse(std::to_string(components) + " components, the data set's Samples per Pixel is " +
                   std::to_string(expected.samplesPerPixel));
        const std::uint64_t width = bigEndian(header, 8, 4), height = bigEndian(header, 12, 4);
        const std::uint64_t left = bigEndian(header, 16, 4), top = bigEndian(header, 20, 4);
        for (std::uint32_t c = 0; c < components; ++c) {
            const std::size_t at = kFixedPart + 3 * std::size_t(c);
            const int precision = static_cast<int>(bigEndian(header, at, 1) & 0x7F) + 1;
            const std::uint64_t stepX = bigEndian(header, at + 1, 1), stepY = bigEndian(header, at + 2, 1);
            if (stepX == 0 || stepY == 0 || left > width || top > height)
                refuse("component " + std::to_string(c) + " has no valid size (a zero sampling step or an offset past the image)");
            const auto ceilDiv = [](std::uint64_t a, std::uint64_t b) { return (a + b - 1) / b; };
            const std::uint64_t columns = ceilDiv(width, stepX) - ceilDiv(left, stepX);
            const std::uint64_t rows = ceilDiv(height, stepY) - ceilDiv(top, stepY);
            if (columns != static_cast<std::uint64_t>(expected.columns) || rows != static_cast<std::uint64_t>(expected.rows))
                refuse("component " + std::to_string(c) + " is " + std::to_string(columns) + " x " + std::to_string(rows) +
                       " pixels, the data set's Columns x Rows are " + std::to_string(expected.columns) + " x " +
                       std::to_string(expected.rows));
            const int decodedBits = precision <= 8 ? 8 : precision <= 16 ? 16 : 32; // GDCM's copy: 1, 2 or 4 bytes a sample
            if (decodedBits > expected.bitsAllocated)
                refuse("component " + std::to_string(c) + " has " + std::to_string(precision) + "-bit samples, decoded as " +
                       std::to_string(decodedBits) + "-bit values: wider than the data set's Bits Allocated (" +
                       std::to_string(expected.bitsAllocated) + ")");
        }
    }
}

} // namespace intermap::image
