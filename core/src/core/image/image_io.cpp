#include "intermap/image/image_io.h"

#include "claimed_size.h"
#include "voi_window.h"
#include "intermap/image/dicom.h"
#include "intermap/util/errors.h"
#include "intermap/util/file_io.h"
#include "intermap/util/image_files.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <array>
#include <charconv>
#include <cmath>
#include <limits>
#include <string>

namespace intermap::image {
namespace {

enum class Format { Png, Jpeg, Bmp, Tiff };

const char* formatName(Format format) {
    switch (format) {
    case Format::Png:
        return "PNG";
    case Format::Jpeg:
        return "JPEG";
    case Format::Bmp:
        return "BMP";
    case Format::Tiff:
        return "TIFF";
    }
    return "image";
}

bool startsWith(std::string_view bytes, std::string_view prefix) { return bytes.substr(0, prefix.size()) == prefix; }

// Only the four formats the project documents are accepted; OpenCV would also decode others
// (WebP, PNM, EXR, HDR, ...) with semantics nobody has checked against PIL.
Format sniffFormat(std::string_view bytes, const std::string& sourceName) {
    using namespace std::string_view_literals;
    if (startsWith(bytes, "\x89PNG\r\n\x1a\n"sv))
        return Format::Png;
    if (startsWith(bytes, "\xFF\xD8\xFF"sv))
        return Format::Jpeg;
    if (startsWith(bytes, "BM"sv))
        return Format::Bmp;
    if (startsWith(bytes, "II*\0"sv) || startsWith(bytes, "MM\0*"sv) || startsWith(bytes, "II+\0"sv) ||
        startsWith(bytes, "MM\0+"sv))
        return Format::Tiff;
    throw ImageError(sourceName, "cannot decode image: not a PNG, JPEG, BMP, TIFF or DICOM file (unrecognised signature)");
}

// libjpeg decodes a truncated file without failing: it warns and fills the missing rows with
// grey, which would silently feed a half-grey image to a model. PIL refuses such files ("image
// file is truncated"), and so do we: walk the marker structure, skipping every segment by its
// length and every entropy-coded scan by its byte stuffing, and require the end-of-image marker.
bool jpegReachesEndOfImage(std::string_view data) {
    const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
    const std::size_t size = data.size();
    std::size_t pos = 2; // after the start-of-image marker
    while (true) {
        // Like libjpeg's next_marker(): stray bytes before a marker are tolerated.
        while (pos < size && bytes[pos] != 0xFF)
            ++pos;
        while (pos < size && bytes[pos] == 0xFF)
            ++pos;
        if (pos >= size)
            return false;
        const unsigned marker = bytes[pos++];
        if (marker == 0xD9)
            return true;
        if (marker == 0x00 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8))
            continue; // no length field
        if (size - pos < 2)
            return false;
        const std::size_t length = (static_cast<std::size_t>(bytes[pos]) << 8) | bytes[pos + 1];
        if (length < 2 || length > size - pos)
            return false;
        pos += length;
        if (marker != 0xDA)
            continue;
        // Start of scan: entropy-coded data runs until a marker that is neither a stuffed
        // 0xFF00 nor a restart marker.
        while (true) {
            if (pos + 1 >= size)
                return false;
            if (bytes[pos] != 0xFF) {
                ++pos;
                continue;
            }
            const unsigned next = bytes[pos + 1];
            if (next == 0x00 || (next >= 0xD0 && next <= 0xD7)) {
                pos += 2;
                continue;
            }
            if (next == 0xFF) {
                ++pos;
                continue;
            }
            break;
        }
    }
}

// The decoded samples as OpenCV stores them: CV_8U or CV_16U, 1 to 4 channels, BGR(A) order,
// EXIF orientation not applied (imdecode applies it for every flag except exactly
// IMREAD_UNCHANGED; IMREAD_UNCHANGED | IMREAD_IGNORE_ORIENTATION is the same value, -1).
cv::Mat decodeRaw(std::string_view encoded, const std::string& sourceName) {
    if (encoded.empty())
        throw ImageError(sourceName, "cannot decode image: the file is empty");
    const Format format = sniffFormat(encoded, sourceName);
    if (format == Format::Jpeg && !jpegReachesEndOfImage(encoded))
        throw ImageError(sourceName, "cannot decode image: JPEG data is truncated or corrupt (no end-of-image marker)");
    if (encoded.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()))
        throw ImageError(sourceName, "cannot decode image: file larger than 2 GB");
    if (const auto claimed = claimedImageSize(encoded); claimed && claimed->pixels() > kMaxImagePixels)
        throw ImageError(sourceName, std::string(formatName(format)) + " header claims " + std::to_string(claimed->width) +
                                         " x " + std::to_string(claimed->height) + " pixels, more than the limit of " +
                                         std::to_string(kMaxImagePixels) + " (2^28); refused before decoding");

    const cv::Mat buffer(1, static_cast<int>(encoded.size()), CV_8UC1,
                         const_cast<char*>(encoded.data())); // imdecode only reads it
    cv::Mat decoded;
    try {
        decoded = cv::imdecode(buffer, cv::IMREAD_UNCHANGED);
    } catch (const cv::Exception& error) {
        throw ImageError(sourceName, std::string("cannot decode image: corrupt ") + formatName(format) + " data (" +
                                         error.err + ")");
    }
    if (decoded.empty())
        throw ImageError(sourceName, std::string("cannot decode image: corrupt or truncated ") + formatName(format) +
                                         " data, or an unsupported variant of " + formatName(format));
    if (decoded.depth() != CV_8U && decoded.depth() != CV_16U)
        throw ImageError(sourceName, "unsupported sample type (" + std::string(formatName(format)) +
                                         " with floating-point or 32-bit samples); expected 8 or 16 bits per channel");
    if (decoded.channels() < 1 || decoded.channels() > 4)
        throw ImageError(sourceName, "unsupported number of channels: " + std::to_string(decoded.channels()));
    return decoded;
}

// round(v * 255 / 65535) = v / 257 rounded; v / 257 is never exactly halfway, so the
// rounding direction of ties does not matter.
const std::array<std::uint8_t, 65536>& sixteenToEightBitTable() {
    static const auto table = [] {
        std::array<std::uint8_t, 65536> values{};
        for (std::uint32_t v = 0; v < values.size(); ++v)
            values[v] = static_cast<std::uint8_t>((2 * v * 255 + 65535) / (2 * 65535));
        return values;
    }();
    return table;
}

// Every 16-bit sample mapped to 8 bits by `narrow`, channels kept.
template <typename Narrow>
cv::Mat narrowTo8Bit(const cv::Mat& sixteen, Narrow narrow) {
    cv::Mat eight(sixteen.size(), CV_MAKETYPE(CV_8U, sixteen.channels()));
    const int valuesPerRow = sixteen.cols * sixteen.channels();
    for (int y = 0; y < sixteen.rows; ++y) {
        const auto* in = sixteen.ptr<std::uint16_t>(y);
        auto* out = eight.ptr<std::uint8_t>(y);
        for (int i = 0; i < valuesPerRow; ++i)
            out[i] = narrow(in[i]);
    }
    return eight;
}

cv::Mat scaleTo8Bit(const cv::Mat& sixteen) {
    const auto& table = sixteenToEightBitTable();
    return narrowTo8Bit(sixteen, [&table](std::uint16_t v) { return table[v]; });
}

cv::Mat highByte(const cv::Mat& sixteen) {
    return narrowTo8Bit(sixteen, [](std::uint16_t v) { return static_cast<std::uint8_t>(v >> 8); });
}

cv::Mat firstChannel(const cv::Mat& image) {
    cv::Mat channel;
    cv::extractChannel(image, channel, 0);
    return channel;
}

// DICOM is recognised by its Part 10 prefix, or by a .dcm/.dicom name (files written without the
// 128-byte preamble, which GDCM still reads).
bool isDicom(std::string_view encoded, const std::string& sourceName) {
    return util::hasDicomPrefix(encoded) || util::isDicomFileName(sourceName);
}

} // namespace

WindowChoice parseWindowChoice(std::string_view text) {
    const std::string value(text);
    if (value == "minmax")
        return WindowChoice{WindowChoice::Kind::MinMax, 0, 0};
    if (value == "file")
        return WindowChoice{};
    const auto comma = value.find(',');
    const auto fail = [&] {
        throw UsageError("--window must be 'C,W' (centre and width in the image's rescaled units, width >= 1), 'minmax' or 'file', got '" +
                         value + "'");
    };
    if (comma == std::string::npos)
        fail();
    const std::string centreText = value.substr(0, comma);
    const std::string widthText = value.substr(comma + 1);
    // from_chars, not strtod: Qt applications run under the user's locale, where "40.5" may not parse.
    const auto parseNumber = [&](const std::string& number) {
        double parsed = 0;
        const auto [end, error] = std::from_chars(number.data(), number.data() + number.size(), parsed);
        if (number.empty() || error != std::errc() || end != number.data() + number.size() || !std::isfinite(parsed))
            fail();
        return parsed;
    };
    const double centre = parseNumber(centreText);
    const double width = parseNumber(widthText);
    if (width < 1)
        fail();
    return WindowChoice{WindowChoice::Kind::Explicit, centre, width};
}

std::string formatWindowChoice(const WindowChoice& window) {
    switch (window.kind) {
    case WindowChoice::Kind::MinMax:
        return "minmax";
    case WindowChoice::Kind::NonZero:
        return "nonzero";
    case WindowChoice::Kind::Explicit: {
        // Shortest text that parses back to the same doubles, in the C locale whatever the user's.
        std::array<char, 64> buffer{};
        auto [centreEnd, centreError] = std::to_chars(buffer.data(), buffer.data() + 30, window.center);
        *centreEnd = ',';
        auto [widthEnd, widthError] = std::to_chars(centreEnd + 1, buffer.data() + buffer.size(), window.width);
        (void)centreError;
        (void)widthError;
        return std::string(buffer.data(), widthEnd);
    }
    case WindowChoice::Kind::FromFile:
        break;
    }
    return "file";
}

namespace {

// A 16-bit grey image (PNG, TIFF) to 8 bits with the window asked for, as DICOM's VOI step: the
// file's own rule is "as stored" (v * 255 / 65535, which is the linear window 32768/65536, what
// intermap has always done), `minmax` scales the image's range, `C,W` is the linear window.
// Sets `shown` to the window applied, for the GUI's window/level.
cv::Mat windowSixteenBitGrey(const cv::Mat& grey, const WindowChoice& window, DescribedImage* shown) {
    DicomWindow applied{32768, 65536, "as stored"};
    cv::Mat eight;
    if (window.kind == WindowChoice::Kind::Explicit) {
        applied = {window.center, window.width, "--window"};
        eight = narrowTo8Bit(grey, [&applied](std::uint16_t v) {
            return static_cast<std::uint8_t>(std::lround(linearWindow(v, applied.center, applied.width)));
        });
    } else if (window.kind == WindowChoice::Kind::MinMax) {
        double low = 0, high = 0;
        cv::minMaxLoc(grey, &low, &high);
        applied = {minMaxWindowCenter(low, high), minMaxWindowWidth(low, high), "min-max"};
        eight = narrowTo8Bit(grey, [low, high](std::uint16_t v) {
            return static_cast<std::uint8_t>(std::lround(minMaxScale(v, low, high)));
        });
    } else {
        eight = scaleTo8Bit(grey);
    }
    if (shown) {
        shown->voiApplied = "16-bit grey, window " + formatWindowNumber(applied.center) + "/" +
                            formatWindowNumber(applied.width) + " (" + applied.explanation + ")";
        shown->voiWindow = std::move(applied);
    }
    return eight;
}

// Only DICOM files have frames: any other file asked for another frame than 1 is refused.
void requireSingleFrame(const std::string& sourceName, int frame) {
    if (frame != 1)
        throw ImageError(sourceName, "frame " + std::to_string(frame) +
                                         " requested, but only DICOM files have several frames (this one has 1)");
}

// Every format but DICOM; `shown` (optional) learns the window of a 16-bit grey image.
cv::Mat decodeOtherRgb8(std::string_view encoded, const std::string& sourceName, const ImageReadOptions& options,
                        DescribedImage* shown) {
    requireSingleFrame(sourceName, options.frame);
    cv::Mat decoded = decodeRaw(encoded, sourceName);
    if (decoded.depth() == CV_16U && decoded.channels() <= 2)
        decoded = windowSixteenBitGrey(decoded.channels() == 1 ? decoded : firstChannel(decoded), options.window, shown);
    else if (decoded.depth() == CV_16U)
        decoded = scaleTo8Bit(decoded); // colour: no window
    cv::Mat rgb;
    switch (decoded.channels()) {
    case 1:
        cv::cvtColor(decoded, rgb, cv::COLOR_GRAY2RGB);
        break;
    case 2: // grey + alpha
        cv::cvtColor(firstChannel(decoded), rgb, cv::COLOR_GRAY2RGB);
        break;
    case 3:
        cv::cvtColor(decoded, rgb, cv::COLOR_BGR2RGB);
        break;
    default: // BGRA: the alpha channel is dropped, as PIL's convert('RGB') does
        cv::cvtColor(decoded, rgb, cv::COLOR_BGRA2RGB);
        break;
    }
    return rgb;
}

} // namespace

cv::Mat decodeImageRgb8(std::string_view encoded, const std::string& sourceName, const ImageReadOptions& options) {
    if (isDicom(encoded, sourceName))
        return decodeDicomRgb8(encoded, sourceName, options).rgb;
    return decodeOtherRgb8(encoded, sourceName, options, nullptr);
}

cv::Mat readImageRgb8(const std::string& path, const ImageReadOptions& options) {
    return decodeImageRgb8(util::readWholeFile<ImageError>(path, "an image file"), path, options);
}

DescribedImage readImageDescribed(const std::string& path, const ImageReadOptions& options) {
    const std::string encoded = util::readWholeFile<ImageError>(path, "an image file");
    DescribedImage described;
    if (isDicom(encoded, path)) {
        DicomImage dicom = decodeDicomRgb8(encoded, path, options);
        described.rgb = std::move(dicom.rgb);
        described.dicom = std::move(dicom.metadata);
        described.voiWindow = std::move(dicom.voiWindow);
        described.voiApplied = std::move(dicom.voiApplied);
    } else {
        described.rgb = decodeOtherRgb8(encoded, path, options, &described);
    }
    return described;
}

cv::Mat decodeMaskGrey(std::string_view encoded, const std::string& sourceName, int frame) {
    cv::Mat decoded;
    if (isDicom(encoded, sourceName)) {
        // A grey DICOM mask (DICOM SEG, a binary image): non-zero values are inside (255). Its
        // R = G = B pass the luma below unchanged; a colour one gets the luma of a colour PNG mask.
        ImageReadOptions options;
        options.frame = frame;
        options.window.kind = WindowChoice::Kind::NonZero;
        cv::cvtColor(decodeDicomRgb8(encoded, sourceName, options).rgb, decoded, cv::COLOR_RGB2BGR);
    } else {
        requireSingleFrame(sourceName, frame);
        decoded = decodeRaw(encoded, sourceName);
    }
    if (decoded.channels() <= 2) {
        cv::Mat grey = decoded.channels() == 1 ? decoded : firstChannel(decoded);
        if (grey.depth() == CV_8U)
            return grey.clone();
        // PIL opens 16-bit greyscale as mode 'I' and convert('L') clips it to 0..255.
        cv::Mat clipped;
        cv::min(grey, 255.0, clipped);
        clipped.convertTo(clipped, CV_8U);
        return clipped;
    }
    if (decoded.depth() == CV_16U)
        decoded = highByte(decoded); // how PIL unpacks 16-bit colour ("RGB;16B")
    // Pillow's rgb2l: L = (19595 R + 38470 G + 7471 B + 0x8000) >> 16. OpenCV's own RGB2GRAY
    // uses a different fixed-point rounding and can differ by one level.
    cv::Mat grey(decoded.size(), CV_8UC1);
    const int channels = decoded.channels();
    for (int y = 0; y < decoded.rows; ++y) {
        const auto* in = decoded.ptr<std::uint8_t>(y);
        auto* out = grey.ptr<std::uint8_t>(y);
        for (int x = 0; x < decoded.cols; ++x, in += channels) {
            const std::uint32_t blue = in[0], green = in[1], red = in[2];
            out[x] = static_cast<std::uint8_t>((19595u * red + 38470u * green + 7471u * blue + 0x8000u) >> 16);
        }
    }
    return grey;
}

cv::Mat readMaskGrey(const std::string& path, int frame) {
    return decodeMaskGrey(util::readWholeFile<ImageError>(path, "an image file"), path, frame);
}

} // namespace intermap::image
