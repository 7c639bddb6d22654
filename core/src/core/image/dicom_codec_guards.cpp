#include "dicom_codec_guards.h"

#include "intermap/util/errors.h"

#include <gdcmFragment.h>

#include <cstdint>
#include <string>

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

} // namespace intermap::image
