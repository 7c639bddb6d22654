// One phantom image: the shared lesion draws, the style painters' dispatch and the confounder mark.
#include "intermap/data/phantom.h"

#include "phantom_synthesis.h"

#include "intermap/util/errors.h"

#include <opencv2/core.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <string>

namespace intermap::data {
namespace phantom {

LesionShape drawShape(Random& rng, const PhantomOptions& options) {
    LesionShape shape;
    shape.radius = rng.uniform(options.lesionRadiusMin, options.lesionRadiusMax);
    shape.aspect = rng.uniform(0.68, 1.0);
    shape.axis = rng.direction();
    constexpr std::array<double, 4> kMaxAmplitude{0.12, 0.08, 0.05, 0.035};
    for (std::size_t k = 0; k < 4; ++k) {
        shape.amplitude[k] = rng.uniform(0.0, kMaxAmplitude[k]);
        shape.phase[k] = rng.direction();
    }
    return shape;
}

Vec2 drawCentre(Random& rng, double radius, Vec2 avoid, double avoidRadius) {
    const double margin = 0.6 * radius;
    Vec2 centre;
    for (int attempt = 0; attempt < 40; ++attempt) {
        centre.x = rng.uniform(margin, kSize - margin);
        centre.y = rng.uniform(margin, kSize - margin);
        const double dx = centre.x - avoid.x;
        const double dy = centre.y - avoid.y;
        if (avoidRadius <= 0.0 || dx * dx + dy * dy >= (avoidRadius + radius) * (avoidRadius + radius))
            break;
    }
    return centre;
}

namespace {

// --- confounder -----------------------------------------------------------------------------

// A bright ruler-like mark (a bar with ticks), 28 x 9 px, in one of the four corners.
struct MarkPlacement {
    int x0 = 0;
    int y0 = 0;
    static constexpr int kWidth = 28;
    static constexpr int kHeight = 9;
    // Whether pixel (x, y) of the image belongs to the mark.
    bool covers(int x, int y) const {
        const int lx = x - x0;
        const int ly = y - y0;
        if (lx < 0 || ly < 0 || lx >= kWidth || ly >= kHeight)
            return false;
        if (ly >= kHeight - 3)
            return true; // the bar
        const int tick = lx % 9;
        const bool major = (lx / 9) % 3 == 0;
        return tick < 2 && (major || ly >= 3); // ticks every 9 px, every third one taller
    }
};

MarkPlacement placeMark(Random& rng, const cv::Mat& mask) {
    const int inset = 6 + rng.below(7);
    const int start = rng.below(4);
    MarkPlacement chosen;
    for (int i = 0; i < 4; ++i) {
        const int corner = (start + i) % 4;
        MarkPlacement mark;
        mark.x0 = (corner % 2 == 0) ? inset : kSize - inset - MarkPlacement::kWidth;
        mark.y0 = (corner / 2 == 0) ? inset : kSize - inset - MarkPlacement::kHeight;
        if (i == 0)
            chosen = mark;
        // The first corner whose mark keeps 2 px clear of the lesion; else the first tried.
        const cv::Rect box(mark.x0 - 2, mark.y0 - 2, MarkPlacement::kWidth + 4, MarkPlacement::kHeight + 4);
        if (cv::countNonZero(mask(box & cv::Rect(0, 0, kSize, kSize))) == 0) {
            chosen = mark;
            break;
        }
    }
    return chosen;
}

} // namespace

void validateOptions(const PhantomOptions& options) {
    if (!(options.lesionRadiusMin >= 4.0 && options.lesionRadiusMax <= 112.0
          && options.lesionRadiusMin <= options.lesionRadiusMax))
        throw UsageError("phantom: lesion radius range must satisfy 4 <= min <= max <= 112, got ["
                         + std::to_string(options.lesionRadiusMin) + ", " + std::to_string(options.lesionRadiusMax) + "]");
    auto probability = [](double p, const char* name) {
        if (!(p >= 0.0 && p <= 1.0))
            throw UsageError(std::string("phantom: ") + name + " must lie in [0, 1], got " + std::to_string(p));
    };
    probability(options.confounderInPositives, "confounderInPositives");
    probability(options.confounderInNegatives, "confounderInNegatives");
    probability(options.positiveFraction, "positiveFraction");
}

void addGrain(Rgb& c, Random& grain, double luminance, double chroma) {
    const double l = luminance * grain.normal();
    const double cr = chroma * grain.normal();
    c.r += l + cr;
    c.g += l;
    c.b += l - cr;
}

} // namespace phantom

using namespace phantom;

std::string phantomStyleName(PhantomStyle style) {
    return style == PhantomStyle::Ultrasound ? "ultrasound" : "endoscopy";
}

PhantomStyle parsePhantomStyle(const std::string& name) {
    if (name == "endoscopy")
        return PhantomStyle::Endoscopy;
    if (name == "ultrasound")
        return PhantomStyle::Ultrasound;
    throw UsageError("phantom style: expected \"endoscopy\" or \"ultrasound\", got \"" + name + "\"");
}

PhantomImage generatePhantom(std::uint64_t seed, std::int64_t index, bool positive, const PhantomOptions& options) {
    validateOptions(options);
    PhantomImage out;
    out.positive = positive;
    out.rgb.create(kSize, kSize, CV_8UC3);
    out.mask = cv::Mat::zeros(kSize, kSize, CV_8UC1);
    Random grain(seed, index, Stream::Grain);

    if (options.style == PhantomStyle::Endoscopy)
        paintEndoscopy(out, seed, index, options, grain);
    else
        paintUltrasound(out, seed, index, options, grain);

    if (options.confounder) {
        Random rng(seed, index, Stream::Confounder);
        const double draw = rng.uniform();
        const double p = positive ? options.confounderInPositives : options.confounderInNegatives;
        if (draw < p) {
            const MarkPlacement mark = placeMark(rng, out.mask);
            const double brightness = rng.uniform(0.90, 1.0);
            const cv::Vec3b colour(toByte(brightness), toByte(brightness), toByte(brightness * 0.97));
            for (int y = mark.y0; y < mark.y0 + MarkPlacement::kHeight; ++y)
                for (int x = mark.x0; x < mark.x0 + MarkPlacement::kWidth; ++x)
                    if (mark.covers(x, y)) {
                        out.rgb.at<cv::Vec3b>(y, x) = colour;
                        out.mask.at<std::uint8_t>(y, x) = 0;
                    }
            out.confounderDrawn = true;
        }
    }
    return out;
}

} // namespace intermap::data
