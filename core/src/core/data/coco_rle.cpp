// The COCO run-length code (pycocotools' maskApi.c: rleFrString, rleToString, rleDecode) and
// polygon rasterisation; annotations.h states the conventions.
#include "intermap/data/annotations.h"

#include "intermap/image/image_read_options.h"
#include "intermap/util/errors.h"

#include <opencv2/imgproc.hpp>

#include <cmath>
#include <limits>

namespace intermap::data::coco {
namespace {

// 7 groups of 5 bits hold any count up to kMaxImagePixels (2^28) and any difference of two such
// counts with its sign; a longer value can only come from a corrupt or hostile string.
constexpr int kMaxGroupsPerValue = 7;

// Vertices are passed to fillPoly in fixed point with this many fractional bits; coordinates
// are bounded so that the fixed-point values stay far inside int.
constexpr int kPolygonShift = 8;
constexpr double kMaxPolygonOffset = 1 << 22;

void checkSize(int height, int width) {
    if (height <= 0 || width <= 0)
        throw Error("size [" + std::to_string(height) + ", " + std::to_string(width) + "] is not positive");
    if (std::int64_t{height} * width > image::kMaxImagePixels)
        throw Error("size [" + std::to_string(height) + ", " + std::to_string(width) + "] is more than the limit of " +
                    std::to_string(image::kMaxImagePixels) + " (2^28) pixels");
}

} // namespace

std::vector<std::uint64_t> decodeCounts(std::string_view text) {
    std::vector<std::uint64_t> counts;
    std::size_t position = 0;
    while (position < text.size()) {
        std::int64_t value = 0;
        int groups = 0;
        bool more = true;
        while (more) {
            if (position >= text.size())
                throw Error("counts string ends inside a value (at character " + std::to_string(position) + ")");
            const int code = static_cast<unsigned char>(text[position]) - 48;
            if (code < 0 || code > 63)
                throw Error("counts string has the character '" + std::string(1, text[position]) + "' at " +
                            std::to_string(position) + ", outside '0'..'o'");
            if (groups == kMaxGroupsPerValue)
                throw Error("counts string has a value longer than " + std::to_string(kMaxGroupsPerValue) +
                            " characters (at character " + std::to_string(position) + ")");
            value |= static_cast<std::int64_t>(code & 0x1f) << (5 * groups);
            more = (code & 0x20) != 0;
            ++position;
            ++groups;
            if (!more && (code & 0x10))
                value -= std::int64_t{1} << (5 * groups); // sign extension of the last group
        }
        if (counts.size() > 2)
            value += static_cast<std::int64_t>(counts[counts.size() - 2]);
        if (value < 0)
            throw Error("counts string gives a negative count (" + std::to_string(value) + ") as count " +
                        std::to_string(counts.size() + 1));
        counts.push_back(static_cast<std::uint64_t>(value));
    }
    return counts;
}

std::string encodeCounts(const std::vector<std::uint64_t>& counts) {
    std::string text;
    for (std::size_t i = 0; i < counts.size(); ++i) {
        std::int64_t value = static_cast<std::int64_t>(counts[i]);
        if (i > 2)
            value -= static_cast<std::int64_t>(counts[i - 2]);
        bool more = true;
        while (more) {
            int code = static_cast<int>(value & 0x1f);
            value >>= 5; // arithmetic shift: a negative value ends at -1
            more = (code & 0x10) ? value != -1 : value != 0;
            if (more)
                code |= 0x20;
            text.push_back(static_cast<char>(code + 48));
        }
    }
    return text;
}

std::vector<std::uint64_t> countsOfMask(const cv::Mat& mask) {
    if (mask.type() != CV_8UC1)
        throw Error("a run-length code needs a CV_8UC1 mask");
    cv::Mat columnMajor;
    cv::transpose(mask, columnMajor); // its rows are the mask's columns, stored contiguously
    std::vector<std::uint64_t> counts;
    bool inside = false;
    std::uint64_t run = 0;
    for (int row = 0; row < columnMajor.rows; ++row) {
        const auto* pixels = columnMajor.ptr<std::uint8_t>(row);
        for (int i = 0; i < columnMajor.cols; ++i) {
            if ((pixels[i] != 0) != inside) {
                counts.push_back(run);
                run = 0;
                inside = !inside;
            }
            ++run;
        }
    }
    counts.push_back(run);
    return counts;
}

cv::Mat maskOfCounts(const std::vector<std::uint64_t>& counts, int height, int width) {
    checkSize(height, width);
    const std::uint64_t pixels = static_cast<std::uint64_t>(height) * static_cast<std::uint64_t>(width);
    std::uint64_t total = 0;
    for (const std::uint64_t count : counts) {
        if (count > pixels - total) // before adding: no overflow, however large the counts
            throw Error("counts sum to more than h * w = " + std::to_string(pixels));
        total += count;
    }
    if (total != pixels)
        throw Error("counts sum to " + std::to_string(total) + ", expected h * w = " + std::to_string(pixels));
    cv::Mat columnMajor(width, height, CV_8UC1); // filled column by column of the mask
    auto* out = columnMajor.ptr<std::uint8_t>(0);
    std::uint8_t value = 0;
    for (const std::uint64_t count : counts) {
        std::fill(out, out + count, value);
        out += count;
        value = static_cast<std::uint8_t>(255 - value);
    }
    cv::Mat mask;
    cv::transpose(columnMajor, mask);
    return mask;
}

cv::Mat maskOfPolygons(const std::vector<std::vector<double>>& polygons, int height, int width) {
    checkSize(height, width);
    cv::Mat mask = cv::Mat::zeros(height, width, CV_8UC1);
    const double scale = 1 << kPolygonShift;
    for (std::size_t p = 0; p < polygons.size(); ++p) {
        const auto& values = polygons[p];
        const std::string which = "polygon " + std::to_string(p + 1);
        if (values.size() % 2 != 0)
            throw Error(which + " has an odd number of coordinates (" + std::to_string(values.size()) + ")");
        if (values.size() < 6)
            throw Error(which + " has " + std::to_string(values.size() / 2) + " point(s), at least 3 are needed");
        std::vector<cv::Point> points;
        for (std::size_t i = 0; i < values.size(); i += 2) {
            const double x = values[i], y = values[i + 1];
            if (!std::isfinite(x) || !std::isfinite(y) || std::abs(x) > kMaxPolygonOffset + width ||
                std::abs(y) > kMaxPolygonOffset + height)
                throw Error(which + " has a point that is not finite or lies far outside the image");
            points.emplace_back(static_cast<int>(std::lround(x * scale)), static_cast<int>(std::lround(y * scale)));
        }
        // One call per polygon: fillPoly given several fills their overlaps by the even-odd rule,
        // while an annotation is the union of its polygons (as PIL draws them one after another).
        const std::vector<std::vector<cv::Point>> one{points};
        cv::fillPoly(mask, one, cv::Scalar(255), cv::LINE_8, kPolygonShift);
    }
    return mask;
}

} // namespace intermap::data::coco
