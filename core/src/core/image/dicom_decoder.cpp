#include "dicom_decoder.h"
#include "dicom_codec_guards.h"
#include "dicom_prescan.h"
#include "voi_window.h"

#include "intermap/util/errors.h"

#include <gdcmByteValue.h>
#include <gdcmDataSet.h>
#include <gdcmExplicitImplicitDataElement.h>
#include <gdcmImage.h>
#include <gdcmPhotometricInterpretation.h>
#include <gdcmReader.h>
#include <gdcmSequenceOfItems.h>
#include <gdcmStringFilter.h>
#include <gdcmTrace.h>
#include <gdcmTransferSyntax.h>
#include <gdcmUIDs.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <istream>
#include <limits>
#include <new>
#include <mutex>
#include <streambuf>

namespace intermap::image {
namespace {

// GDCM reads from a std::istream; this one reads the caller's bytes in place (no copy of a
// possibly large file), supports the seeks GDCM makes, and notices truncation: GDCM accepts a
// Pixel Data element shorter than its value length ("use file at own risk") and reports the
// claimed length, so a cut file would decode with garbage at its end.
class MemoryStreamBuffer : public std::streambuf {
public:
    explicit MemoryStreamBuffer(std::string_view bytes) {
        char* begin = const_cast<char*>(bytes.data()); // only ever read: no put area is set
        setg(begin, begin, begin + bytes.size());
    }
    // A read asked for more bytes than were left: cut inside a value, or a value that claims more
    // than the file holds. At the exact end, asking for up to 4 bytes is GDCM probing for a next
    // tag, which is how every complete file ends.
    bool readPastEnd() const { return m_readPastEnd; }

protected:
    std::streamsize xsgetn(char* destination, std::streamsize count) override {
        const std::streamsize available = egptr() - gptr();
        if (count > available && (available > 0 || count > 4))
            m_readPastEnd = true;
        const std::streamsize copied = std::min(count, available);
        if (copied > 0) {
            std::copy(gptr(), gptr() + copied, destination);
            gbump(static_cast<int>(copied)); // copied <= available, which fits: files are below 2 GB (image_io.cpp)
        }
        return copied;
    }

    pos_type seekoff(off_type offset, std::ios_base::seekdir direction, std::ios_base::openmode which) override {
        if (!(which & std::ios_base::in))
            return pos_type(off_type(-1));
        const off_type size = egptr() - eback();
        const off_type base = direction == std::ios_base::beg ? 0 : direction == std::ios_base::cur ? gptr() - eback() : size;
        if (offset > size || offset < -size || base + offset < 0 || base + offset > size)
            return pos_type(off_type(-1));
        setg(eback(), eback() + base + offset, egptr());
        return pos_type(base + offset);
    }
    pos_type seekpos(pos_type position, std::ios_base::openmode which) override {
        return seekoff(off_type(position), std::ios_base::beg, which);
    }

private:
    bool m_readPastEnd = false;
};

// GDCM reports through its global Trace, to std::cerr by default; our errors say it better.
void silenceGdcm() {
    static std::once_flag once;
    std::call_once(once, [] {
        gdcm::Trace::SetDebug(false);
        gdcm::Trace::SetWarning(false);
        gdcm::Trace::SetError(false);
    });
}

const gdcm::Tag kPixelData(0x7FE0, 0x0010);

std::string trimmed(std::string text) {
    const auto isPadding = [](char c) { return c == ' ' || c == '\0'; };
    while (!text.empty() && isPadding(text.back()))
        text.pop_back();
    std::size_t start = 0;
    while (start < text.size() && isPadding(text[start]))
        ++start;
    return text.substr(start);
}

std::vector<std::string> splitValues(const std::string& text) {
    std::vector<std::string> values;
    std::size_t start = 0;
    while (true) {
        const auto backslash = text.find('\\', start);
        values.push_back(trimmed(text.substr(start, backslash == std::string::npos ? std::string::npos : backslash - start)));
        if (backslash == std::string::npos)
            return values;
        start = backslash + 1;
    }
}

std::optional<double> parseNumber(const std::string& text) {
    const std::string value = trimmed(text);
    double parsed = 0;
    const char* begin = value.data() + (!value.empty() && value.front() == '+' ? 1 : 0);
    const auto [end, error] = std::from_chars(begin, value.data() + value.size(), parsed);
    if (value.empty() || error != std::errc() || end != value.data() + value.size() || !std::isfinite(parsed))
        return std::nullopt;
    return parsed;
}

// The attributes of the top-level data set, as text (GDCM's StringFilter turns binary US/SS values
// into decimal text whatever the transfer syntax's byte order).
class Attributes {
public:
    Attributes(const gdcm::File& file, std::string sourceName) : m_dataSet(file.GetDataSet()), m_source(std::move(sourceName)) {
        m_filter.SetFile(file);
    }
    bool has(const gdcm::Tag& tag) const { return m_dataSet.FindDataElement(tag) && !m_dataSet.GetDataElement(tag).IsEmpty(); }
    std::string text(const gdcm::Tag& tag) const { return has(tag) ? trimmed(m_filter.ToString(tag)) : std::string(); }
    // An integer attribute (first value); `fallback` when absent, an ImageError when malformed.
    long long integer(const gdcm::Tag& tag, const char* name, long long fallback) const {
        if (!has(tag))
            return fallback;
        const auto value = parseNumber(splitValues(text(tag)).front());
        if (!value || *value != std::floor(*value) || std::fabs(*value) > 1e15)
            throw ImageError(m_source, std::string("malformed ") + name + " '" + text(tag) + "'");
        return static_cast<long long>(*value);
    }
    std::vector<double> numbers(const gdcm::Tag& tag) const {
        std::vector<double> values;
        if (!has(tag))
            return values;
        for (const auto& value : splitValues(text(tag)))
            if (const auto number = parseNumber(value))
                values.push_back(*number);
        return values;
    }
    const gdcm::DataSet& dataSet() const { return m_dataSet; }

private:
    const gdcm::DataSet& m_dataSet;
    gdcm::StringFilter m_filter;
    std::string m_source;
};

// A LUT of an item of the Modality/VOI LUT Sequence (PS3.3 C.11.1/C.11.2): descriptor
// {entries (0 = 65536), first stored value mapped, bits per entry}, data as 16-bit words.
struct LookupTable {
    long long firstMapped = 0;
    int bits = 16;
    std::vector<std::uint16_t> entries;
    double lookUp(double value) const {
        const double index = std::clamp(std::round(value) - static_cast<double>(firstMapped), 0.0,
                                        static_cast<double>(entries.size() - 1));
        return entries[static_cast<std::size_t>(index)];
    }
};

std::uint16_t littleEndian16(const char* bytes) {
    return static_cast<std::uint16_t>(static_cast<unsigned char>(bytes[0]) | (static_cast<unsigned char>(bytes[1]) << 8));
}

std::optional<LookupTable> firstLookupTable(const gdcm::DataSet& dataSet, const gdcm::Tag& sequenceTag, bool signedSamples,
                                            const std::string& source, const char* name) {
    if (!dataSet.FindDataElement(sequenceTag))
        return std::nullopt;
    const gdcm::SmartPointer<gdcm::SequenceOfItems> sequence = dataSet.GetDataElement(sequenceTag).GetValueAsSQ();
    if (!sequence || sequence->GetNumberOfItems() == 0)
        return std::nullopt;
    const gdcm::DataSet& item = sequence->GetItem(1).GetNestedDataSet();
    const gdcm::Tag descriptorTag(0x0028, 0x3002);
    const gdcm::Tag dataTag(0x0028, 0x3006);
    const gdcm::ByteValue* descriptor = item.FindDataElement(descriptorTag) ? item.GetDataElement(descriptorTag).GetByteValue() : nullptr;
    const gdcm::ByteValue* data = item.FindDataElement(dataTag) ? item.GetDataElement(dataTag).GetByteValue() : nullptr;
    if (!descriptor || descriptor->GetLength() < 6 || !data || !descriptor->GetPointer() || !data->GetPointer())
        throw ImageError(source, std::string(name) + " has no usable LUT Descriptor and LUT Data");
    LookupTable table;
    const std::uint16_t count = littleEndian16(descriptor->GetPointer());
    const std::uint16_t first = littleEndian16(descriptor->GetPointer() + 2);
    table.firstMapped = signedSamples ? static_cast<std::int16_t>(first) : first;
    table.bits = littleEndian16(descriptor->GetPointer() + 4);
    const std::size_t entries = count == 0 ? 65536 : count;
    if (table.bits < 1 || table.bits > 16 || data->GetLength() < 2 * entries)
        throw ImageError(source, std::string(name) + ": LUT Data holds " + std::to_string(data->GetLength() / 2) +
                                     " entries of 16 bits, its descriptor says " + std::to_string(entries) +
                                     " entries of " + std::to_string(table.bits) + " bits");
    table.entries.resize(entries);
    for (std::size_t i = 0; i < entries; ++i)
        table.entries[i] = littleEndian16(data->GetPointer() + 2 * i);
    return table;
}

std::string uidName(const std::string& uid) {
    gdcm::UIDs known;
    if (!uid.empty() && known.SetFromUID(uid.c_str()) && known.GetName())
        return known.GetName();
    return {};
}

// The geometry and sample layout the decoder needs, checked before anything is decoded.
struct PixelLayout {
    long long rows = 0, columns = 0, frames = 1;
    int samplesPerPixel = 1, bitsAllocated = 0, bitsStored = 0, highBit = 0;
    bool signedSamples = false;
    int planarConfiguration = 0;
    std::string photometric;
};

PixelLayout readLayout(const Attributes& attributes, const std::string& source) {
    PixelLayout layout;
    layout.rows = attributes.integer(gdcm::Tag(0x0028, 0x0010), "Rows", 0);
    layout.columns = attributes.integer(gdcm::Tag(0x0028, 0x0011), "Columns", 0);
    layout.frames = attributes.integer(gdcm::Tag(0x0028, 0x0008), "Number of Frames", 1);
    layout.samplesPerPixel = static_cast<int>(attributes.integer(gdcm::Tag(0x0028, 0x0002), "Samples per Pixel", 1));
    layout.bitsAllocated = static_cast<int>(attributes.integer(gdcm::Tag(0x0028, 0x0100), "Bits Allocated", 0));
    layout.bitsStored = static_cast<int>(attributes.integer(gdcm::Tag(0x0028, 0x0101), "Bits Stored", layout.bitsAllocated));
    layout.highBit = static_cast<int>(attributes.integer(gdcm::Tag(0x0028, 0x0102), "High Bit", layout.bitsStored - 1));
    layout.signedSamples = attributes.integer(gdcm::Tag(0x0028, 0x0103), "Pixel Representation", 0) == 1;
    layout.planarConfiguration = static_cast<int>(attributes.integer(gdcm::Tag(0x0028, 0x0006), "Planar Configuration", 0));
    layout.photometric = attributes.text(gdcm::Tag(0x0028, 0x0004));
    if (layout.photometric.empty() && layout.samplesPerPixel == 1)
        layout.photometric = "MONOCHROME2"; // what the standard's retired images without it meant

    if (layout.rows <= 0 || layout.columns <= 0)
        throw ImageError(source, "DICOM image without a valid size (Rows " + std::to_string(layout.rows) + ", Columns " +
                                     std::to_string(layout.columns) + ")");
    if (layout.frames <= 0)
        throw ImageError(source, "DICOM Number of Frames is " + std::to_string(layout.frames));
    // In double: each factor is below 2^50 (integer() checks), and every product up to the cap is exact.
    const double claimedPixels = static_cast<double>(layout.rows) * static_cast<double>(layout.columns) * static_cast<double>(layout.frames);
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
    // The fuzzer's convention (tests/fuzz): a 5 KB input whose compressed frames claim 2^27 pixels
    // takes seconds to decode under ASan and teaches nothing; 2^20 keeps runs in milliseconds.
    if (claimedPixels > static_cast<double>(1 << 20))
        throw ImageError(source, "fuzzing build: more than 2^20 pixels");
#endif
    if (claimedPixels > static_cast<double>(kMaxImagePixels))
        throw ImageError(source, "DICOM header claims " + std::to_string(layout.columns) + " x " + std::to_string(layout.rows) +
                                     " pixels x " + std::to_string(layout.frames) + " frames, more than the limit of " +
                                     std::to_string(kMaxImagePixels) + " (2^28) pixels; refused before decoding");
    if (layout.samplesPerPixel != 1 && layout.samplesPerPixel != 3)
        throw ImageError(source, "unsupported Samples per Pixel " + std::to_string(layout.samplesPerPixel) + " (expected 1 or 3)");
    if (layout.bitsAllocated != 1 && layout.bitsAllocated != 8 && layout.bitsAllocated != 16 && layout.bitsAllocated != 32)
        throw ImageError(source, "unsupported Bits Allocated " + std::to_string(layout.bitsAllocated) + " (expected 1, 8, 16 or 32)");
    if (layout.bitsStored < 1 || layout.bitsStored > layout.bitsAllocated || layout.highBit < layout.bitsStored - 1 ||
        layout.highBit >= layout.bitsAllocated)
        throw ImageError(source, "inconsistent Bits Stored " + std::to_string(layout.bitsStored) + " / High Bit " +
                                     std::to_string(layout.highBit) + " for Bits Allocated " + std::to_string(layout.bitsAllocated));
    const bool grey = layout.photometric == "MONOCHROME1" || layout.photometric == "MONOCHROME2";
    const bool palette = layout.photometric == "PALETTE COLOR";
    const bool colour = layout.photometric == "RGB" || layout.photometric == "YBR_FULL" || layout.photometric == "YBR_FULL_422" ||
                        layout.photometric == "YBR_RCT" || layout.photometric == "YBR_ICT";
    if (!grey && !palette && !colour)
        throw ImageError(source, "unsupported Photometric Interpretation '" + layout.photometric +
                                     "' (expected MONOCHROME1, MONOCHROME2, RGB, YBR_FULL, YBR_FULL_422 or PALETTE COLOR)");
    if ((colour ? 3 : 1) != layout.samplesPerPixel)
        throw ImageError(source, "Photometric Interpretation " + layout.photometric + " with " +
                                     std::to_string(layout.samplesPerPixel) + " samples per pixel");
    if (layout.bitsAllocated == 1 && !grey)
        throw ImageError(source, "1-bit samples are only defined for MONOCHROME images, not " + layout.photometric);
    return layout;
}

// Sample `index` (counted over the whole decoded buffer) as the stored value: the BitsStored bits
// ending at HighBit, sign-extended for Pixel Representation 1.
class SampleReader {
public:
    SampleReader(const std::vector<char>& buffer, const PixelLayout& layout) : m_buffer(buffer), m_layout(layout) {
        m_mask = layout.bitsStored >= 64 ? ~0ull : (1ull << layout.bitsStored) - 1;
        m_shift = layout.highBit + 1 - layout.bitsStored;
    }
    long long operator()(std::size_t index) const {
        std::uint64_t raw = 0;
        const auto* bytes = reinterpret_cast<const unsigned char*>(m_buffer.data());
        switch (m_layout.bitsAllocated) {
        case 1: // packed, least significant bit first, frames back to back (PS3.5 8.1.1)
            return (bytes[index / 8] >> (index % 8)) & 1u;
        case 8:
            raw = bytes[index];
            break;
        case 16: // GDCM's decoded buffer is little-endian whatever the transfer syntax
            raw = bytes[2 * index] | (static_cast<std::uint64_t>(bytes[2 * index + 1]) << 8);
            break;
        default:
            for (int b = 3; b >= 0; --b)
                raw = (raw << 8) | bytes[4 * index + static_cast<std::size_t>(b)];
            break;
        }
        const std::uint64_t stored = (raw >> m_shift) & m_mask;
        if (m_layout.signedSamples && ((stored >> (m_layout.bitsStored - 1)) & 1u))
            return static_cast<long long>(stored) - static_cast<long long>(m_mask) - 1;
        return static_cast<long long>(stored);
    }

private:
    const std::vector<char>& m_buffer;
    const PixelLayout& m_layout;
    std::uint64_t m_mask = 0;
    int m_shift = 0;
};

std::uint8_t roundTo8Bits(double value) { return static_cast<std::uint8_t>(std::lround(std::clamp(value, 0.0, 255.0))); }

void applyGreyRule(const Attributes& attributes, const PixelLayout& layout, const SampleReader& sample, std::size_t firstSample,
                   const ImageReadOptions& options, const std::string& source, DecodedDicom& out) {
    const std::size_t pixels = static_cast<std::size_t>(layout.rows * layout.columns);
    // Step 1: modality LUT.
    const auto modalityLut = firstLookupTable(attributes.dataSet(), gdcm::Tag(0x0028, 0x3000), layout.signedSamples, source,
                                              "Modality LUT Sequence");
    std::vector<double> values(pixels);
    for (std::size_t i = 0; i < pixels; ++i) {
        const double stored = static_cast<double>(sample(firstSample + i));
        values[i] = modalityLut ? modalityLut->lookUp(stored)
                                : stored * out.metadata.rescaleSlope + out.metadata.rescaleIntercept;
    }
    // Step 2: VOI.
    std::vector<double> windowed(pixels);
    const auto applyWindow = [&](double center, double width, const std::string& origin) {
        for (std::size_t i = 0; i < pixels; ++i)
            windowed[i] = linearWindow(values[i], center, width);
        out.voiApplied = "window " + formatWindowNumber(center) + "/" + formatWindowNumber(width) + " (" + origin + ")";
        out.voiWindow = DicomWindow{center, width, origin};
    };
    const auto applyMinMax = [&] {
        const auto [low, high] = std::minmax_element(values.begin(), values.end());
        for (std::size_t i = 0; i < pixels; ++i)
            windowed[i] = minMaxScale(values[i], *low, *high);
        out.voiApplied = "min-max " + formatWindowNumber(*low) + ".." + formatWindowNumber(*high);
        out.voiWindow = DicomWindow{minMaxWindowCenter(*low, *high), minMaxWindowWidth(*low, *high), "min-max"};
    };
    const DicomMetadata& metadata = out.metadata;
    if (options.window.kind == WindowChoice::Kind::NonZero) {
        out.rgb.resize(3 * pixels);
        for (std::size_t i = 0; i < pixels; ++i)
            out.rgb[3 * i] = out.rgb[3 * i + 1] = out.rgb[3 * i + 2] = values[i] != 0 ? 255 : 0;
        out.voiApplied = "non-zero = inside (mask)";
        return;
    }
    if (options.window.kind == WindowChoice::Kind::Explicit) {
        applyWindow(options.window.center, options.window.width, "--window");
    } else if (options.window.kind == WindowChoice::Kind::MinMax) {
        applyMinMax();
    } else if (!metadata.windows.empty() && metadata.windows.front().width >= 1) {
        applyWindow(metadata.windows.front().center, metadata.windows.front().width, "file");
    } else if (const auto voiLut = firstLookupTable(attributes.dataSet(), gdcm::Tag(0x0028, 0x3010), layout.signedSamples,
                                                    source, "VOI LUT Sequence")) {
        const double top = std::ldexp(1.0, voiLut->bits) - 1;
        for (std::size_t i = 0; i < pixels; ++i)
            windowed[i] = voiLut->lookUp(values[i]) / top * 255;
        out.voiApplied = "VOI LUT sequence (file)";
    } else {
        applyMinMax();
    }
    // Steps 3 and 4: MONOCHROME1 inverted after windowing, rounded, replicated.
    const bool invert = layout.photometric == "MONOCHROME1";
    out.rgb.resize(3 * pixels);
    for (std::size_t i = 0; i < pixels; ++i) {
        const std::uint8_t grey = roundTo8Bits(invert ? 255 - windowed[i] : windowed[i]);
        out.rgb[3 * i] = out.rgb[3 * i + 1] = out.rgb[3 * i + 2] = grey;
    }
}

void applyPalette(const Attributes& attributes, const PixelLayout& layout, const SampleReader& sample, std::size_t firstSample,
                  const std::string& source, DecodedDicom& out) {
    if (attributes.has(gdcm::Tag(0x0028, 0x1221)))
        throw ImageError(source, "segmented PALETTE COLOR lookup tables are not supported");
    const std::size_t pixels = static_cast<std::size_t>(layout.rows * layout.columns);
    out.rgb.resize(3 * pixels);
    for (int channel = 0; channel < 3; ++channel) {
        const gdcm::Tag descriptorTag(0x0028, static_cast<std::uint16_t>(0x1101 + channel));
        const gdcm::Tag dataTag(0x0028, static_cast<std::uint16_t>(0x1201 + channel));
        const auto descriptor = attributes.numbers(descriptorTag);
        const gdcm::ByteValue* data = attributes.has(dataTag) ? attributes.dataSet().GetDataElement(dataTag).GetByteValue() : nullptr;
        if (descriptor.size() != 3 || !data || !data->GetPointer())
            throw ImageError(source, "PALETTE COLOR image without a usable palette descriptor and data for channel " +
                                         std::to_string(channel));
        const std::size_t entries = descriptor[0] <= 0 ? 65536 : static_cast<std::size_t>(descriptor[0]);
        const double first = descriptor[1];
        const int bits = static_cast<int>(descriptor[2]);
        // 16-bit words per entry, except 8-bit tables some writers pack one entry per byte.
        const bool packedBytes = bits <= 8 && data->GetLength() == entries;
        if (bits < 1 || bits > 16 || (!packedBytes && data->GetLength() < 2 * entries))
            throw ImageError(source, "PALETTE COLOR data for channel " + std::to_string(channel) + " is shorter than its " +
                                         std::to_string(entries) + " entries");
        const double top = std::ldexp(1.0, bits) - 1;
        for (std::size_t i = 0; i < pixels; ++i) {
            const double index = std::clamp(static_cast<double>(sample(firstSample + i)) - first, 0.0,
                                            static_cast<double>(entries - 1));
            const auto at = static_cast<std::size_t>(index);
            const double entry = packedBytes ? static_cast<unsigned char>(data->GetPointer()[at])
                                             : littleEndian16(data->GetPointer() + 2 * at) & static_cast<unsigned>(top);
            out.rgb[3 * i + static_cast<std::size_t>(channel)] = roundTo8Bits(entry / top * 255);
        }
    }
}

void applyColour(const std::string& photometric, const PixelLayout& layout, int planarConfiguration, const SampleReader& sample,
                 std::size_t firstSample, DecodedDicom& out) {
    const std::size_t pixels = static_cast<std::size_t>(layout.rows * layout.columns);
    const double top = std::ldexp(1.0, layout.bitsStored) - 1;
    // YBR_FULL(_422) -> RGB with the coefficients of PS3.3 C.7.6.3.1.2 (ITU-R BT.601, full range).
    const bool ybr = photometric == "YBR_FULL" || photometric == "YBR_FULL_422";
    const double half = (top + 1) / 2;
    out.rgb.resize(3 * pixels);
    for (std::size_t i = 0; i < pixels; ++i) {
        double c[3];
        for (std::size_t s = 0; s < 3; ++s)
            c[s] = static_cast<double>(sample(firstSample + (planarConfiguration == 1 ? s * pixels + i : 3 * i + s)));
        if (ybr) {
            const double y = c[0], cb = c[1] - half, cr = c[2] - half;
            c[0] = y + 1.402 * cr;
            c[1] = y - 0.344136 * cb - 0.714136 * cr;
            c[2] = y + 1.772 * cb;
        }
        for (std::size_t s = 0; s < 3; ++s)
            out.rgb[3 * i + s] = roundTo8Bits(c[s] / top * 255);
    }
}

void checkSize(std::string_view encoded, const std::string& source) {
    if (encoded.empty())
        throw ImageError(source, "cannot decode image: the file is empty");
    if (encoded.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()))
        throw ImageError(source, "cannot decode image: file larger than 2 GB");
}

// The file meta group and then the data set as GDCM's last fallback reads a data set that mixes
// explicit and implicit VR elements (gdcm::Reader::InternalReadCommon does the same after its
// other readings failed). False when GDCM throws.
bool readAsExplicitOrImplicit(gdcm::Reader& reader, std::istream& stream, const DicomStructure& structure) {
    gdcm::File& file = reader.GetFile();
    try {
        stream.seekg(structure.hasPreamble ? 128 + 4 : 0);
        try {
            file.GetHeader().Read(stream); // needs the group length first
        } catch (const std::exception&) {
            file.GetHeader().Clear();
            stream.clear();
            stream.seekg(structure.hasPreamble ? 128 + 4 : 0);
            file.GetHeader().ReadCompat(stream);
        }
        stream.clear();
        stream.seekg(static_cast<std::streamoff>(structure.dataSetOffset));
        file.GetDataSet().Read<gdcm::ExplicitImplicitDataElement, gdcm::SwapperNoOp>(stream);
    } catch (const std::exception&) {
        return false;
    }
    return true;
}

DecodedDicom decodeWithGdcm(std::string_view encoded, const std::string& source, const ImageReadOptions& options,
                            const DicomStructure* structure) {
    silenceGdcm();
    checkSize(encoded, source);
    MemoryStreamBuffer streamBuffer(encoded);
    std::istream stream(&streamBuffer);
    gdcm::Reader reader;
    reader.SetStream(stream);
    bool read = false;
    try {
        read = structure && structure->readAsExplicitOrImplicit ? readAsExplicitOrImplicit(reader, stream, *structure) : reader.Read();
    } catch (const std::bad_alloc&) {
        // GDCM allocates each value at the length its header claims (up to 4 GB) before reading it.
        throw ImageError(source, "not a readable DICOM file: a data element claims more bytes than can be allocated "
                                 "(the file is probably corrupt)");
    }
    if (!read)
        throw ImageError(source, "not a readable DICOM file: the data set is truncated or corrupt");
    const gdcm::File& file = reader.GetFile();
    const Attributes attributes(file, source);

    DecodedDicom out;
    DicomMetadata& metadata = out.metadata;
    const gdcm::TransferSyntax transferSyntax = file.GetHeader().GetDataSetTransferSyntax();
    metadata.transferSyntaxUid = transferSyntax.GetString() ? transferSyntax.GetString() : "";
    metadata.transferSyntaxName = uidName(metadata.transferSyntaxUid);
    metadata.modality = attributes.text(gdcm::Tag(0x0008, 0x0060));
    if (!attributes.has(kPixelData)) {
        const std::string sopClass = attributes.text(gdcm::Tag(0x0008, 0x0016));
        const std::string sopName = uidName(sopClass);
        throw ImageError(source, "DICOM object without an image (no Pixel Data): " +
                                     (sopName.empty() ? "SOP class " + (sopClass.empty() ? std::string("unknown") : sopClass) : sopName) +
                                     (metadata.modality.empty() ? "" : ", modality " + metadata.modality));
    }
    const PixelLayout layout = readLayout(attributes, source);
    metadata.rows = static_cast<int>(layout.rows);
    metadata.columns = static_cast<int>(layout.columns);
    metadata.frames = static_cast<int>(layout.frames);
    metadata.samplesPerPixel = layout.samplesPerPixel;
    metadata.bitsAllocated = layout.bitsAllocated;
    metadata.bitsStored = layout.bitsStored;
    metadata.signedSamples = layout.signedSamples;
    metadata.photometricInterpretation = layout.photometric;
    const auto spacing = attributes.numbers(gdcm::Tag(0x0028, 0x0030));
    if (spacing.size() == 2) {
        metadata.rowSpacingMm = spacing[0];
        metadata.columnSpacingMm = spacing[1];
    }
    const auto centers = attributes.numbers(gdcm::Tag(0x0028, 0x1050));
    const auto widths = attributes.numbers(gdcm::Tag(0x0028, 0x1051));
    const auto explanations = splitValues(attributes.text(gdcm::Tag(0x0028, 0x1055)));
    for (std::size_t i = 0; i < std::min(centers.size(), widths.size()); ++i)
        metadata.windows.push_back({centers[i], widths[i], i < explanations.size() ? explanations[i] : std::string()});
    if (const auto slope = attributes.numbers(gdcm::Tag(0x0028, 0x1053)); !slope.empty())
        metadata.rescaleSlope = slope.front();
    if (const auto intercept = attributes.numbers(gdcm::Tag(0x0028, 0x1052)); !intercept.empty())
        metadata.rescaleIntercept = intercept.front();
    metadata.hasModalityLutSequence = attributes.has(gdcm::Tag(0x0028, 0x3000));
    metadata.hasVoiLutSequence = attributes.has(gdcm::Tag(0x0028, 0x3010));

    if (options.frame < 1 || options.frame > layout.frames)
        throw ImageError(source, "frame " + std::to_string(options.frame) + " requested, but the file has " +
                                     std::to_string(layout.frames) + (layout.frames == 1 ? " frame" : " frames") +
                                     " (numbered from 1)");

    // The pixel data is decoded by GDCM's codecs from an image described by the attributes read
    // above, not through gdcm::ImageReader: its modality-specific readers abort (an assert in
    // gdcmAttribute.h, live in Debian's build) on valid files such as a single-frame RT Dose
    // without Number of Frames.
    const std::size_t totalSamples = static_cast<std::size_t>(layout.rows * layout.columns * layout.frames) *
                                     static_cast<std::size_t>(layout.samplesPerPixel);
    const auto bytesFor = [&](std::size_t samples) {
        return layout.bitsAllocated == 1 ? (samples + 7) / 8 : samples * static_cast<std::size_t>(layout.bitsAllocated / 8);
    };
    const std::size_t decodedBytes = bytesFor(totalSamples);
    // Uncompressed YBR_FULL_422 stores Y Y Cb Cr per pair of pixels: 2 samples per pixel, not 3
    // (GDCM's decoded buffer has all 3 again).
    const std::size_t storedBytes = bytesFor(
        layout.photometric == "YBR_FULL_422" && !transferSyntax.IsEncapsulated() ? totalSamples / 3 * 2 : totalSamples);
    const gdcm::DataElement& pixelData = file.GetDataSet().GetDataElement(kPixelData);
    if (!transferSyntax.IsEncapsulated()) {
        // Only here is a read past the end certainly a cut value: a deflated data set is inflated
        // in blocks, and GDCM re-reads malformed headers with other strategies, both of which may
        // ask beyond the end of a complete file. A cut compressed stream fails in its codec.
        if (streamBuffer.readPastEnd() && transferSyntax != gdcm::TransferSyntax::DeflatedExplicitVRLittleEndian)
            throw ImageError(source, "truncated DICOM file: the Pixel Data (or an element before it) claims more bytes than the file holds");
        const gdcm::ByteValue* bytes = pixelData.GetByteValue();
        if (!bytes || bytes->GetLength() < storedBytes)
            throw ImageError(source, "truncated Pixel Data: " + std::to_string(bytes ? std::size_t(bytes->GetLength()) : 0) +
                                         " bytes, the image needs " + std::to_string(storedBytes));
    } else if (!pixelData.GetSequenceOfFragments()) {
        throw ImageError(source, "compressed transfer syntax " + metadata.transferSyntaxUid +
                                     " but the Pixel Data is not encapsulated in fragments");
    } else if (transferSyntax == gdcm::TransferSyntax::RLELossless) {
        checkRleSegmentOffsets(*pixelData.GetSequenceOfFragments(), source);
    } else if (transferSyntax == gdcm::TransferSyntax::JPEG2000Lossless || transferSyntax == gdcm::TransferSyntax::JPEG2000 ||
               transferSyntax == gdcm::TransferSyntax::JPEG2000Part2Lossless || transferSyntax == gdcm::TransferSyntax::JPEG2000Part2) {
        checkJpeg2000Frames(*pixelData.GetSequenceOfFragments(),
                            {layout.columns, layout.rows, layout.samplesPerPixel, layout.bitsAllocated}, source);
    } else if (transferSyntax.IsLossy() || transferSyntax == gdcm::TransferSyntax::JPEGLosslessProcess14 || // (JPEG 2000's, lossy too, above)
               transferSyntax == gdcm::TransferSyntax::JPEGLosslessProcess14_1) {
        checkJpegFramePrecision(*pixelData.GetSequenceOfFragments(), source);
    }
    // GDCM 3.0.21's RLE codec interleaves the byte segments of 16- and 32-bit colour samples in the
    // wrong order (pydicom's SC_rgb_rle_16bit.dcm comes out with its channels' bytes shuffled):
    // refused rather than shown in wrong colours.
    if (transferSyntax == gdcm::TransferSyntax::RLELossless && layout.samplesPerPixel == 3 && layout.bitsAllocated > 8)
        throw ImageError(source, "RLE Lossless colour with " + std::to_string(layout.bitsAllocated) +
                                     "-bit samples is not supported (GDCM 3.0 decodes it wrongly)");
    gdcm::Image image;
    image.SetNumberOfDimensions(layout.frames > 1 ? 3 : 2);
    image.SetDimension(0, static_cast<unsigned int>(layout.columns));
    image.SetDimension(1, static_cast<unsigned int>(layout.rows));
    if (layout.frames > 1)
        image.SetDimension(2, static_cast<unsigned int>(layout.frames));
    image.SetPixelFormat(gdcm::PixelFormat(static_cast<unsigned short>(layout.samplesPerPixel),
                                           static_cast<unsigned short>(layout.bitsAllocated),
                                           static_cast<unsigned short>(layout.bitsStored),
                                           static_cast<unsigned short>(layout.highBit),
                                           static_cast<unsigned short>(layout.signedSamples ? 1 : 0)));
    image.SetPhotometricInterpretation(gdcm::PhotometricInterpretation::GetPIType(layout.photometric.c_str()));
    if (layout.samplesPerPixel == 3)
        image.SetPlanarConfiguration(static_cast<unsigned int>(layout.planarConfiguration == 1 ? 1 : 0));
    image.SetTransferSyntax(transferSyntax);
    image.SetDataElement(pixelData);
    if (image.GetBufferLength() < decodedBytes)
        throw ImageError(source, "inconsistent image geometry (decoded size below Rows x Columns x Frames)");
    std::vector<char> buffer(image.GetBufferLength());
    bool decoded = false;
    try {
        decoded = image.GetBuffer(buffer.data());
    } catch (const std::exception& error) {
        throw ImageError(source, std::string("cannot decode the pixel data: ") + error.what());
    }
    if (!decoded) {
        const std::string name = metadata.transferSyntaxName.empty() ? "unknown" : metadata.transferSyntaxName;
        throw ImageError(source, "cannot decode the pixel data in transfer syntax " + metadata.transferSyntaxUid + " (" + name +
                                     "): unsupported or corrupt");
    }

    // Big-endian Pixel Data is OW: GDCM swaps it in 16-bit words, so a 32-bit sample still has its
    // two halves the wrong way round.
    if (transferSyntax.GetSwapCode() == gdcm::SwapCode::BigEndian && layout.bitsAllocated == 32)
        for (std::size_t i = 0; i + 3 < buffer.size(); i += 4) {
            std::swap(buffer[i], buffer[i + 2]);
            std::swap(buffer[i + 1], buffer[i + 3]);
        }
    const SampleReader sample(buffer, layout);
    const std::size_t frameSamples = static_cast<std::size_t>(layout.rows * layout.columns) * static_cast<std::size_t>(layout.samplesPerPixel);
    const std::size_t firstSample = static_cast<std::size_t>(options.frame - 1) * frameSamples;
    if (layout.photometric == "MONOCHROME1" || layout.photometric == "MONOCHROME2")
        applyGreyRule(attributes, layout, sample, firstSample, options, source, out);
    else if (layout.photometric == "PALETTE COLOR")
        applyPalette(attributes, layout, sample, firstSample, source, out);
    else // a codec may hand back another colour space than the file's (JPEG 2000's RCT/ICT: RGB)
        applyColour(trimmed(gdcm::PhotometricInterpretation::GetPIString(image.GetPhotometricInterpretation())), layout,
                    static_cast<int>(image.GetPlanarConfiguration()), sample, firstSample, out);
    return out;
}

} // namespace

DecodedDicom decodeDicom(std::string_view encoded, const std::string& source, const ImageReadOptions& options) {
    checkSize(encoded, source);
    // GDCM allocates what each header claims and aborts on some malformed layouts: the structure
    // is walked first (dicom_prescan.h), and only a file that walks cleanly reaches it.
    const DicomStructure structure = checkDicomStructure(encoded, source);
    return decodeWithGdcm(encoded, source, options, &structure);
}

DecodedDicom decodeDicomUnchecked(std::string_view encoded, const std::string& source, const ImageReadOptions& options) {
    return decodeWithGdcm(encoded, source, options, nullptr);
}

} // namespace intermap::image
