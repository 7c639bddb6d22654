#include "dicom_codec_guards.h"

#include "intermap/util/errors.h"

#include <gdcmFragment.h>

#include <cstdint>
#include <cstdio>
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

constexpr char kCodestreamStart[] = "\xFF\x4F\xFF\x51"; // SOC, then SIZ (ISO 15444-1 A.4.1, A.5.1)
constexpr char kJp2Signature[] = "\x00\x00\x00\x0C\x6A\x50\x20\x20\x0D\x0A\x87\x0A";

bool startsFrame(const gdcm::ByteValue* value) {
    if (!value || !value->GetPointer())
        return false;
    const std::string_view bytes(value->GetPointer(), value->GetLength());
    return bytes.substr(0, 4) == std::string_view(kCodestreamStart, 4) ||
           bytes.substr(0, sizeof kJp2Signature - 1) == std::string_view(kJp2Signature, sizeof kJp2Signature - 1);
}

// The JPEG 2000 frame that starts in fragment `first`: its bytes and those of the fragments after
// it up to the next that starts a frame (GDCM decodes a frame's fragments joined).
std::string frameBytes(const gdcm::SequenceOfFragments& fragments, gdcm::SequenceOfFragments::SizeType first) {
    std::string bytes;
    for (auto f = first; f < fragments.GetNumberOfFragments(); ++f) {
        const gdcm::ByteValue* value = fragments.GetFragment(f).GetByteValue();
        if (f > first && startsFrame(value))
            break;
        if (value && value->GetPointer())
            bytes.append(value->GetPointer(), value->GetLength());
    }
    return bytes;
}

std::uint64_t bigEndian(std::string_view bytes, std::size_t at, int width) {
    std::uint64_t value = 0;
    for (int i = 0; i < width; ++i)
        value = value << 8 | static_cast<unsigned char>(bytes[at + static_cast<std::size_t>(i)]);
    return value;
}

[[noreturn]] void refuseFrame(const std::string& source, std::size_t fragment, const std::string& what) {
    throw ImageError(source, "JPEG 2000 codestream in Pixel Data fragment " + std::to_string(fragment) + ": " + what);
}

// The codestream of a frame: the whole frame, or the contents of a JP2 file's 'jp2c' box. GDCM's
// own walk of the boxes before it (parsejp2_imp) follows each box's length without a bound, so
// every box up to the codestream must lie within the frame.
std::string_view codestreamOf(std::string_view frame, const std::string& source, std::size_t fragment) {
    if (frame.substr(0, 4) == std::string_view(kCodestreamStart, 4))
        return frame;
    std::size_t at = 0;
    while (at + 8 <= frame.size()) { // ISO 15444-1 I.4: LBox, TBox[, XLBox], contents
        std::uint64_t length = bigEndian(frame, at, 4);
        std::size_t header = 8;
        if (length == 1) {
            if (at + 16 > frame.size())
                break;
            length = bigEndian(frame, at + 8, 8);
            header = 16;
        }
        const bool codestream = frame.substr(at + 4, 4) == "jp2c";
        if (codestream && length == 0) // to the end of the file
            return frame.substr(at + header);
        if (length < header || length > frame.size() - at)
            refuseFrame(source, fragment, "JP2 box '" + std::string(frame.substr(at + 4, 4)) + "' at byte " + std::to_string(at) +
                                              " claims " + std::to_string(length) + " bytes, outside the frame's " +
                                              std::to_string(frame.size()));
        if (codestream)
            return frame.substr(at + header, static_cast<std::size_t>(length) - header);
        at += static_cast<std::size_t>(length);
    }
    refuseFrame(source, fragment, "a JP2 file without a codestream box ('jp2c')");
}

// GDCM's walk of the codestream's headers (parsej2k_imp) reads marker after marker up to the first
// start of data (SOD), skipping each segment by its length without a bound, and reads the 10th
// byte of a coding style segment (COD): every segment it skips must lie within the codestream.
void checkMarkerSegments(std::string_view codestream, const std::string& source, std::size_t fragment) {
    const auto withoutLength = [](std::uint64_t marker) {
        return (marker >= 0xFF30 && marker <= 0xFF3F) || marker == 0xFF4F || marker == 0xFF92 || marker == 0xFF93 ||
               marker == 0xFFD9; // reserved, SOC, EPH, SOD, EOC
    };
    std::size_t at = 0;
    while (at + 2 <= codestream.size()) {
        const std::uint64_t marker = bigEndian(codestream, at, 2);
        at += 2;
        if (withoutLength(marker)) {
            if (marker == 0xFF93)
                return;
            continue;
        }
        if (at + 2 > codestream.size())
            return;
        const std::uint64_t length = bigEndian(codestream, at, 2);
        if (length < 2)
            return; // where GDCM's walk stops too
        const std::size_t start = at - 2;
        at += 2;
        const std::size_t segment = static_cast<std::size_t>(length) - 2;
        const bool codingStyle = marker == 0xFF52;
        if (segment > codestream.size() - at || (codingStyle && at + 10 > codestream.size())) {
            char name[8];
            std::snprintf(name, sizeof name, "%04llX", static_cast<unsigned long long>(marker));
            refuseFrame(source, fragment, "the marker segment " + std::string(name) + " at byte " + std::to_string(start) +
                                              " runs past the codestream's end (" + std::to_string(codestream.size()) + " bytes)");
        }
        at += segment;
    }
}

} // namespace

// GDCM 3.0.21's JPEG 2000 codec sizes its output from the data set (Columns x Rows x Samples per
// Pixel x Bits Allocated) and copies whatever image OpenJPEG decodes into it, with samples as wide
// as the stream's precision needs (8, 16 or 32 bits): a stream larger or with wider samples than
// the data set's writes past that buffer (fuzz_dicom: heap corruption that crashed later or not at
// all, depending on what the process had allocated before); a component count other than Samples
// per Pixel fails an assertion. Its walks of the JP2 boxes and of the codestream's markers read
// wherever a corrupt length points (fuzz_dicom again: a read that crashed only while fuzzing).
// Each frame's boxes, main header (SIZ) and marker segments are checked first.
void checkJpeg2000Frames(const gdcm::SequenceOfFragments& fragments, const Jpeg2000Expectation& expected,
                         const std::string& source) {
    for (gdcm::SequenceOfFragments::SizeType f = 0; f < fragments.GetNumberOfFragments(); ++f) {
        if (!startsFrame(fragments.GetFragment(f).GetByteValue())) // a later fragment of a frame
            continue;
        const auto refuse = [&](const std::string& what) { refuseFrame(source, f, what); };
        const std::string frame = frameBytes(fragments, f);
        const std::string_view codestream = codestreamOf(frame, source, f);
        constexpr std::size_t kFixedPart = 42; // SOC, SIZ's marker, Lsiz, Rsiz, 8 sizes and offsets, Csiz
        if (codestream.size() < kFixedPart || codestream.substr(0, 4) != std::string_view(kCodestreamStart, 4))
            refuse("no complete image and tile size marker (SIZ) at its start");
        const std::uint64_t components = bigEndian(codestream, 40, 2);
        if (codestream.size() < kFixedPart + 3 * components)
            refuse("its SIZ marker is cut short");
        if (components != static_cast<std::uint64_t>(expected.samplesPerPixel))
            refuse(std::to_string(components) + " components, the data set's Samples per Pixel is " +
                   std::to_string(expected.samplesPerPixel));
        const std::uint64_t width = bigEndian(codestream, 8, 4), height = bigEndian(codestream, 12, 4);
        const std::uint64_t left = bigEndian(codestream, 16, 4), top = bigEndian(codestream, 20, 4);
        for (std::uint64_t c = 0; c < components; ++c) {
            const std::size_t at = kFixedPart + 3 * static_cast<std::size_t>(c);
            const int precision = static_cast<int>(bigEndian(codestream, at, 1) & 0x7F) + 1;
            const std::uint64_t stepX = bigEndian(codestream, at + 1, 1), stepY = bigEndian(codestream, at + 2, 1);
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
        checkMarkerSegments(codestream, source, f);
    }
}

} // namespace intermap::image
